"""Check a whole plan snapshot: every action, the plan's legal content, and its load."""

from __future__ import annotations

import datetime
from typing import Any

from .core import Finding, Rules
from .lint import text_findings
from .sections import CLOSED, check_dependencies, check_load, check_sections, parse_date
from .summary import close_severities

FOLLOWUP_MONTHS = 6


def check_plan(snapshot: dict[str, Any], rules: Rules, lang: str = "sv",
               today: datetime.date | None = None, at_close: bool = False,
               followup_months: int = FOLLOWUP_MONTHS) -> list[Finding]:
    """Return every finding for the plan, actions first in plan order, then the plan itself.

    `today` is the meeting's day. With `at_close` each finding has the severity it has when
    the plan is being closed. A done or cancelled action is still asked who and when, unless
    it was carried over from an earlier version of the plan (`carried_over`).
    """
    today = today or datetime.date.today()
    people = {p.get("id"): p for p in snapshot.get("participants") or []}
    goal_ids = {g.get("id") for g in snapshot.get("goals") or []}
    action_ids = {a.get("id") for a in snapshot.get("actions") or []}
    organisations = {_norm(p.get("organisation") or "") for p in people.values()} - {""}
    findings: list[Finding] = []
    for action in snapshot.get("actions") or []:
        if action.get("status") not in CLOSED:
            findings += check_action(action, rules, lang, today, people, goal_ids,
                                     organisations, action_ids)
        elif not action.get("carried_over"):
            findings += check_settled(action, rules, lang, today, people, organisations)
    findings += check_load(snapshot, rules, lang, people)
    findings += check_dependencies(snapshot, rules, lang)
    findings += check_sections(snapshot, rules, lang, today, followup_months)
    return close_severities(findings, rules) if at_close else findings


def check_action(action: dict[str, Any], rules: Rules, lang: str, today: datetime.date,
                 people: dict[Any, dict[str, Any]], goal_ids: set[Any],
                 organisations: set[str], action_ids: set[Any] | None = None) -> list[Finding]:
    """Return the findings for one open action: what, who, when, wording, principal, goal.

    `organisations` are the participants' organisations, normalised (see _norm). A condition
    is resolved by a fallback (`condition_fallback`) or by waiting for another action of the
    plan (`depends_on_id`, as splitting the condition off makes it); a hedge only by a
    fallback.
    """
    where = {"section": "actions", "item_id": action.get("id")}
    findings = _check_what(action, rules, lang, where)
    findings += _check_who(action, rules, lang, where, people, organisations)
    findings += _check_when(action, rules, lang, where, today)
    dated = bool(parse_date(action.get("due_date")) or parse_date(action.get("decision_date")))
    fallback = bool((action.get("condition_fallback") or "").strip())
    waits = action.get("depends_on_id") not in (None, action.get("id")) \
        and action.get("depends_on_id") in (action_ids or ())
    for name in ("what", "when_note"):
        findings += text_findings(action.get(name) or "", rules, lang, field=name, dated=dated,
                                  conditions=not (fallback or waits), hedges=not fallback,
                                  **where)
    if action.get("principal") not in ("municipality", "region", "other", "family"):
        findings.append(rules.finding("action_principal", lang, field="principal", **where))
    if action.get("goal_id") is None or action.get("goal_id") not in goal_ids:
        findings.append(rules.finding("action_goal", lang, field="goal_id", **where))
    return findings


def check_settled(action: dict[str, Any], rules: Rules, lang: str, today: datetime.date,
                  people: dict[Any, dict[str, Any]], organisations: set[str]) -> list[Finding]:
    """Return who and when for an action marked done or cancelled in this meeting.

    Marking an action done does not excuse it from saying who did it and by when; a date in
    the past is what a done action should have.
    """
    where = {"section": "actions", "item_id": action.get("id")}
    findings = _check_who(action, rules, lang, where, people, organisations)
    return findings + [f for f in _check_when(action, rules, lang, where, today)
                       if f.rule != "date_past"]


def _norm(text: str) -> str:
    return " ".join(text.lower().strip(" .,;:!?").split())


def _check_what(action: dict[str, Any], rules: Rules, lang: str,
                where: dict[str, Any]) -> list[Finding]:
    what = action.get("what") or ""
    if _norm(what) and _norm(what) not in rules.words["vague_what"]:
        return []
    return [rules.finding("action_what", lang, field="what", phrase=what.strip(), **where)]


def _check_who(action: dict[str, Any], rules: Rules, lang: str, where: dict[str, Any],
               people: dict[Any, dict[str, Any]], organisations: set[str]) -> list[Finding]:
    if action.get("responsible_participant_id") in people:
        return []
    who = (action.get("responsible") or "").strip()
    if not who:
        return [rules.finding("action_who", lang, field="responsible", **where)]
    name, own = _norm(who), _norm(action.get("organisation") or "")
    if name in rules.words["vague_who"] or name in rules.words["organisations"] \
            or name in organisations or (own and name == own):
        return [rules.finding("who_unnamed", lang, field="responsible", phrase=who, **where)]
    if name in rules.words["roles"]:
        return [rules.finding("who_role", lang, field="responsible", phrase=who, **where)]
    return []


def _check_when(action: dict[str, Any], rules: Rules, lang: str, where: dict[str, Any],
                today: datetime.date) -> list[Finding]:
    findings = []
    dates = []
    for name in ("due_date", "decision_date"):
        raw = (action.get(name) or "").strip()
        day = parse_date(raw)
        if raw and day is None:
            findings.append(rules.finding("date_format", lang, field=name, phrase=raw, **where))
        elif day is not None:
            dates.append((name, day))
    if not dates:
        findings.append(rules.finding("action_when", lang, field="due_date", **where))
    for name, day in dates:
        if day < today:
            findings.append(rules.finding("date_past", lang, field=name,
                                          phrase=day.isoformat(), **where))
    return findings
