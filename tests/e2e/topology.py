"""Test hosts for the end-to-end run: network namespaces with their own sshd.

Every host is a network namespace. Its "public" address is on one shared
bridge (the documentation range 203.0.113.0/24), and its private address is
on a bridge per location. So hosts of one location share a VPC subnet, and
hosts of different locations do not. The bridges live in the controller namespace
that the harness itself runs in (see ``tests.e2e.__main__``), so the
controller reaches every public address and no route of the machine's own
network namespace changes.

Each host's sshd runs in a private mount and UTS namespace. There, tmpfs
mounts cover the directories that K3s, the installer and host preparation
write (/etc/rancher, /var/lib/rancher, /usr/local/bin, /etc/systemd,
/etc/sysctl.d, /run/wireguard), and /etc/hostname and /etc/hosts are
bind mounts of per-host copies. SSH sessions, and the processes they start,
see only the host's own copies.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PUBLIC_NETWORK = ipaddress.IPv4Network("203.0.113.0/24")
CONTROLLER_PUBLIC_IP = ipaddress.IPv4Address("203.0.113.1")
PUBLIC_BRIDGE = "e2epub"

# Directories each host gets as its own tmpfs. /run/wireguard keeps the
# wireguard-go control sockets of hosts apart.
PRIVATE_DIRS = (
    "/etc/rancher",
    "/var/lib/rancher",
    "/usr/local/bin",
    "/etc/systemd",
    "/etc/sysctl.d",
    "/run/wireguard",
)
# Per-host copies of these files are bind-mounted over the machine's.
PRIVATE_FILES = ("/etc/hostname", "/etc/hosts")

SSHD = "/usr/sbin/sshd"
SSH_READY_TIMEOUT_SECONDS = 20


class TopologyError(RuntimeError):
    """A test host could not be created or inspected."""


@dataclass(frozen=True)
class HostSpec:
    """One test host: its node name, location and addresses."""

    name: str
    location: str
    private_ip: ipaddress.IPv4Interface
    public_ip: ipaddress.IPv4Address | None


@dataclass
class TestHost:
    spec: HostSpec
    namespace: str
    state_dir: Path
    sshd_pid: int | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ssh_address(self) -> str:
        """Address the controller dials: the public IP, else the private one."""
        return str(self.spec.public_ip or self.spec.private_ip.ip)


def run(argv: list[str], *, check: bool = True, capture: bool = True,
        input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run ``argv``; on failure raise TopologyError with the command and its stderr."""
    result = subprocess.run(argv, input=input_text, text=True,
                            capture_output=capture, check=False)
    if check and result.returncode != 0:
        raise TopologyError(
            f"command failed with exit code {result.returncode}: {shlex.join(argv)}\n"
            f"{(result.stderr or '').strip()}"
        )
    return result


@dataclass
class Topology:
    """The namespaces, bridges and sshd processes of one test run.

    ``prefix`` makes namespace and interface names unique per run, so two
    runs on one machine do not collide. Interface names stay under the
    kernel's 15-character limit.
    """

    prefix: str
    state_dir: Path
    public_key_path: Path
    # Files bind-mounted over the machine's on every host: target path -> source.
    shared_bind_files: dict[str, Path] = field(default_factory=dict)
    hosts: dict[str, TestHost] = field(default_factory=dict)
    location_bridges: dict[str, str] = field(default_factory=dict)
    location_gateways: dict[str, ipaddress.IPv4Address] = field(default_factory=dict)
    created_mountpoints: list[str] = field(default_factory=list)

    def create_public_bridge(self) -> None:
        run(["ip", "link", "set", "lo", "up"])
        run(["ip", "link", "add", PUBLIC_BRIDGE, "type", "bridge"])
        run(["ip", "addr", "add", f"{CONTROLLER_PUBLIC_IP}/{PUBLIC_NETWORK.prefixlen}",
             "dev", PUBLIC_BRIDGE])
        run(["ip", "link", "set", PUBLIC_BRIDGE, "up"])
        self.enable_nat()

    def add_host(self, spec: HostSpec) -> TestHost:
        """Create the namespace, links, private mounts and sshd of one host."""
        if spec.public_ip is not None and spec.public_ip not in PUBLIC_NETWORK:
            raise TopologyError(f"host {spec.name}: public IP {spec.public_ip} is outside {PUBLIC_NETWORK}")
        index = len(self.hosts)
        namespace = f"{self.prefix}-{spec.name}"
        host = TestHost(spec, namespace, self.state_dir / "hosts" / spec.name)
        host.state_dir.mkdir(parents=True)
        self.hosts[spec.name] = host

        run(["ip", "netns", "add", namespace])
        run(["ip", "-n", namespace, "link", "set", "lo", "up"])

        if spec.public_ip is not None:
            self._link(namespace, f"{self.prefix[-4:]}p{index}", "eth0", PUBLIC_BRIDGE,
                       f"{spec.public_ip}/{PUBLIC_NETWORK.prefixlen}")
        bridge = self._location_bridge(spec.location, spec.private_ip.network)
        self._link(namespace, f"{self.prefix[-4:]}v{index}", "eth1", bridge,
                   str(spec.private_ip))
        if spec.public_ip is None:
            # Like a VPC's NAT gateway: the controller masquerades this host's
            # traffic to the public network (the installer, the server's API).
            gateway = self.location_gateways[spec.location]
            run(["ip", "-n", namespace, "route", "add", "default", "via", str(gateway)])

        self._start_sshd(host)
        return host

    def _location_bridge(self, location: str, network: ipaddress.IPv4Network) -> str:
        """Return the location's bridge; the first call creates it with the controller as gateway."""
        if location not in self.location_bridges:
            bridge = f"e2evpc{len(self.location_bridges)}"
            run(["ip", "link", "add", bridge, "type", "bridge"])
            # The subnet's last usable address; test hosts take low addresses.
            gateway = network.broadcast_address - 1
            run(["ip", "addr", "add", f"{gateway}/{network.prefixlen}", "dev", bridge])
            run(["ip", "link", "set", bridge, "up"])
            # Hosts of one location talk over their bridge. With br_netfilter
            # loaded, bridged IPv4 frames pass the forward hook too.
            run(["nft", "add", "rule", "ip", "k3smc_e2e", "forward",
                 "iifname", bridge, "oifname", bridge, "accept"])
            self.location_bridges[location] = bridge
            self.location_gateways[location] = gateway
        return self.location_bridges[location]

    def enable_nat(self) -> None:
        """Forward only from the location bridges to the public bridge, masqueraded.

        The rules live in the controller namespace, so private networks of
        different locations still cannot reach each other, as between VPCs.
        """
        rules = f"""
table ip k3smc_e2e {{
    chain forward {{
        type filter hook forward priority 0; policy drop;
        iifname "{PUBLIC_BRIDGE}" oifname "{PUBLIC_BRIDGE}" accept
        iifname "e2evpc*" oifname "{PUBLIC_BRIDGE}" accept
        iifname "{PUBLIC_BRIDGE}" oifname "e2evpc*" ct state established,related accept
    }}
    chain postrouting {{
        type nat hook postrouting priority 100;
        oifname "{PUBLIC_BRIDGE}" ip saddr != {PUBLIC_NETWORK} masquerade
    }}
}}
"""
        run(["nft", "-f", "-"], input_text=rules)
        run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])

    def _link(self, namespace: str, outer: str, inner: str, bridge: str, address: str) -> None:
        run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", namespace])
        run(["ip", "link", "set", outer, "master", bridge, "up"])
        run(["ip", "-n", namespace, "addr", "add", address, "dev", inner])
        run(["ip", "-n", namespace, "link", "set", inner, "up"])

    def _start_sshd(self, host: TestHost) -> None:
        state = host.state_dir
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"e2e-{host.name}",
             "-f", str(state / "ssh_host_ed25519_key")])
        (state / "authorized_keys").write_text(self.public_key_path.read_text())
        (state / "hostname").write_text(f"e2e-{host.name}-fresh\n")
        (state / "hosts").write_text("127.0.0.1 localhost\n")

        listen = [host.spec.private_ip.ip] + ([host.spec.public_ip] if host.spec.public_ip else [])
        config_lines = [f"ListenAddress {address}:22" for address in listen] + [
            f"HostKey {state / 'ssh_host_ed25519_key'}",
            f"AuthorizedKeysFile {state / 'authorized_keys'}",
            f"PidFile {state / 'sshd.pid'}",
            "UsePAM no",
            # The per-run state directory belongs to the harness, not to root's home.
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            # As Debian's stock sshd_config: the program must not depend on
            # passing other variables through SSH.
            "AcceptEnv LANG LC_*",
            # The program opens one session per step and may run many at once.
            "MaxSessions 64",
            "MaxStartups 64:30:128",
            "AllowTcpForwarding yes",
        ]
        (state / "sshd_config").write_text("\n".join(config_lines) + "\n")

        for directory in PRIVATE_DIRS:
            if not os.path.isdir(directory):
                os.makedirs(directory)
                self.created_mountpoints.append(directory)
        Path("/run/sshd").mkdir(exist_ok=True)

        mounts = [f"mount -t tmpfs -o mode=0755 e2e-{host.name} {directory}" for directory in PRIVATE_DIRS]
        mounts += [f"mount --bind {state / name.rsplit('/', 1)[1]} {name}" for name in PRIVATE_FILES]
        mounts += [f"mount --bind {source} {target}" for target, source in self.shared_bind_files.items()]
        script = " && ".join(
            mounts + [
                f"hostname e2e-{host.name}-fresh",
                f"exec {SSHD} -D -f {state / 'sshd_config'} -E {state / 'sshd.log'}",
            ]
        )
        process = subprocess.Popen(
            ["ip", "netns", "exec", host.namespace,
             "unshare", "--mount", "--uts", "--propagation", "private", "--", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(state / "sshd.stderr", "w"), start_new_session=True,
        )
        host.sshd_pid = process.pid
        self._wait_for_sshd(host, process)

    def _wait_for_sshd(self, host: TestHost, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + SSH_READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise TopologyError(
                    f"sshd of host {host.name} exited with code {process.returncode}: "
                    f"{(host.state_dir / 'sshd.stderr').read_text().strip()}"
                )
            probe = run(["ip", "netns", "exec", host.namespace, "bash", "-c",
                         f"exec 3<>/dev/tcp/{host.spec.private_ip.ip}/22"], check=False)
            if probe.returncode == 0:
                return
            time.sleep(0.2)
        raise TopologyError(f"sshd of host {host.name} did not listen on port 22 within "
                            f"{SSH_READY_TIMEOUT_SECONDS}s; see {host.state_dir / 'sshd.log'}")

    def exec_in(self, host: TestHost, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``argv`` in the host's network, mount and UTS namespaces, as its SSH sessions see them."""
        if host.sshd_pid is None:
            raise TopologyError(f"host {host.name} has no sshd")
        return run(["nsenter", "-t", str(host.sshd_pid), "-m", "-u", "-n", "--", *argv], check=check)

    def namespace_processes(self, host: TestHost) -> list[tuple[int, str]]:
        """Return (pid, command line) of every process in the host's network namespace but its sshd."""
        pids = run(["ip", "netns", "pids", host.namespace], check=False).stdout.split()
        processes = []
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
            if int(pid) == host.sshd_pid or cmdline.startswith(f"{SSHD} -D"):
                continue
            processes.append((int(pid), cmdline))
        return processes

    def destroy(self) -> None:
        """Kill every process in the hosts' namespaces and delete them; never raises."""
        for host in self.hosts.values():
            for pid in run(["ip", "netns", "pids", host.namespace], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", host.namespace], check=False)
        for directory in reversed(self.created_mountpoints):
            try:
                os.rmdir(directory)
            except OSError:
                pass
