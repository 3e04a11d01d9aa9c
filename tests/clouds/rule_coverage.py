"""Read back which traffic a translated rule admits, independent of the translator.

The table tests use this to prove that no restricted port is open to the
whole Internet, whatever the table or translation claims about itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

RESTRICTED_TCP_PORTS = (22, 6443, 10250, 2379, 2380)
ALL_PORTS = (1, 65535)


def _port_ranges(text: str | None) -> list[tuple[int, int]]:
    if text is None or text in ("", "ALL", "all", "-1/-1"):
        return [ALL_PORTS]
    ranges = []
    for part in text.replace("/", "-").split(","):
        low, _, high = part.partition("-")
        ranges.append((int(low), int(high or low)))
    return ranges


def coverage(cloud: str, args: Mapping[str, Any]) -> tuple[str, str, list[tuple[int, int]], str]:
    """Return (direction, protocol, port ranges, source CIDR) of one rule's wire inputs."""
    if cloud == "alicloud":
        return (args["type"], args["ipProtocol"].lower(), _port_ranges(args.get("portRange")),
                args["cidrIp"])
    if cloud == "tencentcloud":
        protocol = args.get("ipProtocol", "ALL").lower()
        return args["type"], protocol, _port_ranges(args.get("portRange")), args["cidrIp"]
    protocol = args.get("protocol") or "all"
    return (args["direction"], protocol.lower(), _port_ranges(args.get("ports")),
            args.get("remoteIpPrefix") or "0.0.0.0/0")


def is_world(cidr: str) -> bool:
    return ipaddress.IPv4Network(cidr).prefixlen < 8


def world_open_ports(cloud: str, args: Mapping[str, Any]) -> list[int]:
    """Restricted TCP ports that this rule opens to the whole Internet."""
    direction, protocol, ranges, cidr = coverage(cloud, args)
    if direction != "ingress" or protocol not in ("tcp", "all") or not is_world(cidr):
        return []
    return [port for port in RESTRICTED_TCP_PORTS
            if any(low <= port <= high for low, high in ranges)]
