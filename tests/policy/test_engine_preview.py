"""Run the policy pack under the real Pulumi engine with `pulumi preview`.

The CLI and the command provider come from the cache that
scripts/build-tools.sh fills. That CLI has no Python language host, so the
program runs inline through the Automation API and the pack runs through
policy/run-pack.sh. The stack only registers pulumi-command resources: a
preview never connects to their host (127.0.0.1), it only checks inputs.
"""

import sys
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto
from pulumi_command import remote

from policy_fakes import POLICY_DIR

from tests.built_tools import built_tools_dir

PINNED_INSTALL = ("curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2Bk3s1/"
                  "install.sh | INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -s - server")
FLOATING_INSTALL = "curl -sfL https://get.k3s.io | INSTALL_K3S_CHANNEL=latest sh -s - server"


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    return built_tools_dir("pulumi", "pulumi-resource-command")


def make_stack(tmp_path: Path, bin_dir: Path, install_command: str) -> auto.Stack:
    def program() -> None:
        remote.Command(
            "install-k3s-ty1",
            connection=remote.ConnectionArgs(host="127.0.0.1", user="root"),
            create=install_command,
        )
        pulumi.export("installer", "install-k3s-ty1")

    env = {
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        # Test-only passphrase of the file backend's secrets provider.
        "PULUMI_CONFIG_PASSPHRASE": "k3smc-policy-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "K3SMC_POLICY_PYTHON": sys.executable,
        "K3SMC_LANG": "en",
    }
    (tmp_path / "state").mkdir()
    options = auto.LocalWorkspaceOptions(
        work_dir=str(tmp_path),
        pulumi_home=env["PULUMI_HOME"],
        env_vars=env,
        pulumi_command=auto.PulumiCommand(root=str(bin_dir.parent), skip_version_check=True),
        project_settings=auto.ProjectSettings(
            name="k3smc-policy-test", runtime="python",
            backend=auto.ProjectBackend(url=env["PULUMI_BACKEND_URL"])),
    )
    return auto.create_or_select_stack(stack_name="policy", project_name="k3smc-policy-test",
                                       program=program, opts=options)


def preview(stack: auto.Stack) -> str:
    lines: list[str] = []
    stack.preview(policy_packs=[str(POLICY_DIR / "run-pack.sh")], on_output=lines.append)
    return "\n".join(lines)


def test_preview_with_pinned_install_passes(tmp_path, bin_dir):
    output = preview(make_stack(tmp_path, bin_dir, PINNED_INSTALL))

    assert "k3s-multicloud@v0.1.0" in output
    assert "mandatory" not in output


def test_preview_with_floating_install_is_stopped(tmp_path, bin_dir):
    stack = make_stack(tmp_path, bin_dir, FLOATING_INSTALL)

    with pytest.raises(auto.errors.CommandError) as error:
        preview(stack)

    message = str(error.value)
    assert "k3s-version-pinned" in message
    assert "mandatory" in message
    assert "INSTALL_K3S_CHANNEL" in message


def test_policy_pack_config_lowers_policy_to_advisory(tmp_path, bin_dir):
    # The documented way to accept a known exception: a reviewed config file.
    config = tmp_path / "policy-config.json"
    config.write_text('{"k3s-version-pinned": "advisory"}')
    stack = make_stack(tmp_path, bin_dir, FLOATING_INSTALL)
    lines: list[str] = []

    stack.preview(policy_packs=[str(POLICY_DIR / "run-pack.sh")],
                  policy_pack_configs=[str(config)], on_output=lines.append)

    output = "\n".join(lines)
    assert "[advisory]" in output
    assert "k3s-version-pinned" in output
