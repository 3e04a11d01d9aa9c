"""Kilo node annotations computed from the stack config and host addresses.

kg reads these user-owned annotations and never writes them. kg silently
ignores a value it cannot parse, so this module raises on bad input instead
of writing an annotation that would have no effect.
"""

from __future__ import annotations

import ipaddress

from components.config.model import NodeConfig

LOCATION = "kilo.squat.ai/location"
LEADER = "kilo.squat.ai/leader"
FORCE_ENDPOINT = "kilo.squat.ai/force-endpoint"
FORCE_INTERNAL_IP = "kilo.squat.ai/force-internal-ip"
PERSISTENT_KEEPALIVE = "kilo.squat.ai/persistent-keepalive"


def node_annotations(
    node: NodeConfig,
    public_ip: str | None,
    private_ip: str,
    private_prefix: int,
    port: int,
) -> dict[str, str]:
    """Compute the Kilo annotations of one node.

    - location: always, because K3s sets no region label for Kilo to use.
    - force-endpoint ``<public IP>:<port>``: only when the node has a public
      IP. Cloud VMs behind 1:1 NAT would otherwise advertise their private
      IP, which other locations cannot reach. The port is also the port kg
      listens on.
    - force-internal-ip ``<private IP>/<prefix>``: kg accepts only CIDR form
      and ignores a bare IP.
    - persistent-keepalive: integer seconds, only when configured.
    - leader ``"true"``: only when the node is the chosen leader. kg checks
      for the key alone, so ``"false"`` would still make it a candidate.

    The removed force-external-ip annotation is never written, because kg
    ignores it.

    Raises ValueError for an invalid IP, prefix, port or keepalive.
    """
    if not 1 <= port <= 65535:
        raise ValueError(f"invalid Kilo port {port} for node {node.name}: expected 1-65535")

    # Cloud outputs may carry the prefix as a float such as 20.0.
    if isinstance(private_prefix, float) and private_prefix.is_integer():
        private_prefix = int(private_prefix)
    internal = ipaddress.ip_interface(f"{private_ip}/{private_prefix}")
    annotations = {
        LOCATION: node.location,
        FORCE_INTERNAL_IP: internal.with_prefixlen,
    }

    # A cloud may report "no public IP" as an empty string rather than None.
    if public_ip:
        address = ipaddress.ip_address(public_ip)
        host = f"[{address}]" if address.version == 6 else str(address)
        annotations[FORCE_ENDPOINT] = f"{host}:{port}"

    keepalive = node.persistent_keepalive
    if keepalive is not None:
        if keepalive < 0:
            raise ValueError(
                f"invalid persistentKeepalive {keepalive} for node {node.name}: expected whole seconds >= 0"
            )
        annotations[PERSISTENT_KEEPALIVE] = str(int(keepalive))

    if node.kilo_leader:
        annotations[LEADER] = "true"

    return annotations
