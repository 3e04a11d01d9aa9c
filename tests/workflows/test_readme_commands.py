"""Run the README's stack commands with the real Pulumi CLI.

The commands run in a copy of Pulumi.yaml, with a temporary HOME and
PULUMI_HOME, inside a new network namespace. So a command that reached for
Pulumi Cloud in place of the local file backend fails here without sending
anything, and no cloud is involved. The CLI comes from scripts/build-tools.sh
and has no Python language host, so `pulumi preview` stops after the stack
config check, which is the part these tests need.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.built_tools import built_tools_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
READMES = [REPO_ROOT / "README.md", REPO_ROOT / "README.zh-CN.md"]
STACK = "mystack"
# Not a real key: `pulumi config set` stores any text.
KEY_TEXT = "-----BEGIN OPENSSH PRIVATE KEY-----\nreadme-test-key\n-----END OPENSSH PRIVATE KEY-----\n"
TYPE_ERROR = "configuration key 'adminCidrs' must be of type 'array<string>'"


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    directory = built_tools_dir("pulumi")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to run the CLI in a network namespace of its own")
    return directory


def sh_blocks(readme: Path) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", readme.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


def commands(block: str) -> list[str]:
    """Return the block's command lines without trailing comments."""
    lines = [re.sub(r"\s+# .*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line]


def own_stack_commands(readme: Path) -> list[str]:
    [block] = [block for block in sh_blocks(readme)
               if f"pulumi stack select --create {STACK}" in block]
    return commands(block)


def admin_cidrs_commands(readme: Path) -> list[str]:
    [block] = [block for block in sh_blocks(readme) if "'adminCidrs[0]'" in block]
    return commands(block)


class Shell:
    """A temporary project, HOME and PULUMI_HOME in which README lines run."""

    def __init__(self, root: Path, bin_dir: Path):
        self.home = root / "home"
        self.project = root / "project"
        (self.home / ".ssh").mkdir(parents=True)
        self.project.mkdir()
        (self.home / ".ssh" / "id_ed25519").write_text(KEY_TEXT)
        shutil.copy(REPO_ROOT / "Pulumi.yaml", self.project / "Pulumi.yaml")
        self.env = {
            "HOME": str(self.home),
            "PULUMI_HOME": str(self.home / ".pulumi"),
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }

    def run(self, lines: list[str]) -> subprocess.CompletedProcess:
        script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
        return subprocess.run(["unshare", "--net", "bash", "-c", script], cwd=self.project,
                              env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120, check=False)


def steps_before_make_up(readme: Path) -> list[str]:
    lines = own_stack_commands(readme)
    return lines[:lines.index(f"make up STACK={STACK}")]


def test_own_stack_commands_match_in_both_readmes():
    english, chinese = (own_stack_commands(readme) for readme in READMES)

    assert [line for line in english if "PASSPHRASE" not in line] == \
        [line for line in chinese if "PASSPHRASE" not in line]


def test_admin_cidrs_commands_match_in_both_readmes():
    english, chinese = (admin_cidrs_commands(readme) for readme in READMES)

    assert english == chinese


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_own_stack_steps_use_local_backend(tmp_path, bin_dir, readme):
    shell = Shell(tmp_path, bin_dir)
    steps = steps_before_make_up(readme)

    result = shell.run(steps)

    assert result.returncode == 0, result.stderr
    assert (shell.home / ".pulumi-local" / ".pulumi" / "stacks" / "k3s-multicloud" /
            f"{STACK}.json").is_file()
    stack_file = (shell.project / f"Pulumi.{STACK}.yaml").read_text()
    assert "secure:" in stack_file
    assert "readme-test-key" not in stack_file
    stored = shell.run([*steps[:2], f"pulumi config get sshPrivateKey --stack {STACK}"])
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout == KEY_TEXT


def test_own_stack_steps_need_backend_export(tmp_path, bin_dir):
    """Without the exported backend URL the same steps try to log in to Pulumi Cloud."""
    shell = Shell(tmp_path, bin_dir)
    steps = [line for line in steps_before_make_up(READMES[0])
             if not line.startswith("export PULUMI_BACKEND_URL=")]

    result = shell.run(steps)

    assert result.returncode != 0
    assert not (shell.home / ".pulumi-local" / ".pulumi").exists()


def preview_errors(shell: Shell, setup: list[str], config_lines: list[str]) -> str:
    result = shell.run([*setup, *config_lines, f"pulumi preview --stack {STACK} || true"])
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_admin_cidrs_command_passes_type_check(tmp_path, bin_dir, readme):
    shell = Shell(tmp_path, bin_dir)
    setup = steps_before_make_up(READMES[0])
    lines = admin_cidrs_commands(readme)

    output = preview_errors(shell, setup, lines)

    assert TYPE_ERROR not in output
    assert shell.run([*setup[:2], f"pulumi config get adminCidrs --stack {STACK}"]).stdout \
        .strip() == '["192.0.2.0/24","198.51.100.0/24"]'


def test_plain_admin_cidrs_set_fails_type_check(tmp_path, bin_dir):
    """The command the README warns about really fails, so the check above can fail."""
    shell = Shell(tmp_path, bin_dir)
    setup = steps_before_make_up(READMES[0])

    output = preview_errors(shell, setup, ["pulumi config set adminCidrs 192.0.2.0/24"])

    assert TYPE_ERROR in output


def skip_confirmations_line(readme: Path) -> str:
    [line] = [line for block in sh_blocks(readme) for line in commands(block)
              if "PULUMI_SKIP_CONFIRMATIONS" in line]
    return line


def run_make_up(shell: Shell, setup: list[str], line: str) -> str:
    """Run a README `make up` line against the repository's Makefile in the temp project."""
    for name in ("requirements.txt", "requirements-dev.txt", ".venv"):
        (shell.project / name).symlink_to(REPO_ROOT / name)
    make_line = line.replace("make ", f"make -f {REPO_ROOT / 'Makefile'} ", 1)
    result = shell.run([*setup, f"{make_line} || true"])
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_make_up_runs_without_terminal(tmp_path, bin_dir, readme):
    shell = Shell(tmp_path, bin_dir)
    setup = steps_before_make_up(READMES[0])[:2]

    output = run_make_up(shell, setup, skip_confirmations_line(readme))

    assert f"pulumi up --stack {STACK}" in output
    assert "must be passed in to proceed when running in non-interactive mode" not in output


def test_make_up_stops_without_terminal(tmp_path, bin_dir):
    """Without the variable the same command stops, so the check above can fail."""
    shell = Shell(tmp_path, bin_dir)
    setup = steps_before_make_up(READMES[0])[:2]

    output = run_make_up(shell, setup, f"make up STACK={STACK}")

    assert "must be passed in to proceed when running in non-interactive mode" in output
