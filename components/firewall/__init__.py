"""Security group rules: one table, resolved per group and translated per cloud.

Everything here is pure data and functions. The cloud modules create the
rule resources.
"""

from components.firewall.resolve import (
    NodeAddress,
    ResolvedRule,
    WORLD_CIDR,
    combine_single_ports,
    resolve_rules,
)
from components.firewall.settings import (
    check_admin_cidrs,
    is_world_wide,
    parse_firewall_settings,
)
from components.firewall.table import (
    RESTRICTED_TCP_PORTS,
    RULES,
    RULES_BY_KEY,
    FirewallRule,
    Source,
)
from components.firewall.translate import (
    CIDR_ARGUMENT,
    PORT_LIST_CLOUDS,
    TRANSLATORS,
    rules_for_cloud,
    translate,
)

__all__ = [
    "CIDR_ARGUMENT", "FirewallRule", "NodeAddress", "PORT_LIST_CLOUDS", "RESTRICTED_TCP_PORTS",
    "RULES", "RULES_BY_KEY", "ResolvedRule", "Source", "TRANSLATORS", "WORLD_CIDR",
    "check_admin_cidrs", "combine_single_ports", "is_world_wide", "parse_firewall_settings",
    "resolve_rules", "rules_for_cloud", "translate",
]
