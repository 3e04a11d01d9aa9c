"""Default K3s and Kilo settings as the config loader resolves them, for tests that build configs directly."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from components.config.model import K3sSettings, KiloSettings


def k3s_settings(**overrides) -> K3sSettings:
    settings = K3sSettings(
        version="v1.35.6+k3s1",
        install_script_url="https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh",
        install_script_sha256=None,
        install_mirror=None,
        cluster_cidr=ipaddress.ip_network("10.42.0.0/16"),
        service_cidr=ipaddress.ip_network("10.43.0.0/16"),
    )
    return replace(settings, **overrides)


def kilo_settings(**overrides) -> KiloSettings:
    settings = KiloSettings(
        version="0.7.0",
        image_repository="docker.io/squat/kilo",
        subnet=ipaddress.ip_network("10.4.0.0/16"),
        port=51820,
        granularity="location",
    )
    return replace(settings, **overrides)
