"""The engine's value types: findings, rule texts, the loaded rule set and its memory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LANGS = ("sv", "en")
SEVERITIES = ("blocker", "warning", "advice")
PLACEHOLDERS = frozenset({"phrase", "party", "count"})


class RuleError(Exception):
    """A rules file is missing, unreadable or invalid; the text names the file and the problem."""


@dataclass(frozen=True)
class Finding:
    """One thing the chair may want to ask about, pointing at a plan item and maybe a span."""

    rule: str
    severity: str
    section: str
    item_id: int | None
    field: str
    start: int | None
    end: int | None
    phrase: str
    message: str
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as a plain dict, ready for JSON."""
        # Field by field: dataclasses.asdict deep-copies every value and is slow here.
        return {"rule": self.rule, "severity": self.severity, "section": self.section,
                "item_id": self.item_id, "field": self.field, "start": self.start,
                "end": self.end, "phrase": self.phrase, "message": self.message,
                "suggestion": self.suggestion}


@dataclass(frozen=True)
class RuleText:
    """A rule's severities and its message and suggestion in every reader language."""

    severity: str
    severity_at_close: str
    message: dict[str, str]
    suggestion: dict[str, str]


@dataclass(frozen=True)
class Span:
    """A text-level hit: rule id and character offsets into the checked text."""

    rule: str
    start: int
    end: int


class Memory:
    """Values remembered by key in two generations, at most twice `size` of them.

    A key looked up in the current or the previous generation is kept; when the current one
    is full it becomes the previous one, and what was not looked up since is forgotten. So
    the texts of plans being checked stay, and those typed over fall away. Safe without a lock
    (each step is one dictionary operation or one assignment): at worst a value is computed
    again.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.current: dict[Any, Any] = {}
        self.previous: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self.current) + len(self.previous)

    def get(self, key: Any) -> Any:
        """Return the value remembered for key, or None."""
        value = self.current.get(key)
        if value is None:
            value = self.previous.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key: Any, value: Any) -> None:
        """Remember value for key."""
        if len(self.current) >= self.size:
            self.previous, self.current = self.current, {}
        self.current[key] = value

    def clear(self) -> None:
        """Forget everything."""
        self.previous, self.current = {}, {}


@dataclass(frozen=True)
class Rules:
    """A validated, compiled rule set: thresholds, texts, word lists and text detectors."""

    thresholds: dict[str, int]
    texts: dict[str, RuleText]
    words: dict[str, frozenset[str]]
    detector: Any
    vague_time: re.Pattern[str]
    sources: tuple[str, ...] = field(default=())
    # The span hits of texts already checked (see lint.text_spans). They do not depend on the
    # reader's language, and a live meeting checks the same texts again every few seconds.
    span_memory: Memory = field(default_factory=lambda: Memory(8192), compare=False, repr=False)

    def severity(self, rule: str, at_close: bool = False) -> str:
        """Return the rule's severity, using the stricter one when the plan is being closed."""
        text = self.texts[rule]
        return text.severity_at_close if at_close else text.severity

    def finding(self, rule: str, lang: str, *, at_close: bool = False, **where: Any) -> Finding:
        """Build a finding for `rule` worded for a reader of `lang`."""
        params = {"phrase": where.get("phrase", ""), "party": where.pop("party", ""),
                  "count": where.pop("count", "")}
        text = self.texts[rule]
        lang = lang if lang in LANGS else LANGS[0]
        return Finding(
            rule=rule,
            severity=self.severity(rule, at_close),
            section=where.get("section", "plan"),
            item_id=where.get("item_id"),
            field=where.get("field", ""),
            start=where.get("start"),
            end=where.get("end"),
            phrase=params["phrase"],
            message=text.message[lang].format(**params),
            suggestion=text.suggestion[lang].format(**params),
        )
