"""Keep secrets out of error messages.

Config errors show the offending value, and a value can be or contain a
secret: a token in a K3s flag, a private key in a section written as a list,
cloud credentials pasted into a vm block. ``redact`` replaces every secret at
any depth, and ``format_value`` prints the result, shortening long lists,
mappings and strings so one bad value cannot flood the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Shown in place of a secret value.
SECRET_PLACEHOLDER = "<secret>"

# A mapping key is secret when its name, lowercased and without '-' and '_',
# contains one of these words: the K3s token, SSH private keys, and the cloud
# credential keys (accessKey, secretKey, secretId, securityToken).
_SECRET_KEY_WORDS = ("token", "secret", "password", "passwd", "privatekey", "accesskey",
                     "credential")

# Flags and environment variables whose value is a secret, such as
# --token=abc, --agent-token abc, --token-file=/path, K3S_TOKEN=abc.
_SECRET_FLAG_RE = re.compile(r"(--[A-Za-z0-9-]*token[A-Za-z0-9-]*)(=|\s+)(?!-)(\S+)", re.IGNORECASE)
_SECRET_ENV_RE = re.compile(r"\b([A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD)[A-Z0-9_]*=)(\S+)")
# A PEM or OpenSSH private key block, complete or cut off.
_PRIVATE_KEY_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
                             re.DOTALL)
# user:password@ in a URL.
_URL_USERINFO_RE = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)

# Limits of format_value: items shown per list or mapping, nesting depth and
# characters per string.
MAX_ITEMS = 4
MAX_DEPTH = 2
MAX_STRING = 120


def is_secret_key(key: Any) -> bool:
    """True when a mapping key names a secret (token, sshPrivateKey, secretKey, ...)."""
    if not isinstance(key, str):
        return False
    normalized = key.lower().replace("-", "").replace("_", "")
    return any(word in normalized for word in _SECRET_KEY_WORDS)


def redact_text(text: str) -> str:
    """Replace private keys, token flags, secret variables and URL passwords in ``text``."""
    text = _PRIVATE_KEY_RE.sub(SECRET_PLACEHOLDER, text)
    text = _SECRET_FLAG_RE.sub(lambda match: f"{match.group(1)}{match.group(2)}{SECRET_PLACEHOLDER}", text)
    text = _SECRET_ENV_RE.sub(lambda match: f"{match.group(1)}{SECRET_PLACEHOLDER}", text)
    return _URL_USERINFO_RE.sub(lambda match: f"{match.group(1)}{SECRET_PLACEHOLDER}@", text)


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with every secret replaced by SECRET_PLACEHOLDER.

    Values under secret keys are replaced whole, whatever their type; strings
    anywhere lose their token flags, private keys and URL passwords.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: SECRET_PLACEHOLDER if is_secret_key(key) else redact(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


def format_value(value: Any) -> str:
    """Print ``value`` like ``repr`` after redaction, shortened when it is long."""
    return _format(redact(value), 0)


def _format(value: Any, depth: int) -> str:
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return repr(value[:MAX_STRING] + "...")
        return repr(value)
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return "{...}" if value else "{}"
        items = [f"{_format(key, depth + 1)}: {_format(item, depth + 1)}"
                 for key, item in list(value.items())[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"... ({len(value) - MAX_ITEMS} more)")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return "[...]" if value else "[]"
        items = [_format(item, depth + 1) for item in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"... ({len(value) - MAX_ITEMS} more)")
        return "[" + ", ".join(items) + "]"
    return repr(value)
