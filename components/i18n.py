"""Choose English or Chinese for user-facing text from the process locale."""

from __future__ import annotations

import os

# POSIX precedence: LC_ALL overrides LC_MESSAGES, which overrides LANG.
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
# Locale names under which GNU gettext ignores LANGUAGE.
_PLAIN_LOCALES = ("C", "POSIX")
LANGUAGES = ("en", "zh")


def current_locale() -> str:
    """Return "zh" or "en" for messages, following GNU gettext's rules.

    1. ``K3SMC_LANG`` wins when its value starts with ``zh`` or ``en`` (any
       case, so ``zh_CN`` and ``EN_us`` work), so a CI job can pin the
       language without changing the system locale. Other values are ignored.
    2. The locale is the first non-empty of LC_ALL, LC_MESSAGES and LANG.
       When it is set and is not C or POSIX, ``LANGUAGE`` (a colon-separated
       list such as ``zh_CN:en``) comes first, as in GNU gettext: its first
       entry that starts with zh or en decides.
    3. Otherwise the locale decides: "zh" when it starts with zh, else "en".
    """
    forced = _language_of(os.environ.get("K3SMC_LANG", ""))
    if forced is not None:
        return forced

    locale = next((value.strip() for value in map(os.environ.get, _LOCALE_VARIABLES)
                   if value and value.strip()), "")
    if locale and locale not in _PLAIN_LOCALES:
        for entry in os.environ.get("LANGUAGE", "").split(":"):
            language = _language_of(entry)
            if language is not None:
                return language
    return "zh" if locale.lower().startswith("zh") else "en"


def _language_of(value: str) -> str | None:
    """Return "zh" or "en" when ``value`` names one of them (zh, zh_CN.UTF-8, en_US), else None."""
    lowered = value.strip().lower()
    for language in LANGUAGES:
        if lowered.startswith(language):
            return language
    return None


def pick(en: str, zh: str, locale: str | None = None) -> str:
    """Return the text for ``locale`` (default: the process locale)."""
    return zh if (locale or current_locale()) == "zh" else en
