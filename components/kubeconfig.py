"""Read the cluster's kubeconfig from the first server and make it usable remotely.

K3s writes /etc/rancher/k3s/k3s.yaml with the API server at
https://127.0.0.1:6443 and cluster, context and user all named "default".
``rewrite_kubeconfig`` edits that file as YAML data: it points the cluster at
the server's public address and names everything after the stack, so the file
can be merged with other kubeconfigs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import yaml
from pulumi_command import remote

from components.hostprep import connection_args, needs_sudo
from components.hosts import Host

K3S_KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml"


class KubeconfigError(ValueError):
    """The file read from the server is not the single-cluster kubeconfig K3s writes.

    Messages never quote the file, because it contains the admin credentials.
    """


def read_command(sudo: bool) -> str:
    """Return the shell command that prints the K3s kubeconfig (root-only, mode 600)."""
    prefix = "sudo -n " if sudo else ""
    return f"{prefix}cat {K3S_KUBECONFIG_PATH}"


def rewrite_kubeconfig(text: str, server_url: str, name: str) -> str:
    """Point the kubeconfig at ``server_url`` and rename cluster, context and user to ``name``.

    Raises KubeconfigError when ``text`` is not a kubeconfig with exactly one
    cluster, context and user, the shape K3s writes.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KubeconfigError(f"the kubeconfig from the server is not valid YAML{where}") from None
    if not isinstance(document, dict) or document.get("kind") != "Config":
        raise KubeconfigError("the file from the server is not a kubeconfig (kind: Config missing)")

    cluster = _single_entry(document, "clusters", "cluster")
    context = _single_entry(document, "contexts", "context")
    user = _single_entry(document, "users", "user")

    cluster["name"] = name
    cluster["cluster"]["server"] = server_url
    user["name"] = name
    context["name"] = name
    context["context"]["cluster"] = name
    context["context"]["user"] = name
    document["current-context"] = name

    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False)


def _single_entry(document: dict[str, Any], key: str, inner: str) -> dict[str, Any]:
    entries = document.get(key)
    if not isinstance(entries, list) or len(entries) != 1:
        count = len(entries) if isinstance(entries, list) else 0
        raise KubeconfigError(f"expected exactly one entry in {key}, found {count}")
    entry = entries[0]
    if not isinstance(entry, dict) or not isinstance(entry.get(inner), dict):
        raise KubeconfigError(f"the entry in {key} has no {inner} mapping")
    return entry


def read_kubeconfig(name: str, host: Host, server_installed: pulumi.Resource,
                    parent: pulumi.Resource | None = None) -> remote.Command:
    """Create the Command that reads k3s.yaml on ``host`` once K3s is installed there.

    stdout carries admin credentials, so it is a secret output and the
    command's output is not logged. A reinstall of the server replaces the
    install Command, and its new ID triggers a fresh read, because K3s may
    have written new certificates.
    """
    pulumi.log.info(f"Read the kubeconfig from server {host.name}")
    triggers = [server_installed.id] if isinstance(server_installed, pulumi.CustomResource) else None
    return remote.Command(
        name,
        connection=connection_args(host),
        create=read_command(needs_sudo(host)),
        triggers=triggers,
        logging=remote.Logging.NONE,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[server_installed],
            additional_secret_outputs=["stdout"],
        ),
    )


def server_kubeconfig(raw_kubeconfig: pulumi.Input[str], server_url: pulumi.Input[str],
                      name: str) -> pulumi.Output[str]:
    """Return the rewritten kubeconfig as a secret Output."""
    edited = pulumi.Output.all(raw_kubeconfig, server_url).apply(
        lambda values: rewrite_kubeconfig(values[0], values[1], name))
    return pulumi.Output.secret(edited)
