"""What can be edited live: every entity's fields with their type and limits.

This table is the single place that decides which fields exist, how long a text may be and
which values a choice accepts; the server validates against it and the browser renders from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .models import (
    ACTION_STATUSES,
    CHILD_PARTICIPATION,
    CONSENT_FORMS,
    GOAL_KINDS,
    LEAD_PRINCIPALS,
    OTHERS_PART,
    PRINCIPALS,
    REVIEW_OUTCOMES,
)

MAX_ITEMS = {"goal": 30, "action": 100, "consent": 10}
MAX_OP_ID = 64
# Every date of a plan lies in this span; a year outside it is a typing mistake, such as the
# "0002" a browser's date field holds while the year is being typed.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Field:
    """One editable field: its type ("text", "line", "date", "choice" or "ref") and limits."""

    type: str
    max: int = 0
    choices: tuple[str, ...] = ()
    ref: str = ""  # the entity a "ref" field points to

    def describe(self) -> dict[str, Any]:
        """Describe the field for the browser."""
        out: dict[str, Any] = {"type": self.type}
        if self.max:
            out["max"] = self.max
        if self.choices:
            out["choices"] = list(self.choices)
        if self.ref:
            out["ref"] = self.ref
        if self.type == "date":
            out.update(min=FIRST_DAY.isoformat(), max=LAST_DAY.isoformat())
        return out

    @property
    def mergeable(self) -> bool:
        """Tell whether concurrent edits of this field can be merged line by line."""
        return self.type == "text"


def _text(n: int) -> Field:
    return Field("text", n)


def _line(n: int) -> Field:
    return Field("line", n)


DATE = Field("date")

SCHEMA: dict[str, dict[str, Field]] = {
    "meeting": {"questions": _text(4000)},
    "plan": {
        "situation_works": _text(4000),
        "situation_difficult": _text(4000),
        "child_voice": _text(4000),
        "child_participation": Field("choice", choices=CHILD_PARTICIPATION),
        "child_views_brought_by": _line(200),
        "child_told_by": _line(200),
        "strengths": _text(4000),
        "lead_principal": Field("choice", choices=LEAD_PRINCIPALS),
        "lead_person": _line(200),
        "contact_between": _text(2000),
        "followup_date": DATE,
        "followup_form": _line(200),
        "followup_convener": _line(200),
        # The follow-up's review: did the child's situation change as intended?
        "review_situation_change": _text(4000),
        # "none": no one but the municipality and the region has a part in the plan.
        "others_part": Field("choice", choices=OTHERS_PART),
    },
    "goal": {"kind": Field("choice", choices=GOAL_KINDS), "text": _text(1000)},
    "action": {
        "what": _text(1000),
        "responsible_participant_id": Field("ref", ref="participant"),
        "responsible": _line(200),
        "organisation": _line(120),
        "principal": Field("choice", choices=PRINCIPALS),
        "due_date": DATE,
        "decision_date": DATE,
        "when_note": _line(200),
        "status": Field("choice", choices=ACTION_STATUSES),
        "goal_id": Field("ref", ref="goal"),
        "depends_on_id": Field("ref", ref="action"),
        "family_part": _text(1000),
        "condition_fallback": _text(1000),
        # The follow-up's review of an earlier action, and of its accepted condition.
        "review_outcome": Field("choice", choices=REVIEW_OUTCOMES),
        "review_comment": _text(1000),
        "condition_review": _text(1000),
    },
    "consent": {
        "given_by": _line(200),
        "form": Field("choice", choices=CONSENT_FORMS),
        "given_at": DATE,
        "organisations": _text(1000),
        "information": _text(1000),
        "exclusions": _text(1000),
        "valid_until": DATE,
        # A withdrawal of the consent: when, by whom, and what it covers ("" for all of it).
        "withdrawn_at": DATE,
        "withdrawn_by": _line(200),
        "withdrawn_scope": _text(1000),
    },
}
LIST_ENTITIES = ("goal", "action", "consent")
# Fields a child may write: their own voice, in their own words.
CHILD_FIELDS = {("plan", "child_voice")}


class InvalidValue(ValueError):
    """A value that does not fit its field; args[0] is a message key, args[1] its parameters."""


def field_for(entity: str, name: str) -> Field:
    """Return a field of the schema or raise InvalidValue."""
    try:
        return SCHEMA[entity][name]
    except (KeyError, TypeError):
        raise InvalidValue("unknown_field", {}) from None


def clean(field: Field, value: Any) -> Any:
    """Validate a value sent by a browser and convert it to what the database stores."""
    if field.type in ("text", "line"):
        if not isinstance(value, str):
            raise InvalidValue("not_text", {})
        value = _strip_controls(value, keep_newlines=field.type == "text")
        if len(value) > field.max:
            raise InvalidValue("too_long", {"max": field.max})
        return value if field.type == "text" else value.strip()
    if field.type == "choice":
        if value not in ("", *field.choices):
            raise InvalidValue("bad_choice", {})
        return value
    if field.type == "date":
        return _clean_date(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("bad_ref", {})
    return value


def _clean_date(value: Any) -> date | None:
    # Only year-month-day: fromisoformat alone also reads a week date such as "2027-W06-5".
    if value in ("", None):
        return None
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise InvalidValue("bad_date", {})
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidValue("bad_date", {}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue("date_range", {"first": FIRST_DAY.isoformat(),
                                          "last": LAST_DAY.isoformat()})
    return day


# A regular expression rather than str.translate, which looks up every character in a dict:
# 25 µs for 200 characters and 0.5 ms for 4000, on every edit of a text.
_CONTROLS = re.compile("[\x00-\x1f\x7f]")
_CONTROLS_EXCEPT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # keeps tab and newline
_BREAKS = re.compile("[\t\n\v\f\r]+")


def _strip_controls(text: str, keep_newlines: bool) -> str:
    """Drop control characters that would corrupt a document or a calendar file.

    In a one-line field a tab or a line break (pasted from a table, say) becomes a space.
    """
    if not keep_newlines:
        return _CONTROLS.sub("", _BREAKS.sub(" ", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS_EXCEPT_LINES.sub("", text)


def to_wire(field: Field, value: Any) -> Any:
    """Convert a stored value to what the browser receives."""
    if field.type == "ref":
        return value
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def plain_values(entity: str, row: Any) -> dict[str, Any]:
    """Return a row's live fields as the browser sees them, with its id."""
    return {"id": row.id, **{name: to_wire(field, getattr(row, name))
                             for name, field in SCHEMA[entity].items()}}


def versioned_values(entity: str, row: Any) -> dict[str, dict[str, Any]]:
    """Return a row's live fields as {value, version}, for editing."""
    return {name: {"value": to_wire(field, getattr(row, name)), "version": row.version_of(name)}
            for name, field in SCHEMA[entity].items()}


def describe_schema() -> dict[str, dict[str, Any]]:
    """Describe every entity's fields for the browser."""
    return {entity: {name: f.describe() for name, f in fields.items()}
            for entity, fields in SCHEMA.items()}
