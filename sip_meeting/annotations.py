"""What the plan rules and the glossary say about the plan as it stands.

Annotations are derived state: they are recomputed from the committed plan after changes and
sent to every screen, never stored.
"""

from __future__ import annotations

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


def term_matches(meeting: Meeting) -> list[dict[str, Any]]:
    """Find glossary terms in every text of the plan."""
    glossary = current_app.extensions["sip_glossary"]
    out = []
    targets = [("meeting", meeting), ("plan", meeting.plan)]
    targets += [(e, obj) for e, rows in (("goal", meeting.plan.goals),
                                         ("action", meeting.plan.actions),
                                         ("consent", meeting.plan.consents)) for obj in rows]
    for entity, obj in targets:
        for name, field in F.SCHEMA[entity].items():
            text = getattr(obj, name)
            if field.type in ("text", "line") and text:
                found = glossary.find(text, PLAN_TEXT_LANG)
                if found:
                    out.append({"entity": entity, "id": obj.id, "field": name,
                                "matches": [m.as_dict() for m in found]})
    return out


def annotate(meeting: Meeting, lang: str) -> dict[str, Any]:
    """Return findings, completeness, accepted conditions and glossary terms for one language."""
    snapshot = rules_snapshot(meeting)
    found = check_plan(snapshot, rules(), lang=lang, today=date.today())
    return {
        "seq": meeting.seq,
        "findings": [f.to_dict() for f in found],
        "completeness": completeness(snapshot, found),
        "accepted_conditions": accepted_conditions(snapshot, rules()),
        "terms": term_matches(meeting),
    }


def init_app(app: Flask) -> None:
    """Load the plan rules once; an invalid rules file stops start-up naming the file."""
    app.extensions["sip_rules"] = load_rules(app.config["RULES_PATH"])
