"""One end-to-end run: test hosts, the stand-in installer and a Pulumi stack.

``Run`` owns a run directory (state backend, logs, keys, installer records)
and everything started for it; ``close`` removes the hosts again. The
program runs inline through the Automation API, so no Python language-host
binary is needed.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from tests.e2e import environment, policy_pack, stack
from tests.e2e.topology import CONTROLLER_PUBLIC_IP, Topology

INSTALLER_PORT = 8443
STACK_NAME = "e2e"


def program() -> None:
    # Imported when the engine runs the program, so that a missing module
    # fails the step that runs it, not the harness's start.
    from components import program as k3smc_program

    k3smc_program.main()


class Run:
    def __init__(self, run_dir: Path, namespace_prefix: str, bin_dir: Path) -> None:
        self.run_dir = run_dir
        self.bin_dir = bin_dir
        self.logs = run_dir / "logs"
        self.records = run_dir / "records"
        for directory in (self.logs, self.records, run_dir / "state", run_dir / "pulumi-home"):
            directory.mkdir(parents=True, exist_ok=True)

        self.key = environment.generate_ssh_key(run_dir)
        # Random per run: the checks look for this exact string in the state.
        self.token = "k3smc-e2e-" + secrets.token_hex(20)

        self.installer = environment.InstallerServer(run_dir / "installer", str(CONTROLLER_PUBLIC_IP),
                                                     INSTALLER_PORT)
        self.topology = Topology(namespace_prefix, run_dir, self.key.public_key_path)
        self.nodes: list[stack.NodeSpec] = []
        self.stack: auto.Stack | None = None
        self.install_url = ""
        self.install_sha256 = ""

    # ------------------------------------------------------------ setup

    def start(self, nodes: list[stack.NodeSpec]) -> None:
        """Create the hosts, serve the installer and create the stack."""
        self.topology.create_public_bridge()
        self.installer.start()
        self.topology.shared_bind_files["/etc/ssl/certs/ca-certificates.crt"] = self.installer.host_ca_bundle
        for node in nodes:
            self.topology.add_host(node.host)
        self.install_url, self.install_sha256 = self.installer.publish_installer(
            self.records, self.bin_dir, sys.executable)

        environment.link_provider_plugins(self.run_dir / "pulumi-home", self.bin_dir)
        workspace = auto.LocalWorkspaceOptions(
            work_dir=str(self.run_dir),
            pulumi_home=str(self.run_dir / "pulumi-home"),
            env_vars=environment.pulumi_environment(self.run_dir, self.bin_dir),
            pulumi_command=auto.PulumiCommand(root=str(self.bin_dir.parent)),
        )
        # The repository's project file, so its typed config and defaults
        # apply as in a real deployment, with the run's own backend.
        project = yaml.safe_load((environment.REPO_ROOT / "Pulumi.yaml").read_text())
        project["backend"] = {"url": f"file://{self.run_dir / 'state'}"}
        (self.run_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        self.stack = auto.create_or_select_stack(
            stack_name=STACK_NAME, project_name=stack.PROJECT, program=program, opts=workspace)
        self.set_nodes(nodes)

    def set_nodes(self, nodes: list[stack.NodeSpec]) -> None:
        assert self.stack is not None
        self.nodes = list(nodes)
        config = stack.stack_config(nodes, install_url=self.install_url,
                                    install_sha256=self.install_sha256, token=self.token,
                                    private_key=self.key.private_key)
        self.stack.set_all_config(config)

    # ------------------------------------------------------------ Pulumi

    def _output_log(self, name: str):
        path = self.logs / f"{name}.log"
        handle = open(path, "a", encoding="utf-8")

        def write(line: str) -> None:
            handle.write(line if line.endswith("\n") else line + "\n")
            handle.flush()

        return path, handle, write

    def pulumi(self, operation: str, log_name: str, *, with_policy_pack: bool = False,
               events: list[auto.EngineEvent] | None = None,
               program_override: Callable[[], None] | None = None) -> Any:
        """Run preview, up or destroy with its output in logs/<log_name>.log.

        ``with_policy_pack`` runs the repository's policy pack (preview and up
        only), ``events`` collects the engine events, and ``program_override``
        replaces the inline program for this one operation.
        """
        assert self.stack is not None
        path, handle, write = self._output_log(log_name)
        options: dict[str, Any] = {"on_output": write, "color": "never"}
        if events is not None:
            options["on_event"] = events.append
        if operation in ("preview", "up"):
            options["diff"] = True
            if with_policy_pack:
                options["policy_packs"] = [str(policy_pack.POLICY_PACK)]
            if program_override is not None:
                options["program"] = program_override
        elif with_policy_pack or program_override is not None:
            raise ValueError(f"pulumi {operation} takes neither a policy pack nor another program")
        try:
            if operation == "preview":
                return self.stack.preview(**options)
            if operation == "up":
                return self.stack.up(**options)
            if operation == "destroy":
                return self.stack.destroy(**options)
            raise ValueError(f"unknown operation {operation}")
        except auto.CommandError as error:
            # The engine's diagnostics (the failed command's output) are on stderr.
            stderr = str(error).partition("\n stderr: ")[2]
            stderr_path = self.logs / f"{log_name}.stderr.log"
            stderr_path.write_text(stderr)
            last_lines = "\n".join(line[:400] for line in stderr.strip().splitlines()[-15:])
            # A policy violation appears only in the output and the events, not on stderr.
            violations = [v.describe() for v in policy_pack.violations(events or [])]
            reported = f"\npolicy violations: {violations}" if violations else ""
            raise AssertionError(
                f"pulumi {operation} failed; output in {path}, errors in {stderr_path}; last error lines:\n"
                f"{last_lines}{reported}") from None
        finally:
            handle.close()

    def outputs(self) -> dict[str, Any]:
        assert self.stack is not None
        return {key: value.value for key, value in self.stack.outputs().items()}

    def state_file(self) -> Path:
        matches = list((self.run_dir / "state" / ".pulumi" / "stacks").rglob(f"{STACK_NAME}.json"))
        if len(matches) != 1:
            raise AssertionError(f"expected one state file for stack {STACK_NAME}, found {matches}")
        return matches[0]

    # ------------------------------------------------------------ cluster access

    def kubectl_json(self, *args: str) -> dict[str, Any]:
        """Run kubectl with the stack's kubeconfig output from the controller."""
        kubeconfig = self.run_dir / "kubeconfig.e2e"
        kubeconfig.write_text(self.outputs()["kubeconfig"])
        kubeconfig.chmod(0o600)
        result = subprocess.run([str(self.bin_dir / "kubectl"), "--kubeconfig", str(kubeconfig),
                                 "--request-timeout=20s", *args, "-o", "json"],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return json.loads(result.stdout)

    def install_records(self, node_name: str) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted((self.records / node_name).glob("*-install.json"))]

    def kubectl_log(self, node_name: str) -> list[str]:
        path = self.records / node_name / "kubectl.log"
        return path.read_text().splitlines() if path.exists() else []

    # ------------------------------------------------------------ teardown

    def close(self) -> None:
        self.installer.stop()
        self.topology.destroy()


def timed(function, *args, **kwargs) -> tuple[Any, float]:
    started = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - started
