"""A plan's change history in the reader's words: names and labels, never stored codes.

The audit trail keeps what the database holds ("live" → "closed", "municipality", a
participant's id); the chair reads who did what to which part of the plan, with people named
and removed people and items called so. Call inside a request (texts are translated).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import fields as F
from .i18n import current_language
from .labels import (
    choice_label,
    field_label,
    format_day,
    format_moment,
    principal_label,
    role_label,
    rule_label,
)
from .live_strings import live_strings
from .meeting_order import meeting_order
from .models import AuditEvent, Delivery, Participant, Plan

LISTS = ("goal", "action", "consent")
TITLE_FIELD = {"goal": "text", "action": "what", "consent": "given_by"}
EMPTY = "–"


def _meeting_status(value: str) -> str:
    return {"draft": _("Being prepared"), "open": _("Lobby open"), "live": _("In progress"),
            "closed": _("Closed")}.get(value, value)


def _delivery_status(value: str) -> str:
    return {"pending": _("Waiting to be sent"), "sent": _("Sent"),
            "failed": _("Could not be sent")}.get(value, value)


def _link_state(value: str) -> str:
    return {"issued": _("Active"), "replaced": _("Replaced by a new link"),
            "revoked": _("Stopped")}.get(value, value)


def _shorten(text: str, n: int = 60) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= n else one[: n - 1] + "…"


class History:
    """What is needed to read one plan's audit events: its people, items and meetings."""

    def __init__(self, session: Session, plan: Plan) -> None:
        self.meetings = {m.id: m for m in plan.meetings}
        self.people = {p.id: p.name for p in session.scalars(
            select(Participant).where(Participant.meeting_id.in_(list(self.meetings) or [0])))}
        self.items: dict[tuple[str, int], str] = {}
        for entity, rows in (("goal", plan.goals), ("action", plan.actions),
                             ("consent", plan.consents)):
            for n, row in enumerate(rows, start=1):
                self.items[(entity, row.id)] = self._item_name(
                    entity, n, getattr(row, TITLE_FIELD[entity]) or "")
        self.deliveries = dict(session.execute(
            select(Delivery.id, Delivery.participant_id)
            .where(Delivery.meeting_id.in_(list(self.meetings) or [0]))).all())
        self.lang = current_language()
        self._strings: dict[str, str] | None = None

    # ---- names ---------------------------------------------------------------------------

    @staticmethod
    def _item_name(entity: str, n: int, title: str) -> str:
        name = {"goal": _("Goal %(n)s", n=n), "action": _("Action %(n)s", n=n),
                "consent": _("Consent %(n)s", n=n)}[entity]
        return _("%(item)s: %(what)s", item=name, what=_shorten(title)) if title.strip() else name

    @staticmethod
    def _removed_item(entity: str) -> str:
        return {"goal": _("A removed goal"), "action": _("A removed action"),
                "consent": _("A removed consent")}[entity]

    def person(self, participant_id: Any) -> str:
        """A participant's name, or that they were removed."""
        if participant_id in (None, ""):
            return EMPTY
        return self.people.get(participant_id) or _("Removed participant")

    def item(self, entity: str, item_id: Any) -> str:
        """Name a goal, action or consent as the plan numbers it now, or say it was removed."""
        if item_id in (None, ""):
            return EMPTY
        return self.items.get((entity, item_id)) or self._removed_item(entity)

    # ---- one event -----------------------------------------------------------------------

    def who(self, e: AuditEvent) -> str:
        if e.actor_name:
            return e.actor_name
        return {"system": _("The system"), "chair": _("The chair")}.get(e.actor_kind,
                                                                         _("Someone"))

    def what(self, e: AuditEvent) -> str:
        """The kind of change: a field's label or what happened to an item or a person."""
        key = (e.entity, e.field)
        if e.entity in LISTS and e.field in ("added", "removed", "position"):
            return {"added": _("Added"), "removed": _("Removed"),
                    "position": _("Moved in the list")}[e.field]
        if e.entity == "participant":
            return {"added": _("Invited"), "removed": _("No longer invited"),
                    "link": _("Personal link"),
                    "admitted": _("Let into the meeting")}.get(e.field, _("Participant"))
        if e.entity == "delivery":
            return _("The plan by email")
        if e.entity == "explanation":
            return _("Explanation of “%(word)s”", word=e.field)
        meeting = {
            "status": _("Status of the meeting"), "step": _("Step of the meeting"),
            "override": _("Set aside with a reason"), "scheduled": _("Meeting scheduled"),
            "starts_at": _("Time of the meeting"),
            "duration_minutes": _("Planned length in minutes"), "place": _("Place"),
            "video_link": _("Video link"), "purpose": _("Purpose of the meeting"),
            "questions": _("Questions the meeting is to answer"),
            "prepare": _("What to prepare"), "no_plan_reason": _("Why no plan was made"),
        }
        if e.entity == "meeting" and e.field in meeting:
            return meeting[e.field]
        if key == ("plan", "child_name"):
            return _("The child's first name or an alias")
        return self.field_name(e.entity, e.field)

    def field_name(self, entity: str, field: str) -> str:
        label = field_label(entity, field)
        if label != field:
            return label
        if self._strings is None:
            self._strings = live_strings()
        return self._strings.get(f"f.{entity}.{field}") or _("A part of the plan")

    def subject(self, e: AuditEvent) -> str:
        """Which item, person or meeting the change concerns ("" for the plan itself)."""
        if e.entity in LISTS:
            if (e.entity, e.entity_id) not in self.items and e.field == "removed" \
                    and isinstance(e.before, dict) and str(e.before.get(
                        TITLE_FIELD[e.entity]) or "").strip():
                return _("%(item)s: %(what)s", item=self._removed_item(e.entity),
                         what=_shorten(e.before[TITLE_FIELD[e.entity]]))
            return self.item(e.entity, e.entity_id)
        if e.entity == "participant":
            return self.person(e.entity_id)
        if e.entity == "delivery":
            return self.person(self.deliveries.get(e.entity_id))
        if e.entity == "meeting" and e.field == "override":
            return rule_label(str(e.before or ""))
        if e.entity == "meeting" and e.entity_id in self.meetings and len(self.meetings) > 1:
            return _("Meeting %(when)s",
                     when=format_moment(self.meetings[e.entity_id].starts_at.isoformat()))
        return ""

    def value(self, e: AuditEvent, side: str) -> str:
        """One side ("before" or "after") of a change, in words."""
        value = e.before if side == "before" else e.after
        entity, field = e.entity, e.field
        if entity == "meeting" and field == "override":
            if side == "before":
                return EMPTY
            return str(value) if value else _("Taken back")
        if entity == "participant" and field == "admitted":
            if value:
                return _("In the meeting")
            return _("Sent back to the waiting room") if side == "after" and e.before else EMPTY
        if value is None or value == "":
            return EMPTY
        if entity in LISTS and field in ("added", "removed") and isinstance(value, dict):
            return self._values(entity, value)
        if entity in LISTS and field == "position" and isinstance(value, int):
            return _("Number %(n)s in the list", n=value + 1)
        if entity == "participant":
            if field == "link":
                return _link_state(str(value))
            if isinstance(value, dict):
                return ", ".join(part for part in (role_label(value.get("role", "")),
                                                   principal_label(value.get("principal", "")))
                                 if part)
        if entity == "delivery":
            return _delivery_status(str(value))
        if entity == "meeting":
            if field == "status":
                return _meeting_status(str(value))
            if field == "step" and isinstance(value, int):
                return self._step(e.entity_id, value)
            if field in ("scheduled", "starts_at"):
                return format_moment(str(value))
            if field == "duration_minutes" and isinstance(value, int):
                return ngettext("%(num)d minute", "%(num)d minutes", value)
        return self._field_value(entity, field, value)

    def _step(self, meeting_id: Any, step: int) -> str:
        meeting = self.meetings.get(meeting_id)
        order = meeting_order(meeting.kind if meeting else "first")
        if 0 <= step < len(order):
            return order[step].text(self.lang)[0]
        return _("Step %(n)s", n=step + 1)

    def _field_value(self, entity: str, field: str, value: Any) -> str:
        try:
            spec = F.field_for(entity, field)
        except F.InvalidValue:
            spec = None
        if spec is not None and spec.type == "ref":
            if spec.ref == "participant":
                return self.person(value)
            return self.item(spec.ref, value)
        if spec is not None and spec.type == "choice":
            return choice_label(entity, field, str(value)) or EMPTY
        if spec is not None and spec.type == "date":
            return format_day(str(value))
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, dict):
            return "; ".join(str(v) for v in value.values() if v not in (None, ""))
        return str(value)

    def _values(self, entity: str, values: dict[str, Any]) -> str:
        """An added or removed item's values, one "label: value" line each."""
        lines = []
        for field, value in values.items():
            if value in (None, ""):
                continue
            lines.append(_("%(label)s: %(value)s", label=self.field_name(entity, field),
                           value=self._field_value(entity, field, value)))
        return "\n".join(lines) or EMPTY

    def row(self, e: AuditEvent) -> dict[str, Any]:
        return {"at": e.at, "who": self.who(e), "what": self.what(e), "subject": self.subject(e),
                "before": self.value(e, "before"), "after": self.value(e, "after")}


def history_rows(session: Session, plan: Plan, events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Return the events as rows for reading: when, who, what, which, before and after."""
    history = History(session, plan)
    return [history.row(e) for e in events]

