"""Follow the README's state move with the real Pulumi CLI: export, init, import.

Two file backends stand in for the local backend and the shared bucket,
because the move uses the same commands for every backend URL. The check:
after the import the stack previews without changes, and its secret config
and secret output are still readable with the same passphrase, while the
exported file never contains them in plain text.
"""

import subprocess
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from tests.built_tools import built_tools_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "k3smc-state-test"
SECRET_CONFIG = "ssh-key-material-0f3a"
SECRET_OUTPUT = "kubeconfig-material-7c21"


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    return built_tools_dir("pulumi")


def program() -> None:
    config = pulumi.Config()
    pulumi.export("sshKeyLength", config.require_secret("sshPrivateKey").apply(len))
    pulumi.export("kubeconfig", pulumi.Output.secret(SECRET_OUTPUT))


def test_local_stack_moves_to_shared_backend(tmp_path, bin_dir):
    work_dir = tmp_path / "repo"
    work_dir.mkdir()
    env = {
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        # Test-only passphrase; the move needs the same one on both backends.
        "PULUMI_CONFIG_PASSPHRASE": "k3smc-state-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
    }
    local_backend = tmp_path / "local-state"
    shared_backend = tmp_path / "shared-state"
    local_backend.mkdir()
    shared_backend.mkdir()

    def cli(backend: Path, *args: str) -> str:
        result = subprocess.run([str(bin_dir / "pulumi"), *args, "--non-interactive"],
                                cwd=work_dir, env={**env, "PULUMI_BACKEND_URL": f"file://{backend}"},
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, f"pulumi {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    def workspace(backend: Path) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir), pulumi_home=env["PULUMI_HOME"],
            env_vars={**env, "PULUMI_BACKEND_URL": f"file://{backend}"},
            pulumi_command=auto.PulumiCommand(root=str(bin_dir.parent), skip_version_check=True),
            project_settings=auto.ProjectSettings(name=PROJECT, runtime="python"))

    stack = auto.create_or_select_stack(stack_name="dev", project_name=PROJECT,
                                        program=program, opts=workspace(local_backend))
    stack.set_config("sshPrivateKey", auto.ConfigValue(SECRET_CONFIG, secret=True))
    stack.up()

    cli(local_backend, "stack", "select", "dev")
    cli(local_backend, "stack", "export", "--file", "dev.state.json")
    exported = (work_dir / "dev.state.json").read_text()
    assert SECRET_OUTPUT not in exported
    assert SECRET_CONFIG not in exported

    cli(shared_backend, "stack", "init", "dev")
    cli(shared_backend, "stack", "import", "--file", "dev.state.json")

    moved = auto.select_stack(stack_name="dev", project_name=PROJECT, program=program,
                              opts=workspace(shared_backend))
    preview = moved.preview()
    assert set(preview.change_summary) == {"same"}
    assert cli(shared_backend, "stack", "output", "kubeconfig", "--show-secrets").strip() == \
        SECRET_OUTPUT
    assert cli(shared_backend, "config", "get", "sshPrivateKey").strip() == SECRET_CONFIG
    assert list(shared_backend.rglob("dev.json"))
