"""Translated labels and plain lines for showing a frozen plan version to people.

A version snapshot keeps choices as codes ("planned", "municipality") and dates in ISO form;
these helpers turn them into the reader's words. Call them inside a request or inside
``flask_babel.force_locale``. The English texts repeat the live pages' texts where the meaning
is the same, so that both share one translation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from .i18n import file_name, format_local_date, format_when
from .versions import family_does, family_tasks

# The parts of a plan document, in the order the document and the page show them.
SECTIONS = (
    "meeting", "participants", "questions", "situation", "child", "strengths", "goals",
    "actions", "family", "conditions", "consent", "responsibility", "contact", "followup",
    "explanations", "overrides", "review",
)


def section_title(key: str) -> str:
    """Return the heading of one part of the plan document."""
    titles = {
        "meeting": _("About the meeting"),
        "participants": _("Who took part"),
        "questions": _("The meeting's questions"),
        "situation": _("The situation now"),
        "child": _("The child's voice"),
        "strengths": _("Strengths"),
        "goals": _("Goals"),
        "actions": _("Actions in the plan"),
        "family": _("What the family does"),
        "conditions": _("Conditions and what happens otherwise"),
        "consent": _("Consent"),
        "responsibility": _("Overall responsibility"),
        "contact": _("Contact between meetings"),
        "followup": _("Follow-up"),
        "explanations": _("Words explained in the meeting"),
        "overrides": _("Left open in the meeting, and why"),
        "review": _("Follow-up of earlier actions"),
    }
    return titles.get(key, key)


def field_label(entity: str, field: str) -> str:
    """Return the label of one field of the plan, as the live meeting shows it."""
    labels = {
        ("plan", "situation_works"): _("What works well"),
        ("plan", "situation_difficult"): _("What is difficult"),
        ("plan", "child_voice"): _("The child's own words"),
        ("plan", "child_participation"): _("How the child takes part"),
        ("plan", "child_views_brought_by"): _("Who brings the child's views to the meeting"),
        ("plan", "child_told_by"): _("Who tells the child what the meeting decided"),
        ("plan", "strengths"): _("Strengths"),
        ("plan", "lead_principal"): _("Principal with the overall responsibility"),
        ("plan", "lead_person"): _("Person who follows the plan"),
        ("plan", "contact_between"): _("Whom to contact between meetings"),
        ("plan", "followup_date"): _("Date of the follow-up"),
        ("plan", "followup_form"): _("Form of the follow-up"),
        ("plan", "followup_convener"): _("Who calls the follow-up meeting"),
        ("plan", "review_situation_change"): _("Did the child's situation change as intended?"),
        ("action", "family_part"): _("What the child or the family does"),
        ("action", "condition_fallback"): _("If it does not happen: what then?"),
        ("action", "review_outcome"): _("Result"),
        ("action", "review_comment"): _("Comment"),
        ("action", "condition_review"): _("How the condition went"),
        ("consent", "given_by"): _("Given by"),
        ("consent", "form"): _("Form of consent"),
        ("consent", "given_at"): _("Given on"),
        ("consent", "organisations"): _("Organisations that may share information"),
        ("consent", "information"): _("Which information"),
        ("consent", "exclusions"): _("Exceptions"),
        ("consent", "valid_until"): _("Valid until"),
        ("consent", "withdrawn_at"): _("Withdrawn on"),
        ("consent", "withdrawn_by"): _("Withdrawn by"),
        ("consent", "withdrawn_scope"): _("What the withdrawal covers"),
        ("plan", "others_part"): _("What others than the municipality and the region do"),
    }
    return labels.get((entity, field), field)


def principal_label(principal: str) -> str:
    """Return the name of a kind of responsible party (municipality, region, ...)."""
    return {
        "municipality": _("Municipality"),
        "region": _("Region"),
        "other": _("Other organisation"),
        "family": _("The family"),
    }.get(principal, principal)


def role_label(role: str) -> str:
    """Return the name of a participant's role in the meeting."""
    return {
        "guardian": _("Guardian"),
        "child": _("Child or young person"),
        "relative": _("Other relative"),
        "professional": _("Professional"),
        "coordinator": _("Coordinator"),
        "interpreter": _("Interpreter"),
        "chair": _("Chair or note-taker"),
        "observer": _("Observer (reads only)"),
    }.get(role, role)


def choice_label(entity: str, field: str, value: str) -> str:
    """Return the words for a chosen value; "" when nothing was chosen."""
    if not value:
        return ""
    if field in ("principal", "lead_principal"):
        return principal_label(value)
    if field == "role":
        return role_label(value)
    labels = {
        ("action", "status"): {
            "planned": _("Planned"), "decided": _("Decided"), "ongoing": _("Ongoing"),
            "done": _("Done"), "cancelled": _("Cancelled"),
        },
        ("action", "review_outcome"): {
            "done": _("Done"), "started": _("Started"), "not_started": _("Not started"),
            "not_needed": _("No longer needed"),
        },
        ("goal", "kind"): {"long": _("Long-term goal"), "short": _("Short-term goal")},
        ("plan", "child_participation"): {
            "present": _("Takes part in the whole meeting"),
            "part": _("Takes part in part of the meeting"),
            "heard_before": _("Was heard before the meeting"),
            "views_brought": _("Someone brings the child's views"),
            "not_taking_part": _("Does not take part"),
        },
        ("consent", "form"): {"oral": _("Oral"), "written": _("Written")},
        ("plan", "others_part"): {"none": _("No one else has a part in this plan")},
        ("meeting", "kind"): {"first": _("First meeting"), "followup": _("Follow-up")},
    }
    return labels.get((entity, field), {}).get(value, value)


def rule_label(rule: str) -> str:
    """Say in plain words what a check of the plan found missing."""
    return {
        "action_what": _("It is not written what will be done"),
        "action_who": _("No named person is responsible"),
        "who_unnamed": _("No named person is responsible"),
        "action_when": _("There is no date for when it is done"),
        "lead_principal": _("No principal has the overall responsibility"),
        "consent": _("No consent is recorded"),
        "followup_date": _("There is no date for the follow-up"),
        "followup_not_after": _("The follow-up is not after the meeting"),
        "followup_too_far": _("The follow-up is far away"),
        "consent_expired": _("The consent is no longer valid"),
        "consent_withdrawn": _("The consent was withdrawn"),
        "conditional": _("The action depends on a condition"),
        "hedge": _("The action is not certain to happen"),
        "action_principal": _("No principal answers for the action"),
        "others_part": _("It is not written what others than the municipality and the region "
                         "do"),
    }.get(rule, _("Something the plan should contain"))


def not_filled() -> str:
    """Return what an empty part of the plan says."""
    return _("Not filled in")


def format_day(value: str) -> str:
    """Format an ISO date ("2027-03-15") for reading; "" when there is none."""
    if not value:
        return ""
    try:
        return format_local_date(date.fromisoformat(value))
    except ValueError:
        return value


def format_moment(value: str | None) -> str:
    """Format an ISO date and time as a day and a Swedish local time."""
    if not value:
        return ""
    try:
        return format_when(datetime.fromisoformat(value))
    except ValueError:
        return value


def version_day(v: dict[str, Any]) -> str:
    """Return the day the version was frozen, in Swedish local time."""
    try:
        return format_local_date(datetime.fromisoformat(v["frozen_at"]))
    except (KeyError, TypeError, ValueError):
        return ""


def version_line(v: dict[str, Any]) -> str:
    """Return "Version 3, 15 March 2027" for a snapshot."""
    return _("Version %(n)s, %(date)s", n=v.get("version", ""), date=version_day(v))


def action_when(action: dict[str, Any]) -> str:
    """Say by when an action is done: its date, else the date of the decision, else none."""
    if action.get("due_date"):
        when = _("By %(date)s", date=format_day(action["due_date"]))
    elif action.get("decision_date"):
        when = _("Decision by %(date)s", date=format_day(action["decision_date"]))
    else:
        when = "" if action.get("when_note") else _("No date yet")
    return "\n".join(part for part in (when, action.get("when_note") or "") if part)


def family_task(v: dict[str, Any], action: dict[str, Any]) -> dict[str, str]:
    """Describe one of the family's tasks (see `versions.family_tasks`) for reading.

    An action the family does itself is named by what is done, with who in the family does
    it and the family's part, if one is written; another's action by the family's part of it.
    """
    part = (action.get("family_part") or "").strip()
    if family_does(v, action) or not part:
        return {"task": action.get("what") or part, "action": "",
                "who": action.get("responsible_name") or "", "part": part,
                "when": action_when(action)}
    return {"task": part, "action": action.get("what") or "", "who": "", "part": "",
            "when": action_when(action)}


def version_file_name(v: dict[str, Any], kind: str) -> str:
    """Name a file made from a version in the reader's language.

    kind: "plan" (the document), "followup" (the follow-up's calendar file) or "dates" (one's
    own dates as a calendar file).
    """
    child = v.get("child_name") or ""
    if kind == "plan":
        return file_name(_("sip-plan-%(child)s-version-%(n)s.docx"), child=child,
                         n=v.get("version", ""))
    if kind == "followup":
        return file_name(_("sip-follow-up-%(child)s-%(date)s.ics"), child=child,
                         date=(v.get("sections") or {}).get("followup_date") or "")
    return file_name(_("sip-my-dates-%(child)s.ics"), child=child)


def version_view(v: dict[str, Any]) -> dict[str, Any]:
    """Sort a snapshot into the groups the document and the page show."""
    actions = v.get("actions") or []
    by_id = {a["id"]: a for a in actions}
    people = v.get("participants") or []
    family = [family_task(v, a) for a in family_tasks(v)]
    overrides = [{"what": rule_label(o.get("rule", "")), "reason": o.get("reason", ""),
                  "by": o.get("by", ""),
                  "action": by_id[o["item_id"]]["what"] if o.get("item_id") in by_id else ""}
                 for o in v.get("overrides") or []]
    # The law's third item: what others than the municipality and the region do.
    others = [{"what": a.get("what") or "", "who": a.get("responsible_name") or "",
               "principal": principal_label(a.get("principal") or "")}
              for a in actions if a.get("status") != "cancelled"
              and a.get("principal") in ("other", "family")]
    reviewed = [a for a in actions if any(
        (a.get(f) or "").strip() for f in ("review_outcome", "review_comment", "condition_review"))]
    situation_change = (v.get("sections") or {}).get("review_situation_change", "")
    return {
        "present": [p for p in people if p.get("attendance") == "present"],
        "absent": [p for p in people if p.get("attendance") != "present"],
        "long_goals": [g for g in v.get("goals") or [] if g.get("kind") == "long"],
        "short_goals": [g for g in v.get("goals") or [] if g.get("kind") != "long"],
        "family": family,
        "overrides": overrides,
        "others": others,
        "reviewed": reviewed,
        "has_review": bool(reviewed or situation_change.strip()),
    }


def init_app(app: Flask) -> None:
    """Make the label helpers available to every template."""
    app.jinja_env.globals.update(
        section_title=section_title, field_label=field_label, choice_label=choice_label,
        role_label=role_label, principal_label=principal_label, rule_label=rule_label,
        not_filled=not_filled, format_day=format_day, format_moment=format_moment,
        version_line=version_line, version_day=version_day,
        action_when=action_when, version_view=version_view,
    )
