"""Everything an end-to-end run needs besides the hosts: tools, keys, installer.

The Pulumi CLI and the provider plugins come from the cache that
scripts/build-tools.sh fills. The Pulumi engine runs offline. It uses a file
backend in the run directory and its own PULUMI_HOME, where the built
plugins are linked in, and it neither checks for updates nor downloads
plugins.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.topology import PRIVATE_DIRS

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-tools.sh"
STANDIN_DIR = Path(__file__).resolve().parent / "standin"
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

REQUIRED_TOOLS = (
    "pulumi", "pulumi-resource-command", "pulumi-resource-kubernetes",
    "etcd", "kube-apiserver", "kube-controller-manager", "kubectl",
)
REQUIRED_COMMANDS = ("sshd", "ssh-keygen", "ip", "nft", "nsenter", "unshare", "openssl", "curl", "wg")


def tools_bin_dir() -> Path:
    """Return the cache bin directory for the pinned tool versions."""
    output = subprocess.run(["bash", str(BUILD_SCRIPT), "--bin-dir"], check=True,
                            capture_output=True, text=True).stdout
    return Path(output.strip())


def missing_prerequisites(bin_dir: Path) -> list[str]:
    """Describe every missing tool or command, with the command that provides it."""
    problems = []
    missing_tools = [name for name in REQUIRED_TOOLS if not os.access(bin_dir / name, os.X_OK)]
    if missing_tools:
        problems.append(f"tools not built: {', '.join(missing_tools)} in {bin_dir}; "
                        f"run scripts/build-tools.sh")
    path = "/usr/sbin:/usr/bin:/sbin:/bin"
    missing_commands = [name for name in REQUIRED_COMMANDS if shutil.which(name, path=path) is None]
    if missing_commands:
        problems.append(f"commands missing: {', '.join(missing_commands)}; run "
                        f"apt-get install -y openssh-server iproute2 nftables util-linux openssl curl wireguard-tools")
    # The hosts run the stand-in installer from this checkout with this
    # Python, so neither may sit in a directory the hosts get a tmpfs over.
    for label, path in (("repository", REPO_ROOT), ("Python", Path(os.path.realpath(sys.executable)))):
        hidden = [d for d in PRIVATE_DIRS if path.is_relative_to(d)]
        if hidden:
            problems.append(f"the {label} at {path} is under {hidden[0]}, which the test hosts cannot see; "
                            "use a checkout and Python elsewhere")
    if os.geteuid() != 0:
        problems.append("the end-to-end run needs root for network namespaces and mounts")
    return problems


def pulumi_environment(run_dir: Path, bin_dir: Path) -> dict[str, str]:
    """Environment of every Pulumi CLI call: offline, isolated in ``run_dir``."""
    return {
        "PULUMI_HOME": str(run_dir / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{run_dir / 'state'}",
        # Test-only passphrase of the file backend's secrets provider.
        "PULUMI_CONFIG_PASSPHRASE": "k3smc-e2e-passphrase",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # Plugins come from PULUMI_HOME at exact versions, never from PATH.
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        # Keep a developer's kubeconfig away from the Kubernetes provider.
        "KUBECONFIG": str(run_dir / "no-kubeconfig"),
        # policy/run-pack.sh starts the policy pack with this Python, because
        # it has pulumi-policy and no Python on the PATH above has it.
        "K3SMC_POLICY_PYTHON": sys.executable,
    }


# Provider plugins the program loads: Python SDK package -> plugin binary.
PROVIDER_PLUGINS = {
    "pulumi_command": "pulumi-resource-command",
    "pulumi_kubernetes": "pulumi-resource-kubernetes",
}


def link_provider_plugins(pulumi_home: Path, bin_dir: Path) -> None:
    """Make the built providers the plugins of ``pulumi_home`` at the SDKs' versions.

    The engine only takes a cached plugin whose version equals the one the
    Python SDK requests, so a mismatch between the build pins and
    requirements.txt fails here with both versions named. Symlinks avoid
    copying the binaries into every run.
    """
    import importlib.util

    for package, binary in PROVIDER_PLUGINS.items():
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"Python package {package} is not installed; run pip install -r requirements.txt")
        plugin = json.loads((Path(spec.origin).parent / "pulumi-plugin.json").read_text())
        directory = pulumi_home / "plugins" / f"resource-{plugin['name']}-v{plugin['version']}"
        directory.mkdir(parents=True, exist_ok=True)
        link = directory / binary
        if not link.exists():
            link.symlink_to(bin_dir / binary)
        built = built_versions(bin_dir).get(plugin["name"])
        if built != plugin["version"]:
            raise RuntimeError(f"{binary} in {bin_dir} is version {built!r}, but {package} requests "
                               f"{plugin['version']}; align scripts/build-tools.sh and requirements.txt")


def built_versions(bin_dir: Path) -> dict[str, str]:
    """Read the versions.txt that scripts/build-tools.sh writes next to the bin directory."""
    path = bin_dir.parent / "versions.txt"
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


@dataclass(frozen=True)
class SshKeyPair:
    private_key_path: Path
    public_key_path: Path

    @property
    def private_key(self) -> str:
        return self.private_key_path.read_text()


def generate_ssh_key(directory: Path) -> SshKeyPair:
    path = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "k3smc-e2e",
                    "-f", str(path)], check=True)
    return SshKeyPair(path, path.with_suffix(".pub"))


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class InstallerServer:
    """An HTTPS server on the controller's public address serving the stand-in installer.

    The program accepts only https:// install-script URLs, so the server has
    its own test CA. ``host_ca_bundle`` is the machine's CA bundle plus that
    CA; the topology bind-mounts it over each host's bundle, so curl on the
    hosts trusts the server and the machine's bundle stays as it is.
    """

    def __init__(self, directory: Path, address: str, port: int) -> None:
        self.directory = directory
        self.address = address
        self.port = port
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_cert = directory / "ca.crt"
        self.host_ca_bundle = directory / "ca-certificates.crt"
        self._server: http.server.ThreadingHTTPServer | None = None

    def publish_installer(self, records: Path, tools_bin: Path, python: str) -> tuple[str, str]:
        """Render install.sh.in into the served directory; return its URL and sha256."""
        text = (STANDIN_DIR / "install.sh.in").read_text()
        for placeholder, value in {
            "@PYTHON@": python,
            "@STANDIN@": str(STANDIN_DIR / "k3s_standin.py"),
            "@RECORDS@": str(records),
            "@TOOLS_BIN@": str(tools_bin),
        }.items():
            text = text.replace(placeholder, value)
        path = self.directory / "www" / "k3s-standin-install.sh"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        sha256 = hashlib.sha256(text.encode()).hexdigest()
        return f"https://{self.address}:{self.port}/{path.name}", sha256

    def _write_certificates(self) -> None:
        d = self.directory
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "7", "-subj", "/CN=k3smc-e2e-installer-ca",
                "-keyout", str(d / "ca.key"), "-out", str(self.ca_cert))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", f"/CN={self.address}", "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
        (d / "server.ext").write_text(f"subjectAltName=IP:{self.address}\n")
        openssl("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(self.ca_cert),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "7",
                "-extfile", str(d / "server.ext"), "-out", str(d / "server.crt"))
        self.host_ca_bundle.write_text(SYSTEM_CA_BUNDLE.read_text() + self.ca_cert.read_text())

    def start(self) -> None:
        self._write_certificates()
        www = str(self.directory / "www")
        (self.directory / "www").mkdir(exist_ok=True)

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=www, **kwargs)

            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass

        server = http.server.ThreadingHTTPServer((self.address, self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.directory / "server.crt"), str(self.directory / "server.key"))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, name="installer-server", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
