"""A planned Kilo mesh brought up for real in network namespaces.

Every node is a network namespace. A fabric namespace contains one "internet"
bridge for public addresses (documentation ranges 203.0.113.0/24 and
198.51.100.0/24) and one bridge per location for its VPC. Each leader runs
wireguard-go as ``kilo0`` in a private mount namespace, so its control socket
under /run/wireguard is its own, and gets the WireGuard config that
``render_showconf`` printed, with real keys from ``wg genkey`` in place of the
placeholders. Addresses and routes come from the plan.

Differences from kg on a real host:
- Routes that kg sends through ``tunl0`` (IPIP inside a location) go directly
  over the VPC interface, because this kernel has no ipip module. Plain
  routing through the leader reaches the same next hop.
- Table-1107 routes and rules only matter for IPIP, so they are not installed.
- A leader without a public endpoint sits behind a NAT gateway namespace
  (nftables masquerade), like a home host behind a router.
- A bridge ``kube-bridge`` without ports, with the first address of the node's pod
  CIDR replaces the pod network.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from components.topology import MeshPlan, render_showconf
from components.topology.model import TUNNEL_INTERFACE, WIREGUARD_INTERFACE, PlannedNode

PUBLIC_RANGES = (ipaddress.ip_network("203.0.113.0/24"), ipaddress.ip_network("198.51.100.0/24"))
REQUIRED_TOOLS = ("ip", "unshare", "wireguard-go", "wg", "ping", "nft")
PUBLIC_INTERFACE = "pub0"
VPC_INTERFACE = "vpc0"
POD_INTERFACE = "kube-bridge"
# Seconds to wait for wireguard-go's control socket after it daemonizes.
SOCKET_TIMEOUT = 5.0


class LabError(RuntimeError):
    """A lab command failed; the message has the command and its output."""


def run(*command: str, input_text: str | None = None) -> str:
    result = subprocess.run(list(command), input=input_text, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LabError(f"{' '.join(command)} failed with exit code {result.returncode}: "
                       f"{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


@dataclass(frozen=True)
class PingResult:
    source: str
    target_node: str
    kind: str
    address: ipaddress.IPv4Address
    # Whether the plan's routes carry the ping there and the reply back.
    expected: bool
    ok: bool


@dataclass
class MeshLab:
    plan: MeshPlan
    work_dir: Path
    # Public IPs for VMs, whose planned endpoint is a placeholder.
    vm_public_ips: dict[str, str] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: f"k3smc-{os.getpid()}-{secrets.token_hex(2)}")
    namespaces: list[str] = field(default_factory=list)
    public_ips: dict[str, ipaddress.IPv4Address] = field(default_factory=dict)

    def namespace(self, name: str) -> str:
        return f"{self.run_id}-{name}"

    def _add_namespace(self, name: str) -> str:
        namespace = self.namespace(name)
        run("ip", "netns", "add", namespace)
        self.namespaces.append(namespace)
        self.ip(namespace, "link", "set", "lo", "up")
        for key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"):
            value = "1" if key == "net.ipv4.ip_forward" else "0"
            run("ip", "netns", "exec", namespace, "sysctl", "-q", "-w", f"{key}={value}")
        return namespace

    @staticmethod
    def ip(namespace: str, *arguments: str) -> str:
        return run("ip", "-n", namespace, *arguments)

    # Building the lab.

    def up(self) -> None:
        """Create namespaces, links, WireGuard interfaces and routes for every ready node."""
        # Each leader mounts a private tmpfs here, so the directory must exist. It
        # stays afterwards: removing it would detach the mounts of a lab that
        # another test run has up at the same time.
        os.makedirs("/run/wireguard", exist_ok=True)
        fabric = self._add_namespace("fabric")
        self.ip(fabric, "link", "add", "inet", "type", "bridge")
        self.ip(fabric, "link", "set", "inet", "up")
        locations = sorted({segment.key for segment in self.plan.segments})
        bridges = {key: f"vpc{index}" for index, key in enumerate(locations)}
        for bridge in bridges.values():
            self.ip(fabric, "link", "add", bridge, "type", "bridge")
            self.ip(fabric, "link", "set", bridge, "up")

        nodes = [node for node in self.plan.nodes if node.ready]
        for node in nodes:
            segment = self.plan.segment_of(node.name)
            assert segment is not None
            self._add_node(fabric, node, bridges[segment.key])
        for index, segment in enumerate(self.plan.segments):
            if not segment.endpoint.public:
                self._add_nat_gateway(fabric, index, segment.leader, bridges[segment.key])

        keys = {segment.leader.name: self._generate_keys() for segment in self.plan.segments}
        for segment in self.plan.segments:
            self._start_wireguard(segment.leader, keys)
        for node in nodes:
            self._add_routes(node)

    def _add_node(self, fabric: str, node: PlannedNode, bridge: str) -> None:
        namespace = self._add_namespace(node.name)
        public_ip = self._public_ip(node)
        if public_ip is not None:
            self._link(fabric, f"p{node.index}", "inet", namespace, PUBLIC_INTERFACE, f"{public_ip}/24")
            for public_range in PUBLIC_RANGES:
                if public_ip not in public_range:
                    self.ip(namespace, "route", "add", str(public_range), "dev", PUBLIC_INTERFACE)
            self.public_ips[node.name] = public_ip
        if node.private_ip is not None:
            self._link(fabric, f"v{node.index}", bridge, namespace, VPC_INTERFACE, str(node.private_ip))
        assert node.pod_cidr is not None
        self.ip(namespace, "link", "add", POD_INTERFACE, "type", "bridge")
        self.ip(namespace, "address", "add", f"{next(node.pod_cidr.hosts())}/{node.pod_cidr.prefixlen}",
                "dev", POD_INTERFACE)
        self.ip(namespace, "link", "set", POD_INTERFACE, "up")

    def _public_ip(self, node: PlannedNode) -> ipaddress.IPv4Address | None:
        endpoint = node.endpoint
        if endpoint is None or not endpoint.public:
            return None
        if endpoint.address is not None:
            return endpoint.address
        return ipaddress.ip_address(self.vm_public_ips[node.name])

    def _link(self, fabric: str, fabric_name: str, bridge: str, namespace: str, name: str, address: str) -> None:
        self.ip(fabric, "link", "add", fabric_name, "type", "veth", "peer", "name", name, "netns", namespace)
        self.ip(fabric, "link", "set", fabric_name, "master", bridge, "up")
        self.ip(namespace, "address", "add", address, "dev", name)
        self.ip(namespace, "link", "set", name, "up")

    def _add_nat_gateway(self, fabric: str, index: int, leader: PlannedNode, bridge: str) -> None:
        """Put a masquerading router between a private leader and the internet bridge."""
        assert leader.private_ip is not None
        network = leader.private_ip.network
        inside = network.broadcast_address - 1
        used = {ip for ip in self.public_ips.values()}
        outside = next(ip for ip in reversed(list(PUBLIC_RANGES[1].hosts())) if ip not in used)
        self.public_ips[f"nat{index}"] = outside

        namespace = self._add_namespace(f"nat{index}")
        self._link(fabric, f"n{index}p", "inet", namespace, PUBLIC_INTERFACE, f"{outside}/24")
        self.ip(namespace, "route", "add", str(PUBLIC_RANGES[0]), "dev", PUBLIC_INTERFACE)
        self._link(fabric, f"n{index}v", bridge, namespace, VPC_INTERFACE, f"{inside}/{network.prefixlen}")
        ruleset = (
            "table ip nat {\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat;\n"
            f'    oifname "{PUBLIC_INTERFACE}" masquerade\n'
            "  }\n"
            "}\n"
        )
        run("ip", "netns", "exec", namespace, "nft", "-f", "-", input_text=ruleset)
        self.ip(self.namespace(leader.name), "route", "add", "default", "via", str(inside))

    @staticmethod
    def _generate_keys() -> tuple[str, str]:
        private_key = run("wg", "genkey").strip()
        public_key = run("wg", "pubkey", input_text=private_key + "\n").strip()
        return private_key, public_key

    def wireguard_config(self, leader: PlannedNode, keys: dict[str, tuple[str, str]]) -> str:
        """Return the planned config of ``leader`` with real keys and VM endpoints filled in."""
        text = render_showconf(self.plan, leader.name)
        for name, address in self.vm_public_ips.items():
            text = text.replace(f"<{name}-public-ip>", address)
        for name, (_, public_key) in keys.items():
            text = text.replace(f"PublicKey = <{name}>", f"PublicKey = {public_key}")
        assert "<" not in text, f"placeholder left in the config of {leader.name}:\n{text}"
        private_key = keys[leader.name][0]
        return text.replace("[Interface]\n", f"[Interface]\nPrivateKey = {private_key}\n", 1)

    def _start_wireguard(self, leader: PlannedNode, keys: dict[str, tuple[str, str]]) -> None:
        config_file = self.work_dir / f"{leader.name}.conf"
        config_file.touch(mode=0o600)
        config_file.write_text(self.wireguard_config(leader, keys))
        log_file = self.work_dir / f"{leader.name}-wireguard-go.log"

        # wireguard-go daemonizes; its child keeps the private mount namespace alive.
        script = (
            "set -eu\n"
            "mount -t tmpfs -o size=1m,mode=0700 k3smc-wireguard /run/wireguard\n"
            f'wireguard-go {WIREGUARD_INTERFACE} >"$2" 2>&1\n'
            f"deadline=$(( $(date +%s) + {int(SOCKET_TIMEOUT)} ))\n"
            f"while [ ! -S /run/wireguard/{WIREGUARD_INTERFACE}.sock ]; do\n"
            '  if [ "$(date +%s)" -ge "$deadline" ]; then\n'
            '    echo "wireguard-go control socket not found: timed out" >&2\n'
            "    exit 1\n"
            "  fi\n"
            "  sleep 0.05\n"
            "done\n"
            f'wg setconf {WIREGUARD_INTERFACE} "$1"\n'
        )
        run("ip", "netns", "exec", self.namespace(leader.name), "unshare", "--mount", "--propagation", "private",
            "sh", "-c", script, "sh", str(config_file), str(log_file))

        segment = self.plan.segment_of(leader.name)
        assert segment is not None and segment.wireguard_ip is not None
        namespace = self.namespace(leader.name)
        self.ip(namespace, "address", "add", f"{segment.wireguard_ip}/{self.plan.subnet.prefixlen}",
                "dev", WIREGUARD_INTERFACE)
        self.ip(namespace, "link", "set", WIREGUARD_INTERFACE, "up")

    def _add_routes(self, node: PlannedNode) -> None:
        namespace = self.namespace(node.name)
        for route in self.plan.routes[node.name]:
            if route.table is not None:
                continue
            device = VPC_INTERFACE if route.device == TUNNEL_INTERFACE else route.device
            arguments = ["route", "add", str(route.destination)]
            if route.gateway is not None:
                arguments += ["via", str(route.gateway)]
            arguments += ["dev", device]
            if route.gateway is not None:
                arguments.append("onlink")
            if route.source is not None:
                arguments += ["src", str(route.source)]
            self.ip(namespace, *arguments)

    # Using the lab.

    def ping(self, source: str, address: ipaddress.IPv4Address, attempts: int = 2) -> bool:
        """Ping once per attempt; the first packet to a peer may wait for the WireGuard handshake."""
        for _ in range(attempts):
            result = subprocess.run(
                ["ip", "netns", "exec", self.namespace(source), "ping", "-n", "-q", "-c", "1", "-W", "1",
                 str(address)],
                capture_output=True, text=True, check=False,
            )
            if result.returncode == 0:
                return True
        return False

    # Where packets should go according to the plan, hop by hop.

    def _owner(self, address: ipaddress.IPv4Address) -> str | None:
        for segment in self.plan.segments:
            if segment.wireguard_ip == address:
                return segment.leader.name
            for member in segment.members:
                if member.private_ip is not None and member.private_ip.ip == address:
                    return member.name
                if member.pod_cidr is not None and address == next(member.pod_cidr.hosts()):
                    return member.name
        return None

    def _next_hop(self, node_name: str, address: ipaddress.IPv4Address
                  ) -> tuple[str | None, ipaddress.IPv4Address | None]:
        """Return the next node and the source address a packet from ``node_name`` gets,
        by longest prefix over the plan's routes and the connected networks."""
        node = self.plan.node(node_name)
        segment = self.plan.segment_of(node_name)
        assert segment is not None
        candidates = []
        for route in self.plan.routes[node_name]:
            if route.table is None and address in route.destination:
                candidates.append((route.destination.prefixlen, route.device, route.gateway, route.source))
        if segment.leader is node and address in self.plan.subnet:
            candidates.append((self.plan.subnet.prefixlen, WIREGUARD_INTERFACE, None, segment.wireguard_ip))
        if node.private_ip is not None and address in node.private_ip.network:
            candidates.append((node.private_ip.network.prefixlen, VPC_INTERFACE, address, node.private_ip.ip))
        if not candidates:
            return None, None
        _, device, gateway, source = max(candidates, key=lambda candidate: candidate[0])
        if device == WIREGUARD_INTERFACE:
            # WireGuard sends to the peer whose AllowedIPs match most specifically.
            matches = [(network.prefixlen, other.leader.name) for other in self.plan.segments
                       if other is not segment for network in other.allowed_ips if address in network]
            return (max(matches)[1] if matches else None), source
        next_node = self._owner(gateway) if gateway is not None else None
        return next_node, source or (node.private_ip.ip if node.private_ip else None)

    def _deliver(self, source: str, address: ipaddress.IPv4Address
                 ) -> tuple[bool, ipaddress.IPv4Address | None]:
        """Follow the plan from ``source`` to ``address``; return whether it arrives and
        the source address of the first hop."""
        current, first_source = source, None
        for _ in range(8):
            if self._owner(address) == current:
                return True, first_source
            next_node, hop_source = self._next_hop(current, address)
            if first_source is None:
                first_source = hop_source
            if next_node is None:
                return False, first_source
            current = next_node
        return False, first_source

    def expected_reachable(self, source: str, address: ipaddress.IPv4Address) -> bool:
        """Whether the plan routes a ping from ``source`` to ``address`` and the reply back."""
        arrives, reply_to = self._deliver(source, address)
        if not arrives or reply_to is None:
            return False
        target = self._owner(address)
        assert target is not None
        returns, _ = self._deliver(target, reply_to)
        return returns

    def ping_targets(self, source: str) -> list[tuple[str, str, ipaddress.IPv4Address]]:
        """Addresses in other locations: WireGuard IPs of leaders, private IPs and pod addresses."""
        own = self.plan.segment_of(source)
        targets = []
        for segment in self.plan.segments:
            if segment is own:
                continue
            for member in segment.members:
                if member is segment.leader and segment.wireguard_ip is not None:
                    targets.append((member.name, "wireguard-ip", segment.wireguard_ip))
                if member.private_ip is not None:
                    targets.append((member.name, "private-ip", member.private_ip.ip))
                assert member.pod_cidr is not None
                targets.append((member.name, "pod", next(member.pod_cidr.hosts())))
        return targets

    def ping_all(self) -> list[PingResult]:
        # NATed leaders first: their handshakes teach the others their public address.
        sources = sorted((node for node in self.plan.nodes if node.ready),
                         key=lambda node: (node.endpoint.public, node.name))
        results = []
        for source in sources:
            for target, kind, address in self.ping_targets(source.name):
                expected = self.expected_reachable(source.name, address)
                # One attempt suffices to show that an unrouted address stays unreachable.
                ok = self.ping(source.name, address, attempts=2 if expected else 1)
                results.append(PingResult(source.name, target, kind, address, expected, ok))
        return results

    def wireguard_show(self, leader: str) -> str:
        """Return ``wg show`` of a leader, run inside its mount namespace through wireguard-go's pid."""
        pids = run("ip", "netns", "pids", self.namespace(leader)).split()
        for pid in pids:
            try:
                return run("nsenter", "--target", pid, "--mount", "--net", "wg", "show", WIREGUARD_INTERFACE)
            except LabError:
                continue
        return ""

    # Cleaning up.

    def down(self) -> list[str]:
        """Kill the processes in every lab namespace and delete the namespaces; return the errors."""
        errors = []
        for namespace in reversed(self.namespaces):
            try:
                pids = run("ip", "netns", "pids", namespace).split()
                for pid in pids:
                    try:
                        os.kill(int(pid), 15)
                    except ProcessLookupError:
                        pass
                self._wait_empty(namespace)
                run("ip", "netns", "del", namespace)
            except LabError as error:
                errors.append(str(error))
        self.namespaces.clear()
        return errors

    @staticmethod
    def _wait_empty(namespace: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not run("ip", "netns", "pids", namespace).split():
                return
            time.sleep(0.05)
        for pid in run("ip", "netns", "pids", namespace).split():
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass
