"""What the plan rules and the glossary say about the plan as it stands.

Annotations are derived state: they are recomputed from the committed plan after changes and
sent to every screen, never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from . import fields as F
from .db import Precompiled
from .models import Action, Consent, Goal, Meeting, Participant, Plan
from .rules import (
    Finding,
    Rules,
    accepted_conditions,
    check_plan,
    close_severities,
    completeness,
    is_overridden,
    load_rules,
)
from .rules import close_blockers as blockers_at_close

PLAN_TEXT_LANG = "sv"  # plans are written in Swedish; the glossary matches Swedish forms


def rules() -> Rules:
    """Return the rule set loaded at start-up."""
    return current_app.extensions["sip_rules"]


@dataclass(frozen=True)
class PlanRows:
    """What the rules and the glossary read: a meeting, its plan and the plan's lists.

    Built from ORM objects (``of``) or read as plain rows (``read``): both have the fields as
    attributes, which is all the checking needs.
    """

    meeting: Any
    plan: Any
    participants: Sequence[Any]
    goals: Sequence[Any]
    actions: Sequence[Any]
    consents: Sequence[Any]

    @classmethod
    def of(cls, meeting: Meeting) -> PlanRows:
        """Take the rows from a loaded meeting."""
        plan = meeting.plan
        return cls(meeting, plan, meeting.participants, plan.goals, plan.actions, plan.consents)

    @classmethod
    def read(cls, session: Session, meeting_id: int) -> PlanRows | None:
        """Read the rows with six precompiled statements, without building ORM objects.

        The live server rebuilds annotations every few seconds per meeting while someone
        writes; loading the meeting through the ORM cost six times as much as the checking.
        """
        meeting = _MEETING_ROW.first(session, {"meeting_id": meeting_id})
        if meeting is None:
            return None
        ids = {"meeting_id": meeting_id, "plan_id": meeting.plan_id}
        return cls(meeting, _PLAN_ROW.first(session, ids),
                   *(statement.execute(session, ids) for statement in _LIST_ROWS))


def _fields(model: Any, entity: str) -> list[Any]:
    return [model.id, *(getattr(model, name) for name in F.SCHEMA[entity])]


_MEETING_ROW = Precompiled(select(Meeting.id, Meeting.plan_id, Meeting.seq, Meeting.questions,
                                   Meeting.overrides).where(Meeting.id == bindparam("meeting_id")))
_PLAN_ROW = Precompiled(select(*_fields(Plan, "plan")).where(Plan.id == bindparam("plan_id")))
# Beside its live fields, the rules read whether an action was carried over from a version.
_MORE = {"action": [Action.first_version]}
_LIST_ROWS = (
    Precompiled(select(Participant.id, Participant.name, Participant.organisation,
                       Participant.role, Participant.principal)
                .where(Participant.meeting_id == bindparam("meeting_id"))
                .order_by(Participant.position)),
    *(Precompiled(select(*_fields(model, entity), *_MORE.get(entity, []))
                  .where(model.plan_id == bindparam("plan_id")).order_by(model.position))
      for model, entity in ((Goal, "goal"), (Action, "action"), (Consent, "consent"))),
)


def rules_snapshot(rows: PlanRows) -> dict[str, Any]:
    """Describe the plan in the shape the rule engine reads."""
    row = F.plain_values
    sections = row("plan", rows.plan)
    sections.pop("id")
    sections["questions"] = rows.meeting.questions
    return {
        "participants": [{"id": p.id, "name": p.name, "organisation": p.organisation,
                          "role": p.role, "principal": p.principal}
                         for p in rows.participants],
        "sections": sections,
        "goals": [row("goal", g) for g in rows.goals],
        "actions": [{**row("action", a), "carried_over": a.first_version is not None}
                    for a in rows.actions],
        "consents": [row("consent", c) for c in rows.consents],
        "overrides": list(rows.meeting.overrides or []),
    }


def followup_months() -> int:
    """Return how many months after the meeting the follow-up may be booked at most."""
    return current_app.config["FOLLOWUP_MAX_MONTHS"]


def findings(meeting: Meeting, lang: str, at_close: bool = False) -> list[Finding]:
    """Check the plan and return the findings in the reader's language.

    The meeting is held today: that is the day a consent must hold and the follow-up follow.
    """
    return check_plan(rules_snapshot(PlanRows.of(meeting)), rules(), lang=lang, today=date.today(),
                      at_close=at_close, followup_months=followup_months())


def close_blockers(meeting: Meeting, lang: str) -> list[dict[str, Any]]:
    """Return what still stops the plan from being closed: the list the console shows live."""
    return blockers_at_close(findings(meeting, lang, at_close=True), meeting.overrides or [])


def plan_texts(rows: PlanRows) -> list[tuple[str, int, str, str]]:
    """Return every non-empty text of the plan as (entity, id, field, text)."""
    targets = [("meeting", rows.meeting), ("plan", rows.plan)]
    targets += [(e, obj) for e, items in (("goal", rows.goals), ("action", rows.actions),
                                          ("consent", rows.consents)) for obj in items]
    return [(entity, obj.id, name, getattr(obj, name))
            for entity, obj in targets for name, field in F.SCHEMA[entity].items()
            if field.type in ("text", "line") and getattr(obj, name)]


# Plans with more text than this are checked through annotate_all's `run_large` (in the live
# server, a native thread). Checking a plan of this size again takes 3-7 ms on a slow 2-core
# machine (17-26 ms when every text is new): no longer than the loop would wait anyway for a
# thread holding the interpreter, and cheaper than the handover (docs/decisions/0010).
LARGE_PLAN_CHARS = 10_000


def annotate_all(rows: PlanRows, langs: Sequence[str],
                 run_large: Callable[..., Any] | None = None) -> dict[str, dict]:
    """Return each language's findings, completeness, accepted conditions and glossary terms.

    The plan is read here; the checking itself is pure, and for a plan of more than
    LARGE_PLAN_CHARS characters of text it goes through `run_large(fn, *args)`, so that a
    server can run it where it does not hold up other meetings (see events.py).
    """
    texts = plan_texts(rows)
    args = (rules_snapshot(rows), texts, rows.meeting.seq, tuple(langs), rules(),
            current_app.extensions["sip_glossary"], date.today(), followup_months())
    if run_large is not None and sum(len(text) for *_, text in texts) > LARGE_PLAN_CHARS:
        return run_large(derive, *args)
    return derive(*args)


def annotate(meeting: Meeting, lang: str) -> dict[str, Any]:
    """Return the annotations of the plan in one language."""
    return annotate_all(PlanRows.of(meeting), (lang,))[lang]


def derive(snapshot: dict[str, Any], texts: list[tuple[str, int, str, str]], seq: int,
           langs: tuple[str, ...], rule_set: Rules, glossary: Any, today: date,
           months: int = 6) -> dict[str, dict]:
    """Check a plan snapshot and find glossary terms in its texts (pure: plain data only).

    Each finding says whether it stops the close (`blocks_close`), and `close_blockers` is
    the list a close attempt would answer with; the meter counts it as its blockers.
    """
    terms = []
    for entity, row_id, name, text in texts:
        found = glossary.find(text, PLAN_TEXT_LANG)
        if found:
            terms.append({"entity": entity, "id": row_id, "field": name,
                          "matches": [m.as_dict() for m in found]})
    accepted = accepted_conditions(snapshot, rule_set)
    overrides = snapshot.get("overrides") or []
    out = {}
    for lang in langs:
        found = check_plan(snapshot, rule_set, lang=lang, today=today, followup_months=months)
        at_close = close_severities(found, rule_set)
        blockers = blockers_at_close(at_close, overrides)
        out[lang] = {"seq": seq,
                     "findings": [{**f.to_dict(), "blocks_close": c.severity == "blocker"
                                   and not is_overridden(c, overrides)}
                                  for f, c in zip(found, at_close, strict=True)],
                     "completeness": completeness(snapshot, found, len(blockers)),
                     "close_blockers": blockers,
                     "accepted_conditions": accepted, "terms": terms}
    return out


def init_app(app: Flask) -> None:
    """Load the plan rules once; an invalid rules file stops start-up naming the file."""
    app.extensions["sip_rules"] = load_rules(app.config["RULES_PATH"])
    months = app.config["FOLLOWUP_MAX_MONTHS"]
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"FOLLOWUP_MAX_MONTHS must be a whole number of months, not {months!r}")
