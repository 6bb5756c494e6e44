"""What the plan rules and the glossary say about the plan as it stands.

Annotations are derived state: they are recomputed from the committed plan after changes and
sent to every screen, never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from flask import Flask, current_app

from . import fields as F
from .models import Meeting
from .rules import (
    Finding,
    Rules,
    accepted_conditions,
    blocking,
    check_plan,
    completeness,
    load_rules,
)

PLAN_TEXT_LANG = "sv"  # plans are written in Swedish; the glossary matches Swedish forms


def rules() -> Rules:
    """Return the rule set loaded at start-up."""
    return current_app.extensions["sip_rules"]


def rules_snapshot(meeting: Meeting) -> dict[str, Any]:
    """Describe the plan in the shape the rule engine reads."""
    plan, row = meeting.plan, F.plain_values
    sections = row("plan", plan)
    sections.pop("id")
    sections["questions"] = meeting.questions
    return {
        "participants": [{"id": p.id, "name": p.name, "organisation": p.organisation,
                          "role": p.role, "principal": p.principal}
                         for p in meeting.participants],
        "sections": sections,
        "goals": [row("goal", g) for g in plan.goals],
        "actions": [row("action", a) for a in plan.actions],
        "consents": [row("consent", c) for c in plan.consents],
        "overrides": list(meeting.overrides or []),
    }


def findings(meeting: Meeting, lang: str, at_close: bool = False) -> list[Finding]:
    """Check the plan and return the findings in the reader's language."""
    return check_plan(rules_snapshot(meeting), rules(), lang=lang, today=date.today(),
                      at_close=at_close)


def close_blockers(meeting: Meeting, lang: str) -> list[Finding]:
    """Return the blockers that still stop the plan from being closed."""
    return blocking(findings(meeting, lang, at_close=True), meeting.overrides or [])


def plan_texts(meeting: Meeting) -> list[tuple[str, int, str, str]]:
    """Return every non-empty text of the plan as (entity, id, field, text)."""
    targets = [("meeting", meeting), ("plan", meeting.plan)]
    targets += [(e, obj) for e, rows in (("goal", meeting.plan.goals),
                                         ("action", meeting.plan.actions),
                                         ("consent", meeting.plan.consents)) for obj in rows]
    return [(entity, obj.id, name, getattr(obj, name))
            for entity, obj in targets for name, field in F.SCHEMA[entity].items()
            if field.type in ("text", "line") and getattr(obj, name)]


def annotate_all(meeting: Meeting, langs: Sequence[str],
                 run: Callable[..., Any] = lambda fn, *args: fn(*args)) -> dict[str, dict]:
    """Return each language's findings, completeness, accepted conditions and glossary terms.

    The plan is read here; the checking itself is pure and goes through `run`, so that a
    server can run it where it does not hold up other meetings (see events.py).
    """
    return run(derive, rules_snapshot(meeting), plan_texts(meeting), meeting.seq, tuple(langs),
               rules(), current_app.extensions["sip_glossary"], date.today())


def annotate(meeting: Meeting, lang: str) -> dict[str, Any]:
    """Return the annotations of the plan in one language."""
    return annotate_all(meeting, (lang,))[lang]


def derive(snapshot: dict[str, Any], texts: list[tuple[str, int, str, str]], seq: int,
           langs: tuple[str, ...], rule_set: Rules, glossary: Any, today: date
           ) -> dict[str, dict]:
    """Check a plan snapshot and find glossary terms in its texts (pure: plain data only)."""
    terms = []
    for entity, row_id, name, text in texts:
        found = glossary.find(text, PLAN_TEXT_LANG)
        if found:
            terms.append({"entity": entity, "id": row_id, "field": name,
                          "matches": [m.as_dict() for m in found]})
    accepted = accepted_conditions(snapshot, rule_set)
    out = {}
    for lang in langs:
        found = check_plan(snapshot, rule_set, lang=lang, today=today)
        out[lang] = {"seq": seq, "findings": [f.to_dict() for f in found],
                     "completeness": completeness(snapshot, found),
                     "accepted_conditions": accepted, "terms": terms}
    return out


def init_app(app: Flask) -> None:
    """Load the plan rules once; an invalid rules file stops start-up naming the file."""
    app.extensions["sip_rules"] = load_rules(app.config["RULES_PATH"])
