"""Read and check the ``firewall`` section of the stack config."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipaddress

from components.config import fields
from components.config.fields import child
from components.config.model import FirewallSettings
from components.errors import IssueCollector
from components.firewall.table import RULES

FIREWALL_KEYS = ("openToWorld", "wireguardFromWorld")
# A source this wide counts as "the whole Internet" (more than 2^24 addresses).
WORLD_PREFIX_LIMIT = 8


def restricted_rule_keys() -> tuple[str, ...]:
    return tuple(rule.key for rule in RULES if rule.restricted)


def parse_firewall_settings(collector: IssueCollector, value: Any,
                            path: str = "firewall") -> FirewallSettings:
    """Parse ``firewall: {openToWorld: [...], wireguardFromWorld: bool}``."""
    section = fields.read_mapping(collector, path, value)
    if section is None:
        return FirewallSettings()
    fields.check_keys(collector, path, section, FIREWALL_KEYS)

    allowed = restricted_rule_keys()
    open_to_world: list[str] = []
    for item_path, key in fields.read_str_list(collector, child(path, "openToWorld"),
                                               section.get("openToWorld")):
        if key not in allowed:
            collector.add(item_path, key,
                          f"is not a restricted rule; use one of {', '.join(allowed)}",
                          f"不是受限规则；请使用 {', '.join(allowed)} 之一")
            continue
        open_to_world.append(key)

    wireguard = fields.read_bool(collector, child(path, "wireguardFromWorld"),
                                 section.get("wireguardFromWorld"), True)
    return FirewallSettings(open_to_world=tuple(open_to_world), wireguard_from_world=wireguard)


def is_world_wide(cidr: ipaddress.IPv4Network) -> bool:
    """True for a source so wide that it stands for the whole Internet."""
    return cidr.prefixlen < WORLD_PREFIX_LIMIT


def check_admin_cidrs(collector: IssueCollector, admin_cidrs: Iterable[ipaddress.IPv4Network],
                      settings: FirewallSettings, path: str = "adminCidrs") -> None:
    """Reject an Internet-wide admin CIDR unless firewall.openToWorld opens SSH and the API."""
    needed = [key for key in ("ssh", "kube-api") if key not in settings.open_to_world]
    for index, cidr in enumerate(admin_cidrs):
        if not is_world_wide(cidr) or not needed:
            continue
        collector.add(
            child(path, index), str(cidr),
            f"opens SSH and the Kubernetes API to the whole Internet; list your office or VPN "
            f"networks instead, or set firewall.openToWorld: [ssh, kube-api] to do it on purpose",
            f"会向整个互联网开放 SSH 和 Kubernetes API；请改为列出办公网或 VPN 网段，"
            f"确需开放时设置 firewall.openToWorld: [ssh, kube-api]",
        )
