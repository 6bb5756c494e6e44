"""Plan-level rules: the SIP's legal content, a realistic load, and actions in a workable order."""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from typing import Any

from .core import Finding, Rules

CLOSED = frozenset({"done", "cancelled"})
PRINCIPALS = ("municipality", "region")
# Principals of an action that someone other than the municipality and the region carries out.
OTHERS = frozenset({"other", "family"})
PARTICIPATION = frozenset({"present", "part", "heard_before", "views_brought", "not_taking_part"})


def parse_date(value: Any) -> datetime.date | None:
    """Return the date in an ISO "YYYY-MM-DD" string, or None when it is empty or unreadable."""
    if not isinstance(value, str) or len(value.strip()) != 10:
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def has_consent(snapshot: dict[str, Any]) -> bool:
    """Return True when at least one consent says who gave it, how, to whom and for what."""
    return any(_complete_consent(c) for c in snapshot.get("consents") or [])


def _complete_consent(consent: dict[str, Any]) -> bool:
    needed = ("given_by", "form", "organisations", "information")
    return all(str(consent.get(k) or "").strip() for k in needed)


def withdrawn(consent: dict[str, Any], today: datetime.date) -> bool:
    """Return True when the whole consent was withdrawn on or before `today`.

    A withdrawal that names what it covers (`withdrawn_scope`) takes back only that part:
    the rest of the consent still holds.
    """
    day = parse_date(consent.get("withdrawn_at"))
    return day is not None and day <= today \
        and not str(consent.get("withdrawn_scope") or "").strip()


def expired(consent: dict[str, Any], today: datetime.date) -> bool:
    """Return True when the consent was valid only until a day before `today`."""
    until = parse_date(consent.get("valid_until"))
    return until is not None and until < today


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def check_sections(snapshot: dict[str, Any], rules: Rules, lang: str, today: datetime.date,
                   followup_months: int) -> list[Finding]:
    """Return findings for the plan's own fields and the law's items.

    `today` is the meeting's day: a consent must hold on it and the follow-up come after it,
    at most `followup_months` later.
    """
    s = snapshot.get("sections") or {}
    out: list[Finding] = []

    def add(rule: str, field: str, section: str = "sections", **more: Any) -> None:
        out.append(rules.finding(rule, lang, section=section, field=field, **more))

    if s.get("lead_principal") not in PRINCIPALS:
        add("lead_principal", "lead_principal")
    if not _filled(s, "lead_person"):
        add("lead_person", "lead_person")
    complete = [c for c in snapshot.get("consents") or [] if _complete_consent(c)]
    if not complete:
        add("consent", "consents", "consents")
    elif all(withdrawn(c, today) or expired(c, today) for c in complete):
        taken_back = [c for c in complete if withdrawn(c, today)]
        if taken_back:
            add("consent_withdrawn", "consents", "consents",
                phrase=max(str(c["withdrawn_at"]) for c in taken_back))
        else:
            add("consent_expired", "consents", "consents",
                phrase=max(str(c["valid_until"]) for c in complete))
    followup = parse_date(s.get("followup_date"))
    if followup is None:
        add("followup_date", "followup_date")
    elif followup <= today:
        add("followup_not_after", "followup_date", phrase=followup.isoformat())
    elif followup > add_months(today, followup_months):
        add("followup_too_far", "followup_date", phrase=followup.isoformat(),
            count=followup_months)
    if s.get("child_participation") not in PARTICIPATION:
        add("child_participation", "child_participation")
    elif s["child_participation"] == "views_brought" and not _filled(s, "child_views_brought_by"):
        add("child_participation", "child_views_brought_by")
    if not _filled(s, "child_told_by"):
        add("child_participation", "child_told_by")
    if not _filled(s, "strengths"):
        add("strengths", "strengths")
    if not snapshot.get("goals"):
        add("goals", "goals", "goals")
    efforts = [a for a in snapshot.get("actions") or [] if a.get("status") != "cancelled"]
    if not efforts:
        add("actions", "actions", "actions")
    if s.get("others_part") != "none" and not any(a.get("principal") in OTHERS for a in efforts):
        add("others_part", "others_part")
    return out


def _filled(sections: dict[str, Any], key: str) -> bool:
    return bool(str(sections.get(key) or "").strip())


def check_load(snapshot: dict[str, Any], rules: Rules, lang: str,
               people: dict[Any, dict[str, Any]]) -> list[Finding]:
    """Warn when the family, or any other party, holds more open actions than it can manage."""
    family_roles = rules.words["family_roles"]
    family = 0
    parties: Counter[str] = Counter()
    for action in _open(snapshot):
        person = people.get(action.get("responsible_participant_id"))
        if action.get("principal") == "family" or (person and person.get("role") in family_roles):
            family += 1
        else:
            party = _party(action, person)
            if party:
                parties[party] += 1
    out = []
    if family > rules.thresholds["family"]:
        out.append(rules.finding("load_family", lang, section="plan", field="actions",
                                 count=family))
    for party, count in parties.items():
        if count > rules.thresholds["party"]:
            out.append(rules.finding("load_party", lang, section="plan", field="actions",
                                     phrase=party, party=party, count=count))
    return out


def _party(action: dict[str, Any], person: dict[str, Any] | None) -> str:
    if person:
        return str(person.get("name") or "").strip()
    return str(action.get("organisation") or action.get("responsible") or "").strip()


def _open(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in snapshot.get("actions") or [] if a.get("status") not in CLOSED]


def _due(action: dict[str, Any]) -> datetime.date | None:
    return parse_date(action.get("due_date")) or parse_date(action.get("decision_date"))


def check_dependencies(snapshot: dict[str, Any], rules: Rules, lang: str) -> list[Finding]:
    """Warn when an action depends on an unfinished one that is due after it."""
    by_id = {a.get("id"): a for a in snapshot.get("actions") or []}
    out = []
    for action in _open(snapshot):
        before = by_id.get(action.get("depends_on_id"))
        if before is None or before.get("status") in CLOSED:
            continue
        mine, theirs = _due(action), _due(before)
        if mine and theirs and theirs > mine:
            out.append(rules.finding("dependency_order", lang, section="actions",
                                     item_id=action.get("id"), field="depends_on_id",
                                     phrase=theirs.isoformat()))
    return out
