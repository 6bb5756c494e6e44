"""The meeting order: the fixed steps of a SIP meeting, kept as data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ORDER_FILE = Path(__file__).with_name("meeting_order.toml")


@dataclass(frozen=True)
class Step:
    """One step of the meeting order with its texts per language."""

    id: str
    title: dict[str, str]
    summary: dict[str, str]
    sections: tuple[str, ...]

    def text(self, lang: str) -> tuple[str, str]:
        """Return the title and summary in a language, falling back to Swedish."""
        return self.title.get(lang, self.title["sv"]), self.summary.get(lang, self.summary["sv"])


@cache
def meeting_order(kind: str = "first") -> tuple[Step, ...]:
    """Return the steps of a first meeting or of a follow-up, loaded once."""
    data = tomllib.loads(ORDER_FILE.read_text(encoding="utf-8"))
    return tuple(
        Step(s["id"], s["title"], s["summary"], tuple(s["sections"]))
        for s in data["steps"] if kind in s.get("kinds", ("first", "followup"))
    )
