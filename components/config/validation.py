"""Run the checks that span the whole config and report every problem at once.

After the fields are read (``components.config.load.parse_stack_config``), the
VM network checks (``components.clouds.check_vm_cluster``) and the Kilo mesh
checks (``components.topology.check_plan``) run on the same config, and all
issues go into one report. With field errors there is no valid ClusterConfig,
so the cross checks run on a stand-in built from what did parse:

- a node without a usable name, role or location, with an invalid vm block,
  or with a name another node already has, is left out;
- an invalid optional field counts as absent, and an invalid setting takes
  its default;
- an invalid pod, service or Kilo range is replaced by a free private range,
  so no overlap is reported against a value the user did not write.

A cross-check issue is dropped when an earlier issue has the same path or a
path below it (adminCidrs after adminCidrs[0]), because it checked the
default that replaced the bad value.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from components.config.checks import AddressPlan, check_location_networks
from components.config.model import (
    ClusterConfig,
    FirewallSettings,
    K3sSettings,
    KiloSettings,
    NodeConfig,
)
from components.config.nodes import NodeDraft
from components.errors import ConfigErrors, ConfigIssue, IssueCollector
from components.topology import MeshPlan, check_plan, plan_mesh

STACK_TITLE = ("invalid stack config", "栈配置无效")
MESH_TITLE = ("invalid Kilo mesh", "Kilo 网格无效")

# Ranges tried, in order, in place of an invalid pod, service or Kilo range.
_STAND_IN_CANDIDATES = tuple(
    [ipaddress.IPv4Network(f"10.{second}.0.0/16") for second in range(256)]
    + [ipaddress.IPv4Network(f"172.{second}.0.0/16") for second in range(16, 32)]
    + [ipaddress.IPv4Network("192.168.0.0/16")]
)
# assign_private_ips in components.clouds.plan keeps the first 4 and the last
# 4 addresses of a subnet free, so a subnet of 8 or fewer has none to derive.
_RESERVED_SUBNET_ADDRESSES = 8

_NODE_PATH_RE = re.compile(r"^nodes\[(\d+)\]")

# The cluster that passed every check most recently, with its mesh plan, so
# the program does not plan the mesh a second time.
_last_valid: tuple[ClusterConfig, MeshPlan] | None = None


@dataclass
class ParsedConfig:
    """The parts of a ClusterConfig as the field readers left them."""

    drafts: list[NodeDraft]
    # Settings with defaults in place of invalid values.
    k3s: K3sSettings
    kilo: KiloSettings
    admin_cidrs: tuple[ipaddress.IPv4Network, ...]
    firewall: FirewallSettings
    # The pod, service and Kilo ranges, None where the value is invalid.
    address_plan: AddressPlan


@dataclass(frozen=True)
class Validation:
    """The result of validating a stack config."""

    locale: str
    # Every problem: field errors first, then VM network and Kilo mesh checks.
    issues: tuple[ConfigIssue, ...]
    # True when every issue comes from the Kilo mesh checks.
    mesh_only: bool
    # The config, when the field and VM checks pass (the mesh may still have issues).
    cluster: ClusterConfig | None
    # The planned Kilo mesh of ``cluster``.
    mesh: MeshPlan | None

    def errors(self) -> ConfigErrors | None:
        """Return all issues as one ConfigErrors, or None when there is none."""
        if not self.issues:
            return None
        title_en, title_zh = MESH_TITLE if self.mesh_only else STACK_TITLE
        return ConfigErrors(self.issues, title_en, title_zh, self.locale)

    def raise_if_invalid(self) -> None:
        errors = self.errors()
        if errors is not None:
            raise errors


def cross_check(parsed: ParsedConfig, collector: IssueCollector, project: str, stack: str,
                locale: str) -> Validation:
    """Run the VM network and Kilo mesh checks after the field checks in ``collector``."""
    global _last_valid
    field_paths = [issue.path for issue in collector.issues]
    drafts = _usable_drafts(parsed.drafts)
    model = ClusterConfig(
        project=project,
        stack=stack,
        nodes=tuple(_model_node(draft) for draft in drafts),
        k3s=parsed.k3s,
        kilo=parsed.kilo,
        admin_cidrs=parsed.admin_cidrs,
        locale=locale,
        firewall=parsed.firewall,
    )
    model = _with_stand_in_ranges(model, parsed)
    positions = [draft.index for draft in drafts]

    vm_collector = IssueCollector()
    if any(node.is_vm for node in model.nodes):
        # Imported only for VM configs; the module loads no cloud SDK.
        from components.clouds import check_vm_cluster

        check_vm_cluster(model, vm_collector)
    left_out = {id(node) for node in _vms_without_address(model)}
    mesh_nodes = [(position, node) for position, node in zip(positions, model.nodes)
                  if id(node) not in left_out]
    _check_location_networks(model, [node for _, node in mesh_nodes], vm_collector)
    _merge(collector, vm_collector.issues, positions, field_paths)
    checked_paths = [issue.path for issue in collector.issues]
    field_and_vm_valid = not collector.issues

    mesh_collector = IssueCollector()
    plan = None
    if mesh_nodes:
        mesh_model = model
        if left_out:
            mesh_model = dataclasses.replace(model, nodes=tuple(node for _, node in mesh_nodes))
        plan = plan_and_check_mesh(mesh_model, mesh_collector)
    _merge(collector, mesh_collector.issues, [position for position, _ in mesh_nodes], checked_paths)

    cluster = model if field_and_vm_valid else None
    if cluster is not None and plan is not None and not collector.issues:
        _last_valid = (cluster, plan)
    return Validation(
        locale=locale,
        issues=tuple(collector.issues),
        mesh_only=field_and_vm_valid and bool(collector.issues),
        cluster=cluster,
        mesh=plan if cluster is not None else None,
    )


def plan_and_check_mesh(cluster: ClusterConfig, collector: IssueCollector) -> MeshPlan:
    """Plan the Kilo mesh of ``cluster`` and add the plan's problems to ``collector``.

    A cluster that passed ``cross_check`` already had its mesh checked, so its
    plan is returned again without planning twice.
    """
    if _last_valid is not None and _last_valid[0] is cluster:
        return _last_valid[1]
    plan = plan_mesh(cluster)
    check_plan(plan, collector, cluster.k3s.service_cidr)
    return plan


def _check_location_networks(model: ClusterConfig, nodes: Sequence[NodeConfig],
                             collector: IssueCollector) -> None:
    """Run check_location_networks with planned addresses for VMs without privateIp.

    ``nodes`` leaves out the VMs whose private IP cannot be planned. With
    Kilo granularity "full" every node is its own WireGuard segment, so nodes
    of one location need no common private network.
    """
    if model.kilo.granularity != "location":
        return
    private_ips = {node.name: node.private_ip for node in nodes if node.private_ip is not None}
    if any(node.is_vm and node.private_ip is None for node in nodes):
        # Imported only for VM configs; the module loads no cloud SDK.
        from components.clouds import planned_private_ips

        planned_model = dataclasses.replace(model, nodes=tuple(nodes))
        private_ips = {**planned_private_ips(planned_model), **private_ips}
    check_location_networks(collector, model.nodes, private_ips)


def _usable_drafts(drafts: Sequence[NodeDraft]) -> list[NodeDraft]:
    """Return the drafts that can stand for a node in the cross checks."""
    usable: list[NodeDraft] = []
    names: set[str] = set()
    for draft in drafts:
        if not draft.parsed or draft.name is None or draft.role is None or draft.location is None:
            continue
        if draft.has_vm and draft.vm is None:
            continue
        if draft.name in names:
            continue
        names.add(draft.name)
        usable.append(draft)
    return usable


def _model_node(draft: NodeDraft) -> NodeConfig:
    node = draft.to_node()
    if node.is_vm and node.public_ip is not None:
        # The cloud assigns a VM's public IP; a configured one is an error already.
        node = dataclasses.replace(node, public_ip=None)
    return node


def _with_stand_in_ranges(model: ClusterConfig, parsed: ParsedConfig) -> ClusterConfig:
    """Replace each invalid pod, service or Kilo range by a range no host network uses."""
    plan = parsed.address_plan
    if None not in (plan.cluster_cidr, plan.service_cidr, plan.kilo_subnet):
        return model

    used_networks = list(_host_networks(model))
    used_networks += [network for network in (plan.cluster_cidr, plan.service_cidr, plan.kilo_subnet)
              if network is not None]
    k3s, kilo = model.k3s, model.kilo
    if plan.cluster_cidr is None:
        k3s = dataclasses.replace(k3s, cluster_cidr=_free_range(k3s.cluster_cidr, used_networks))
        used_networks.append(k3s.cluster_cidr)
    if plan.service_cidr is None:
        k3s = dataclasses.replace(k3s, service_cidr=_free_range(k3s.service_cidr, used_networks))
        used_networks.append(k3s.service_cidr)
    if plan.kilo_subnet is None:
        kilo = dataclasses.replace(kilo, subnet=_free_range(kilo.subnet, used_networks))
    return dataclasses.replace(model, k3s=k3s, kilo=kilo)


def _host_networks(model: ClusterConfig) -> Iterable[ipaddress.IPv4Network]:
    """Yield every network a node's address or VPC can be in, VM defaults included."""
    profiles = {}
    if any(node.is_vm for node in model.nodes):
        from components.clouds.profiles import PROFILES as profiles
    for node in model.nodes:
        if node.private_ip is not None:
            yield node.private_ip.network
            if node.private_ip.network.prefixlen > 16:
                yield node.private_ip.network.supernet(new_prefix=16)
        if node.public_ip is not None:
            yield ipaddress.IPv4Network(f"{node.public_ip}/32")
        if node.vm is not None:
            yield profiles[node.cloud].vpc_cidr
            yield from (network for network in (node.vm.vpc_cidr, node.vm.subnet_cidr) if network is not None)


def _free_range(default: ipaddress.IPv4Network,
                used_networks: Sequence[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    for candidate in (default, *_STAND_IN_CANDIDATES):
        if not any(candidate.overlaps(network) for network in used_networks):
            return candidate
    # NOTE: only a config whose hosts cover every candidate range gets here.
    # The default is used then, and overlap reports may name it.
    return default


def _vms_without_address(model: ClusterConfig) -> list[NodeConfig]:
    """Return the VMs whose private IP cannot be derived, because their subnet is too small.

    The mesh planner derives a missing VM private IP through
    ``components.clouds.planned_private_ips``, which cannot handle a subnet
    without free addresses; check_vm_cluster reports that subnet.
    """
    groups: dict[tuple[str, str], list[NodeConfig]] = {}
    for node in model.nodes:
        if node.vm is not None:
            groups.setdefault((node.cloud, node.vm.region), []).append(node)
    left_out: list[NodeConfig] = []
    for nodes in groups.values():
        subnet = next((node.vm.subnet_cidr for node in nodes  # type: ignore[union-attr]
                       if node.vm.subnet_cidr is not None), None)  # type: ignore[union-attr]
        if subnet is None:
            subnet = next((node.private_ip.network for node in nodes if node.private_ip is not None), None)
        if subnet is not None and subnet.num_addresses <= _RESERVED_SUBNET_ADDRESSES:
            left_out += [node for node in nodes if node.private_ip is None]
    return left_out


def _merge(collector: IssueCollector, issues: Iterable[ConfigIssue], positions: Sequence[int],
           earlier_paths: Sequence[str]) -> None:
    """Add cross-check issues to ``collector`` with the config's node indexes.

    ``positions[i]`` is the index in the config of node i of the checked
    model. Issues next to an earlier one (see the module docstring) and exact
    repeats are left out.
    """
    seen = {(issue.path, repr(issue.value), issue.message_en) for issue in collector.issues}
    for issue in issues:
        path = _NODE_PATH_RE.sub(lambda match: f"nodes[{positions[int(match.group(1))]}]", issue.path)
        key = (path, repr(issue.value), issue.message_en)
        if key in seen or any(_related(path, earlier) for earlier in earlier_paths):
            continue
        seen.add(key)
        collector.add(path, issue.value, issue.message_en, issue.message_zh)


def _related(path: str, earlier: str) -> bool:
    """True when ``earlier`` is ``path`` or a field below it."""
    return earlier == path or (earlier.startswith(path) and earlier[len(path):len(path) + 1] in (".", "["))
