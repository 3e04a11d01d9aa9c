"""Choose English or Chinese for user-facing text from the process locale."""

from __future__ import annotations

import os

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def current_locale() -> str:
    """Return "zh" when the first set locale variable names Chinese, else "en".

    The order follows POSIX precedence: LC_ALL overrides LC_MESSAGES, which
    overrides LANG. ``K3SMC_LANG`` (``en`` or ``zh``) overrides all of them, so
    a CI job can pin the language without changing the system locale.
    """
    forced = os.environ.get("K3SMC_LANG", "").strip().lower()
    if forced in ("en", "zh"):
        return forced
    for variable in _LOCALE_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def pick(en: str, zh: str, locale: str | None = None) -> str:
    """Return the text for ``locale`` (default: the process locale)."""
    return zh if (locale or current_locale()) == "zh" else en
