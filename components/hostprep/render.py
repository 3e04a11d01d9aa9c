"""Pure rendering for host preparation: registries.yaml and the prepare command."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import yaml

from components.config.model import NodeConfig, RegistryMirror
from components.scripts import render_remote_command

PREPARE_SCRIPT = "prepare-host.sh"


def render_registries(mirrors: Sequence[RegistryMirror]) -> dict | None:
    """Build K3s registries.yaml as data, or None when no mirror is configured.

    Registries are sorted by name so the file, and its hash, do not depend on
    the order of the stack config.
    """
    if not mirrors:
        return None
    return {
        "mirrors": {
            mirror.registry: {"endpoint": list(mirror.endpoints)}
            for mirror in sorted(mirrors, key=lambda mirror: mirror.registry)
        }
    }


def registries_yaml(mirrors: Sequence[RegistryMirror]) -> str | None:
    data = render_registries(mirrors)
    if data is None:
        return None
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def registries_sha256(mirrors: Sequence[RegistryMirror]) -> str:
    """Return the sha256 of registries.yaml, or "none" without mirrors."""
    text = registries_yaml(mirrors)
    if text is None:
        return "none"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prepare_environment(node: NodeConfig, private_ip: str, *, registries_configured: bool) -> dict[str, str]:
    return {
        "NODE_NAME": node.name,
        "NODE_IP": private_ip,
        "REGISTRIES_CONFIGURED": "true" if registries_configured else "false",
    }


def render_prepare_command(node: NodeConfig, private_ip: str, *, registries_configured: bool, sudo: bool) -> str:
    """Render the command text of the prepare step; registries.yaml goes on stdin."""
    environment = prepare_environment(node, private_ip, registries_configured=registries_configured)
    return render_remote_command(PREPARE_SCRIPT, environment, sudo=sudo)
