"""The k3s-multicloud policy pack: rules that keep a cluster safe on every change."""

from __future__ import annotations

from pulumi_policy import Policy

from k3smc_policy.firewall import no_public_admin_ports
from k3smc_policy.public_ip import eip_only_on_public_vms, vm_public_ip_matches_config
from k3smc_policy.secret_outputs import kubeconfig_and_token_secret
from k3smc_policy.versions import container_images_pinned, k3s_version_pinned

PACK_NAME = "k3s-multicloud"


def all_policies() -> list[Policy]:
    """Return every policy of the pack, in the order the report lists them."""
    return [
        no_public_admin_ports,
        k3s_version_pinned,
        container_images_pinned,
        kubeconfig_and_token_secret,
        vm_public_ip_matches_config,
        eip_only_on_public_vms,
    ]
