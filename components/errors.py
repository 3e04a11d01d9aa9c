"""Collected, bilingual validation problems.

Validators append a ConfigIssue for every problem they find and keep going, so
the user sees all problems of one config in a single report. The program raises
ConfigErrors once, before it registers any resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.i18n import pick
from components.redaction import format_value, redact, redact_text


@dataclass(frozen=True)
class ConfigIssue:
    """One problem: where it is, what was found, and how to fix it."""

    # Field path in the stack config, e.g. "nodes[2].privateIp".
    path: str
    # The offending value as the user wrote it, with every secret replaced
    # (IssueCollector.add redacts it).
    value: Any
    # Problem and fix, in English and Chinese.
    message_en: str
    message_zh: str

    def render(self, locale: str | None = None) -> str:
        message = pick(self.message_en, self.message_zh, locale)
        return f"{self.path} = {format_value(self.value)}: {message}"


@dataclass
class IssueCollector:
    """Collector of config issues; ``raise_if_any`` raises them together as one ConfigErrors."""

    issues: list[ConfigIssue] = field(default_factory=list)

    def add(self, path: str, value: Any, en: str, zh: str) -> None:
        """Record one issue; secrets in the value and the messages are redacted here."""
        self.issues.append(ConfigIssue(path, redact(value), redact_text(en), redact_text(zh)))

    def raise_if_any(self, title_en: str = "invalid stack config",
                     title_zh: str = "栈配置无效", locale: str | None = None) -> None:
        if self.issues:
            raise ConfigErrors(tuple(self.issues), title_en, title_zh, locale)


class ConfigErrors(Exception):
    """All problems of one config, rendered together in the user's language."""

    def __init__(self, issues: tuple[ConfigIssue, ...],
                 title_en: str = "invalid stack config",
                 title_zh: str = "栈配置无效", locale: str | None = None) -> None:
        self.issues = issues
        self.title_en = title_en
        self.title_zh = title_zh
        # Language of str(error); None follows the process locale.
        self.locale = locale
        super().__init__(self.render())

    def render(self, locale: str | None = None) -> str:
        locale = locale or self.locale
        title = pick(self.title_en, self.title_zh, locale)
        count = len(self.issues)
        header = pick(f"{title}: {count} problem(s)", f"{title}：共 {count} 个问题", locale)
        lines = [header] + [f"  - {issue.render(locale)}" for issue in self.issues]
        return "\n".join(lines)
