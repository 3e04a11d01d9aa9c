"""Syntax rules for names: hostnames, locations, SSH users, labels and taints."""

from __future__ import annotations

import re

# RFC 1123 label: lowercase letters, digits and '-', starting and ending with
# a letter or digit, at most 63 characters. Kubernetes node names and K3s
# hostnames follow this rule, optionally as dot-separated labels.
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
HOSTNAME_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
DNS_LABEL_RE = re.compile(rf"^{_LABEL}$")
HOSTNAME_MAX = 253

# useradd's default NAME_REGEX on Debian and Ubuntu.
SSH_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")

# Kubernetes label and taint keys: an optional DNS subdomain prefix and a name.
_QUALIFIED_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
LABEL_KEY_RE = re.compile(rf"^({_LABEL}(\.{_LABEL})*/)?{_QUALIFIED_NAME}$")
LABEL_VALUE_RE = re.compile(rf"^({_QUALIFIED_NAME})?$")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def is_hostname(name: str) -> bool:
    return len(name) <= HOSTNAME_MAX and HOSTNAME_RE.match(name) is not None


def hostname_suggestion(name: str) -> str:
    """Turn ``name`` into a close RFC 1123 hostname (``Bd_2`` -> ``bd-2``)."""
    lowered = re.sub(r"[^a-z0-9.-]+", "-", name.lower())
    labels = [label.strip("-")[:63].strip("-") for label in lowered.split(".")]
    suggestion = ".".join(label for label in labels if label)
    return suggestion[:HOSTNAME_MAX].strip(".-") or "node-1"


def is_dns_label(name: str) -> bool:
    return DNS_LABEL_RE.match(name) is not None


def is_label_key(key: str) -> bool:
    return len(key) <= HOSTNAME_MAX + 64 and LABEL_KEY_RE.match(key) is not None


def is_label_value(value: str) -> bool:
    return LABEL_VALUE_RE.match(value) is not None


def parse_taint(text: str) -> tuple[str, str, str] | None:
    """Split ``key[=value]:Effect`` into its parts, or return None when malformed."""
    if ":" not in text:
        return None
    head, effect = text.rsplit(":", 1)
    key, _, value = head.partition("=")
    if effect not in TAINT_EFFECTS or not is_label_key(key) or not is_label_value(value):
        return None
    return key, value, effect
