"""Shell scripts that run on the hosts, and the command text that runs them.

The scripts are real files next to this module so shellcheck and tests can run
them directly. ``render_remote_command`` embeds one script in the command text
that pulumi-command sends over SSH: the script itself and its settings appear
in ``pulumi preview`` diffs, and any change to either re-runs the step.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent

# Delimiter of the here-document that carries the script. A script line equal
# to it would end the document early, so render_script_command rejects it.
_HEREDOC_DELIMITER = "K3SMC_SCRIPT_EOF"


def read_script(name: str) -> str:
    """Return the text of ``components/scripts/<name>``."""
    path = SCRIPT_DIR / name
    if path.parent != SCRIPT_DIR or not path.is_file():
        raise FileNotFoundError(f"no script named {name!r} in {SCRIPT_DIR}")
    return path.read_text(encoding="utf-8")


def render_environment(environment: Mapping[str, str]) -> list[str]:
    """Render ``NAME=value`` words, sorted by name and shell-quoted.

    Only non-secret values belong here, because the command text is stored in
    the Pulumi state and shown in previews.
    """
    words = []
    for name in sorted(environment):
        if not name.isidentifier() or not name.isascii():
            raise ValueError(f"invalid environment variable name {name!r}")
        words.append(f"{name}={shlex.quote(str(environment[name]))}")
    return words


def render_remote_command(script_name: str, environment: Mapping[str, str], *, sudo: bool) -> str:
    """Render the command text that runs ``components/scripts/<script_name>`` on a host."""
    return render_script_command(script_name, read_script(script_name), environment, sudo=sudo)


def render_script_command(script_name: str, script: str, environment: Mapping[str, str], *,
                          sudo: bool) -> str:
    """Render the command text that runs the bash ``script`` on a host.

    The variables go on an ``env`` prefix because sshd drops environment
    variables it does not accept (``AcceptEnv``). The script travels in a
    quoted here-document, so the login shell expands nothing in it, and the
    command's stdin stays free for the script to read. With ``sudo`` the
    command runs through ``sudo -n``, which fails fast instead of prompting
    when the SSH user has no passwordless sudo.
    """
    if _HEREDOC_DELIMITER in script.splitlines():
        raise ValueError(f"{script_name} contains the line {_HEREDOC_DELIMITER}")

    launcher = "sudo -n env" if sudo else "env"
    header = " \\\n    ".join([launcher, *render_environment(environment)])
    body = script if script.endswith("\n") else script + "\n"
    return (
        f"{header} \\\n"
        f"    bash -c \"$(cat <<'{_HEREDOC_DELIMITER}'\n"
        f"{body}"
        f"{_HEREDOC_DELIMITER}\n"
        f")\" {shlex.quote(script_name)}\n"
    )
