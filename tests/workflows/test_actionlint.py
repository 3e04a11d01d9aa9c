"""Lint the GitHub workflows with actionlint and pin what they must do.

actionlint is built from the Go module pinned in tools/actionlint (the first
run downloads and compiles it, later runs reuse the cached binary). When
Debian's shellcheck is on PATH, actionlint also checks every `run:` script.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
PREVIEW = WORKFLOWS / "preview.yml"
UP = WORKFLOWS / "up.yml"
BUILD_SCRIPT = REPO_ROOT / "tools" / "actionlint" / "build.sh"

# owner/repo@vN, @vN.N or @vN.N.N: a release tag, never a branch.
_PINNED_ACTION_RE = re.compile(r"^[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}$")


@pytest.fixture(scope="module")
def actionlint() -> str:
    if shutil.which("go") is None:
        pytest.skip("Go is not installed, so actionlint cannot be built from tools/actionlint")
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=900,
                            check=False)
    assert result.returncode == 0, f"building actionlint failed:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def run_actionlint(binary: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "-no-color", *map(str, files)], capture_output=True,
                          text=True, timeout=120, check=False)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_workflows_pass_actionlint(actionlint):
    result = run_actionlint(actionlint, PREVIEW, UP)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("runs-on: ubuntu-24.04", "runs-on:", "runs-on", id="empty-runs-on"),
    pytest.param("needs: test", "needs: tests", "needs", id="unknown-job"),
    pytest.param("${{ env.PULUMI_STACK }}", "${{ env.PULUMI_STACK }", "expression",
                 id="broken-expression"),
    pytest.param("uses: actions/checkout@v6", "uses: actions/checkout", "ref",
                 id="action-without-ref"),
])
def test_broken_copy_fails_actionlint(actionlint, tmp_path, old, new, expected):
    text = PREVIEW.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "preview.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")

    result = run_actionlint(actionlint, broken)

    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout


def test_unsafe_shell_fails_actionlint(actionlint, tmp_path):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed, so actionlint skips run: scripts")
    text = PREVIEW.read_text(encoding="utf-8")
    old = 'pulumi stack select "$PULUMI_STACK"'
    assert old in text
    broken = tmp_path / "preview.yml"
    broken.write_text(text.replace(old, "pulumi stack select $PULUMI_STACK", 1), encoding="utf-8")

    result = run_actionlint(actionlint, broken)

    assert result.returncode == 1
    assert "SC2086" in result.stdout


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_actions_pinned_to_release_tags(path):
    steps = [step for job in load(path)["jobs"].values() for step in job["steps"]]
    actions = [step["uses"] for step in steps if "uses" in step]

    assert actions
    for action in actions:
        assert _PINNED_ACTION_RE.match(action), action


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_secrets_come_from_repository_secrets(path):
    text = path.read_text(encoding="utf-8")
    secret_names = ("PULUMI_CONFIG_PASSPHRASE", "AWS_SECRET_ACCESS_KEY", "ALICLOUD_SECRET_KEY",
                    "TENCENTCLOUD_SECRET_KEY", "HW_SECRET_KEY", "SSH_PRIVATE_KEY")

    for name in secret_names:
        assignments = re.findall(rf"^\s+{name}: (.+)$", text, flags=re.MULTILINE)
        assert assignments, name
        for value in assignments:
            assert value.startswith("${{ secrets."), f"{name}: {value}"


def test_preview_comments_diff_on_pull_requests():
    workflow = load(PREVIEW)
    preview_step = next(step for step in workflow["jobs"]["preview"]["steps"]
                        if step.get("with", {}).get("command") == "preview")

    assert "pull_request" in workflow[True]  # PyYAML reads the key `on` as True.
    assert workflow["jobs"]["preview"]["needs"] == "test"
    assert workflow["jobs"]["preview"]["permissions"]["pull-requests"] == "write"
    assert preview_step["with"]["comment-on-pr"] is True
    assert preview_step["with"]["diff"] is True
    assert preview_step["with"]["policyPacks"] == "policy"


def test_up_runs_on_main_behind_production():
    workflow = load(UP)
    up_job = workflow["jobs"]["up"]
    up_step = next(step for step in up_job["steps"]
                   if step.get("with", {}).get("command") == "up")

    assert workflow[True]["push"]["branches"] == ["main"]
    assert up_job["environment"] == "production"
    assert up_job["needs"] == "test"
    assert up_step["with"]["policyPacks"] == "policy"


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_tests_run_with_pinned_requirements(path):
    test_job = load(path)["jobs"]["test"]
    commands = [step.get("run", "") for step in test_job["steps"]]
    python = next(step for step in test_job["steps"]
                  if step.get("uses", "").startswith("actions/setup-python@"))

    assert python["with"]["python-version"] == "3.11"
    assert any(".venv/bin/python -m pip install -r requirements-dev.txt" in command
               for command in commands)
    assert "make test" in commands
