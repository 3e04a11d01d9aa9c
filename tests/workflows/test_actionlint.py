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
BUILD_TOOLS = REPO_ROOT / "scripts" / "build-tools.sh"
README = REPO_ROOT / "README.md"
README_ZH = REPO_ROOT / "README.zh-CN.md"

# A `uses:` line pinned to a commit, with the release that commit carries:
#   uses: actions/checkout@<40 hex digits> # v6.1.0
# A tag such as v6 or v6.1 moves to newer commits, and so does a branch. A
# commit id does not move, and the comment names its release for reviewers.
_USES_LINE_RE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>\s+#.*)?$")
_PINNED_REF_RE = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
_RELEASE_COMMENT_RE = re.compile(r"^\s+# v\d+\.\d+\.\d+$")


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
    pytest.param("uses: actions/checkout@", "uses: actions/checkout #", "ref",
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


def action_pin_problem(line: str) -> str | None:
    """Return why a workflow's `uses:` line is not pinned, or None when it is."""
    match = _USES_LINE_RE.match(line)
    if match is None:
        return f"not a uses: line: {line!r}"
    if not _PINNED_REF_RE.match(match["ref"]):
        return f"{match['ref']} is not owner/repo@<40-hex commit>"
    if not _RELEASE_COMMENT_RE.match(match["comment"] or ""):
        return f"{match['ref']} lacks a trailing '# vX.Y.Z' comment naming the release"
    return None


def uses_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if re.match(r"^\s*(?:-\s+)?uses:", line)]


@pytest.mark.parametrize("line", [
    "      - uses: actions/checkout@v6",
    "      - uses: actions/checkout@v6.1.0",
    "      - uses: actions/checkout@main",
    "      - uses: actions/checkout@releases/v6",
    "      - uses: actions/checkout@d23441a",
    "      - uses: actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803",
    "      - uses: actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803 # v6",
    "      - uses: actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803 # main",
    "        uses: pulumi/actions@v7 # v7.0.0",
], ids=["major-tag", "full-tag", "main", "branch", "short-sha", "no-comment", "major-comment",
        "branch-comment", "tag-with-comment"])
def test_unpinned_uses_line_rejected(line):
    assert action_pin_problem(line) is not None


def test_pinned_uses_line_accepted():
    line = "      - uses: actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803 # v6.1.0"

    assert action_pin_problem(line) is None


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_actions_pinned_to_commits(path):
    steps = [step for job in load(path)["jobs"].values() for step in job["steps"]]
    lines = uses_lines(path)

    assert lines
    assert len(lines) == sum("uses" in step for step in steps)
    for line in lines:
        assert action_pin_problem(line) is None, action_pin_problem(line)


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_one_commit_per_action(path):
    """Every step of one action uses the same commit, so an upgrade changes all of them."""
    refs: dict[str, set[str]] = {}
    for line in uses_lines(path):
        action, _, commit = _USES_LINE_RE.match(line)["ref"].partition("@")
        refs.setdefault(action, set()).add(commit)

    for action, commits in refs.items():
        assert len(commits) == 1, f"{action}: {sorted(commits)}"


def pulumi_steps(path: Path) -> list[dict]:
    steps = [step for job in load(path)["jobs"].values() for step in job["steps"]]
    return [step for step in steps if step.get("with", {}).get("command") in ("preview", "up")]


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_pulumi_step_suppresses_outputs(path):
    """Stack outputs contain the kubeconfig, so the CI log must not print them."""
    [step] = pulumi_steps(path)

    assert step["with"].get("suppress-outputs") is True


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_no_step_prints_stack_outputs(path):
    commands = [step.get("run", "") for job in load(path)["jobs"].values()
                for step in job["steps"]]

    for command in commands:
        assert "stack output" not in command, command
        assert "--show-secrets" not in command, command


def built_pulumi_version() -> str:
    match = re.search(r"^PULUMI_VERSION=v(\S+)$", BUILD_TOOLS.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    assert match, f"no PULUMI_VERSION=v... line in {BUILD_TOOLS}"
    return match[1]


@pytest.mark.parametrize("path", [PREVIEW, UP], ids=["preview", "up"])
def test_workflow_cli_matches_tested_cli(path):
    """CI runs the Pulumi CLI release that the integration test builds and the README names."""
    if not BUILD_TOOLS.is_file():
        pytest.skip("scripts/build-tools.sh is missing, so the tested CLI version is unknown")
    version = built_pulumi_version()

    assert load(path)["env"]["PULUMI_VERSION"] == version
    assert f"Pulumi {version} reads these options" in README.read_text(encoding="utf-8")
    assert f"Pulumi {version} 通过 gocloud.dev 读取这些选项" in README_ZH.read_text(encoding="utf-8")


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
