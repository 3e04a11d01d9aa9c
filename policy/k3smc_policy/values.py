"""Readers for resource properties in the form policies receive them.

Policies receive properties under their wire names (camelCase, e.g.
``cidrIp``), numbers as floats and secret values already unwrapped. During a
preview, reading a value that is not known yet raises pulumi-policy's
UnknownValueError. These helpers let that error through on purpose: the policy
framework turns it into an advisory note for the preview, and the same policy
runs again with known values before ``pulumi up`` creates the resource.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

# Every port, as a range list: what a rule without a port limit opens.
ALL_PORTS: tuple[tuple[int, int], ...] = ((1, 65535),)


def text(value: Any) -> str:
    """Return ``value`` as stripped text; None and missing become ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def number(value: Any) -> float | None:
    """Return ``value`` as a number, or None when it is empty or not numeric."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def as_list(value: Any) -> list[Any]:
    """Return a list for list-like property values and [] for anything else."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return []
    return [value[i] for i in range(len(value))]


def as_mapping(value: Any) -> Mapping[str, Any]:
    """Return ``value`` when it is a mapping, else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


# A source network with a prefix shorter than this stands for the whole
# Internet: 0.0.0.0/0 and ::/0, and also sources such as 0.0.0.0/1 that split
# it into a few halves. The program's firewall settings use the same limit.
WORLD_PREFIX_LIMIT = 8


def is_any_address(cidr: Any) -> bool:
    """Tell whether ``cidr`` stands for every address (prefix shorter than /8)."""
    value = text(cidr)
    if not value:
        return False
    try:
        return ipaddress.ip_network(value, strict=False).prefixlen < WORLD_PREFIX_LIMIT
    except ValueError:
        return False


def parse_ports(spec: Any, range_separator: str = "-") -> tuple[tuple[int, int], ...]:
    """Parse a port spec such as ``22``, ``80,443``, ``2379-2380`` or ``all``.

    Returns inclusive (low, high) ranges. An empty spec, ``all`` and ``-1``
    (the clouds' "no limit" spellings) return ALL_PORTS. A part that is not a
    number also returns ALL_PORTS, because a policy that cannot read the
    limit must assume the widest rule rather than let it pass.
    """
    value = text(spec).lower()
    if value in ("", "all", "-1", f"-1{range_separator}-1"):
        return ALL_PORTS

    ranges: list[tuple[int, int]] = []
    for part in value.split(","):
        part = part.strip()
        low_text, separator, high_text = part.partition(range_separator)
        try:
            low = int(low_text)
            high = int(high_text) if separator else low
        except ValueError:
            return ALL_PORTS
        if low < 0 or high < 0:
            return ALL_PORTS
        ranges.append((min(low, high), max(low, high)))
    return tuple(ranges)


def ports_from_min_max(low: Any, high: Any) -> tuple[tuple[int, int], ...]:
    """Build ranges from separate minimum and maximum port fields.

    Huawei Cloud leaves both empty (or 0) for "every port"; one set value
    alone limits the rule to that single port.
    """
    low_number = number(low)
    high_number = number(high)
    if not low_number and not high_number:
        return ALL_PORTS
    low_port = int(low_number or high_number)
    high_port = int(high_number or low_number)
    return ((min(low_port, high_port), max(low_port, high_port)),)


def ports_in(ranges: tuple[tuple[int, int], ...], ports: Sequence[int]) -> list[int]:
    """Return the members of ``ports`` that fall into any of ``ranges``."""
    return [port for port in ports if any(low <= port <= high for low, high in ranges)]
