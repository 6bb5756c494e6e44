"""Statistics for management: counts over the meetings held in a period, never a family.

Pure computations over the session: no Flask, no request. Everything is read from what the
meetings recorded: closed meetings and their participants, the plan versions they froze
(actions, overrides, the child's voice, the agreed follow-up date), the audit trail (what an
action's text said during the meeting) and the answers to "Are you satisfied?". No child's
name, plan title, free text or meeting date leaves this module: only counts, shares and a
median number of days.

Small counts identify families. Every count below the minimum cell size (`STATS_MIN_CELL`,
default 5; zero too) is suppressed, and so is every share computed from a suppressed count.
A suppressed count could still be found by subtracting the others from a total that is shown:
within each total (the row and the column of a table) more cells are suppressed, smallest
first, until the suppressed cells together hold at least the minimum, or the total itself is
suppressed (docs/decisions/0019).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .models import (
    FAMILY_ROLES,
    PRINCIPALS,
    AuditEvent,
    Chair,
    Meeting,
    Participant,
    Plan,
    PlanVersion,
)
from .planning import STOCKHOLM, local_to_utc
from .rules import Rules
from .rules.conditions import find_spans

SATISFACTION = ("yes", "partly", "no")
RESOLUTIONS = ("rewritten", "split", "fallback", "overridden")
# Actions without a principal are counted apart from the four principals.
ACTION_PRINCIPALS = (*PRINCIPALS, "none")
ACTION_COLUMNS = ("agreed", "followed_up", "due", "done", "overdue", "cancelled")
DONE, CANCELLED = ("done",), ("cancelled",)
# Shares: (numerator, denominator) within a row.
ACTION_SHARES = {"followed_up": "agreed", "due": "followed_up", "done": "due",
                 "overdue": "due", "cancelled": "followed_up"}


def plans_in_scope(session: Session, viewer: Chair | None) -> Select:
    """Return the ids of the plans the viewer's statistics count, as a subquery.

    This is the one place where the scope of the statistics is decided: a signed-in viewer
    sees figures over their own organisation's plans (anonymous counts, whoever chairs
    them); without a viewer (the command line, run by the operator) over every plan.
    """
    del session
    if viewer is None:
        return select(Plan.id)
    return select(Plan.id).where(Plan.organisation_id == viewer.organisation_id)


@dataclass
class Cell:
    """One figure: a count, a share (percent) or a number of days; None when suppressed."""

    kind: str
    raw: float | None
    suppressed: bool = False

    @property
    def value(self) -> float | None:
        """The figure that may be shown, or None."""
        return None if self.suppressed or self.raw is None else self.raw


@dataclass
class Table:
    """A table of figures: rows by key, each a dict of column key to cell."""

    key: str
    columns: tuple[str, ...]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)

    def count(self, row: str, column: str, value: int) -> None:
        """Put a count into the table."""
        self.rows.setdefault(row, {})[column] = Cell("count", value)


@dataclass
class Statistics:
    """The figures of a period, with the minimum cell size they were suppressed with."""

    start: date
    end: date
    min_cell: int
    tables: dict[str, Table]

    def shown_rows(self, key: str) -> dict[str, dict[str, Cell]]:
        """The rows of a table that are shown (not the complements kept for suppression)."""
        return {row: cells for row, cells in self.tables[key].rows.items()
                if row not in HIDDEN_ROWS}

    def as_json(self) -> dict[str, Any]:
        """Describe the figures as plain data.

        A suppressed count is the string "<N" (fewer than the minimum cell size N); a
        suppressed share or number of days is null. Shares are whole percents.
        """
        tables = {key: {row: {col: self.plain(cell) for col, cell in cells.items()}
                        for row, cells in self.shown_rows(key).items()}
                  for key in self.tables}
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "min_cell": self.min_cell, "tables": tables}

    def plain(self, cell: Cell) -> int | str | None:
        """Return one figure as JSON and CSV write it."""
        if cell.suppressed:
            return f"<{self.min_cell}" if cell.kind == "count" else None
        if cell.raw is None:
            return None
        return round(cell.raw) if cell.kind in ("share", "days") else int(cell.raw)


# -- reading the period -----------------------------------------------------------------------


def _local_day(moment) -> date:
    return moment.astimezone(STOCKHOLM).date()


@dataclass
class _Held:
    meeting: Meeting
    day: date
    version: PlanVersion | None
    previous: PlanVersion | None       # the plan's latest version before this meeting
    next_version: PlanVersion | None   # the version the next meeting of the plan froze
    next_day: date | None
    prior: Meeting | None              # the plan's closed meeting before this one


def _held(session: Session, viewer: Chair | None, start: date, end: date) -> list[_Held]:
    scope = plans_in_scope(session, viewer)
    since = local_to_utc(start, time(0, 0))
    until = local_to_utc(end + timedelta(days=1), time(0, 0))
    in_period = session.scalars(
        select(Meeting).where(Meeting.status == "closed", Meeting.plan_id.in_(scope),
                              Meeting.starts_at >= since, Meeting.starts_at < until)
        .order_by(Meeting.starts_at, Meeting.id)).all()
    plan_ids = {m.plan_id for m in in_period}
    if not plan_ids:
        return []
    closed = session.scalars(select(Meeting).where(
        Meeting.status == "closed", Meeting.plan_id.in_(plan_ids))
        .order_by(Meeting.starts_at, Meeting.id)).all()
    versions = session.scalars(select(PlanVersion).where(
        PlanVersion.plan_id.in_(plan_ids))).all()
    by_meeting = {v.meeting_id: v for v in versions}
    of_plan: dict[int, list[Meeting]] = defaultdict(list)
    for m in closed:
        of_plan[m.plan_id].append(m)
    held = []
    for m in in_period:
        meetings = of_plan[m.plan_id]
        index = meetings.index(m)
        version = by_meeting.get(m.id)
        later = [x for x in meetings[index + 1:] if x.id in by_meeting]
        earlier = [x for x in meetings[:index] if x.id in by_meeting]
        nxt = later[0] if later else None
        held.append(_Held(
            meeting=m, day=_local_day(m.starts_at), version=version,
            previous=by_meeting[earlier[-1].id] if earlier else None,
            next_version=by_meeting[nxt.id] if nxt is not None and version else None,
            next_day=_local_day(nxt.starts_at) if nxt is not None else None,
            prior=meetings[index - 1] if index > 0 else None))
    return held


def _family_took_part(participants: list[Participant]) -> bool:
    return any(p.role in FAMILY_ROLES and (p.admitted_at is not None or p.attendance == "present")
               for p in participants)


def _conditional(text: str, rules: Rules) -> bool:
    return any(s.rule == "conditional" for s in find_spans(text or "", rules.detector))


# A purged version (retention.purge_plan) keeps no action's words; each of its actions says
# instead whether its words held a condition at the close and during the meeting.
CONDITIONAL_AT_CLOSE, CONDITIONAL_DURING = "conditional_at_close", "conditional_during_meeting"


def condition_facts(session: Session, version: PlanVersion, rules: Rules
                    ) -> dict[Any, dict[str, bool]]:
    """What the conditions table reads from a version's words, as flags by action id."""
    actions = (version.snapshot or {}).get("actions") or []
    during = _texts_during(session, [version.meeting_id]) if version.meeting_id else {}
    return {a.get("id"): {
        CONDITIONAL_AT_CLOSE: _conditional_at_close(a, rules),
        CONDITIONAL_DURING: _conditional_during(a, during.get((version.meeting_id, a.get("id")),
                                                              []), rules)}
        for a in actions}


def _conditional_at_close(action: dict[str, Any], rules: Rules) -> bool:
    if CONDITIONAL_AT_CLOSE in action:
        return bool(action[CONDITIONAL_AT_CLOSE])
    return any(_conditional(action.get(name) or "", rules) for name in ("what", "when_note"))


def _conditional_during(action: dict[str, Any], texts: list[str], rules: Rules) -> bool:
    if CONDITIONAL_DURING in action:
        return bool(action[CONDITIONAL_DURING])
    return any(_conditional(t, rules) for t in texts)


def _texts_during(session: Session, meeting_ids: list[int]) -> dict[tuple[int, int], list[str]]:
    """Every text an action's `what` and `when_note` held during each meeting (audit trail)."""
    texts: dict[tuple[int, int], list[str]] = defaultdict(list)
    if not meeting_ids:
        return texts
    events = session.execute(select(
        AuditEvent.meeting_id, AuditEvent.entity_id, AuditEvent.field, AuditEvent.before,
        AuditEvent.after).where(
        AuditEvent.meeting_id.in_(meeting_ids), AuditEvent.entity == "action",
        AuditEvent.field.in_(("what", "when_note", "added")))).all()
    for meeting_id, action_id, name, before, after in events:
        values = [after.get("what"), after.get("when_note")] if name == "added" and \
            isinstance(after, dict) else [before, after]
        texts[(meeting_id, action_id)] += [v for v in values if isinstance(v, str)]
    return texts


# -- the figures ------------------------------------------------------------------------------


def compute(session: Session, viewer: Chair | None, start: date, end: date, rules: Rules,
            min_cell: int = 5) -> Statistics:
    """Count the meetings held from `start` to `end` (local days, both included)."""
    held = _held(session, viewer, start, end)
    tables = {
        "meetings": _meetings(session, held),
        "actions": _actions(held),
        "conditions": _conditions(session, held, rules),
        "overrides": _overrides(held),
        "followups": _followups(held),
        "satisfaction": _satisfaction(held),
    }
    constraints = _constraints(tables)
    _suppress(tables, constraints, min_cell)
    return Statistics(start, end, min_cell, tables)


def _meetings(session: Session, held: list[_Held]) -> Table:
    table = Table("meetings", ("count", "share"))
    ids = [h.meeting.id for h in held]
    people: dict[int, list[Participant]] = defaultdict(list)
    if ids:
        for p in session.scalars(select(Participant).where(Participant.meeting_id.in_(ids))):
            people[p.meeting_id].append(p)
    with_plan = [h for h in held if h.version is not None]
    voice = [h for h in with_plan
             if str((h.version.snapshot.get("sections") or {}).get("child_voice") or "").strip()]
    family = [h for h in held if _family_took_part(people[h.meeting.id])]
    first = sum(1 for h in held if h.meeting.kind == "first")
    for row, value in (("held", len(held)), ("first", first), ("followup", len(held) - first),
                       ("family", len(family)), ("no_family", len(held) - len(family)),
                       ("with_plan", len(with_plan)), ("no_plan", len(held) - len(with_plan)),
                       ("child_voice", len(voice)),
                       ("no_child_voice", len(with_plan) - len(voice))):
        table.count(row, "count", value)
    return table


MEETING_SHARES = {"first": "held", "followup": "held", "family": "held", "with_plan": "held",
                  "child_voice": "with_plan"}
# Rows counted only so that their complements are suppressed too; never shown.
HIDDEN_ROWS = {"no_family", "no_plan", "no_child_voice", "not_followed_up", "not_due",
               "open_on_time", "not_cancelled", "not_on_date", "not_first"}


def _ids(snapshot: dict[str, Any] | None) -> set[Any]:
    return {a.get("id") for a in (snapshot or {}).get("actions") or []}


def _new_actions(h: _Held) -> list[dict[str, Any]]:
    """The actions this meeting agreed: first frozen in its version, not cancelled there."""
    before = _ids(h.previous.snapshot if h.previous else None)
    return [a for a in h.version.snapshot.get("actions") or []
            if a.get("id") not in before and a.get("status") != "cancelled"]


def _due(action: dict[str, Any]) -> date | None:
    for name in ("due_date", "decision_date"):
        try:
            return date.fromisoformat(str(action.get(name) or ""))
        except ValueError:
            continue
    return None


def _actions(held: list[_Held]) -> Table:
    table = Table("actions", ACTION_COLUMNS)
    counts: dict[str, Counter] = {p: Counter() for p in (*ACTION_PRINCIPALS, "total")}
    for h in held:
        if h.version is None:
            continue
        later = {a.get("id"): a for a in (h.next_version.snapshot.get("actions") or [])} \
            if h.next_version is not None else {}
        for action in _new_actions(h):
            principal = action.get("principal") if action.get("principal") in PRINCIPALS \
                else "none"
            seen = Counter(agreed=1)
            after = later.get(action.get("id"))
            if after is not None:
                seen["followed_up"] = 1
                cancelled = after.get("status") in CANCELLED or \
                    after.get("review_outcome") == "not_needed"
                done = not cancelled and (after.get("status") in DONE
                                          or after.get("review_outcome") == "done")
                seen["cancelled"] = int(cancelled)
                due = _due(after) or _due(action)
                if not cancelled and due is not None and due <= h.next_day:
                    seen["due"] = 1
                    seen["done" if done else "overdue"] = 1
            counts[principal].update(seen)
            counts["total"].update(seen)
    for row, seen in counts.items():
        for col in ACTION_COLUMNS:
            table.count(row, col, seen[col])
        # Complements within the row, so that no suppressed cell is found by subtraction.
        table.count(row, "not_followed_up", seen["agreed"] - seen["followed_up"])
        table.count(row, "not_cancelled", seen["followed_up"] - seen["cancelled"])
        table.count(row, "not_due", seen["followed_up"] - seen["cancelled"] - seen["due"])
    return table


def _conditions(session: Session, held: list[_Held], rules: Rules) -> Table:
    table = Table("conditions", ("count", "share"))
    with_plan = [h for h in held if h.version is not None]
    during = _texts_during(session, [h.meeting.id for h in with_plan])
    found: Counter = Counter()
    for h in with_plan:
        overrides = {(o.get("rule"), o.get("item_id")) for o in h.version.snapshot.get(
            "overrides") or []}
        for action in _new_actions(h):
            now = _conditional_at_close(action, rules)
            before = _conditional_during(action, during.get((h.meeting.id, action.get("id")),
                                                            []), rules)
            if not (now or before):
                continue
            found["flagged"] += 1
            if ("conditional", action.get("id")) in overrides:
                found["overridden"] += 1
            elif not now:
                found["rewritten"] += 1
            elif str(action.get("condition_fallback") or "").strip():
                found["fallback"] += 1
            elif action.get("depends_on_id") is not None:
                found["split"] += 1
            else:  # marked done in the meeting, where the close asks no more of its text
                found["settled"] += 1
    for row in ("flagged", *RESOLUTIONS, "settled"):
        table.count(row, "count", found[row])
    return table


def _overrides(held: list[_Held]) -> Table:
    table = Table("overrides", ("count",))
    found: Counter = Counter()
    for h in held:
        if h.version is not None:
            found.update(o.get("rule") or "" for o in h.version.snapshot.get("overrides") or [])
    for rule in sorted(found):
        table.count(rule, "count", found[rule])
    table.count("total", "count", sum(found.values()))
    return table


def _followups(held: list[_Held]) -> Table:
    table = Table("followups", ("count", "share", "days"))
    followups = [h for h in held if h.meeting.kind == "followup"]
    after_first = [h for h in followups if h.prior is not None and h.prior.kind == "first"]
    agreed, on_date = 0, 0
    for h in followups:
        if h.previous is None:  # the meeting before made no plan: no date was agreed
            continue
        raw = str((h.previous.snapshot.get("sections") or {}).get("followup_date") or "")
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            continue
        agreed += 1
        on_date += int(day == h.day)
    table.count("held", "count", len(followups))
    table.count("after_first", "count", len(after_first))
    table.count("not_first", "count", len(followups) - len(after_first))
    days = [(h.day - _local_day(h.prior.starts_at)).days for h in after_first]
    table.rows["after_first"]["days"] = Cell("days", statistics.median(days) if days else None)
    table.count("agreed", "count", agreed)
    table.count("on_date", "count", on_date)
    table.count("not_on_date", "count", agreed - on_date)
    return table


def _satisfaction(held: list[_Held]) -> Table:
    table = Table("satisfaction", ("count", "share"))
    answers: Counter = Counter()
    for h in held:
        answers.update(a for a in (h.meeting.satisfaction or {}).values() if a in SATISFACTION)
    for answer in SATISFACTION:
        table.count(answer, "count", answers[answer])
    table.count("answers", "count", sum(answers[a] for a in SATISFACTION))
    return table


# -- suppression ------------------------------------------------------------------------------

Ref = tuple[str, str, str]  # (table, row, column)


def _constraints(tables: dict[str, Table]) -> list[tuple[Ref, list[Ref]]]:
    """Each total shown with the cells that add up to it."""
    out: list[tuple[Ref, list[Ref]]] = []

    def add(table: str, total: tuple[str, str], parts: list[tuple[str, str]]) -> None:
        out.append(((table, *total), [(table, *p) for p in parts]))

    add("meetings", ("held", "count"), [("first", "count"), ("followup", "count")])
    add("meetings", ("held", "count"), [("family", "count"), ("no_family", "count")])
    add("meetings", ("held", "count"), [("with_plan", "count"), ("no_plan", "count")])
    add("meetings", ("with_plan", "count"), [("child_voice", "count"),
                                             ("no_child_voice", "count")])
    for row in (*ACTION_PRINCIPALS, "total"):
        add("actions", (row, "agreed"), [(row, "followed_up"), (row, "not_followed_up")])
        add("actions", (row, "followed_up"), [(row, "cancelled"), (row, "not_cancelled")])
        add("actions", (row, "not_cancelled"), [(row, "due"), (row, "not_due")])
        add("actions", (row, "due"), [(row, "done"), (row, "overdue")])
    for col in (*ACTION_COLUMNS, "not_followed_up", "not_cancelled", "not_due"):
        add("actions", ("total", col), [(p, col) for p in ACTION_PRINCIPALS])
    add("conditions", ("flagged", "count"), [(r, "count") for r in (*RESOLUTIONS, "settled")])
    rules = [r for r in tables["overrides"].rows if r != "total"]
    add("overrides", ("total", "count"), [(r, "count") for r in rules])
    add("followups", ("held", "count"), [("after_first", "count"), ("not_first", "count")])
    add("followups", ("agreed", "count"), [("on_date", "count"), ("not_on_date", "count")])
    add("satisfaction", ("answers", "count"), [(a, "count") for a in SATISFACTION])
    return out


def _suppress(tables: dict[str, Table], constraints: list[tuple[Ref, list[Ref]]],
              min_cell: int) -> None:
    def cell(ref: Ref) -> Cell:
        table, row, col = ref
        return tables[table].rows[row][col]

    for table in tables.values():
        for cells in table.rows.values():
            for c in cells.values():
                if c.kind == "count" and c.raw < min_cell:
                    c.suppressed = True
    changed = True
    while changed:
        changed = False
        for total, parts in constraints:
            if cell(total).suppressed:
                continue
            hidden = sum(cell(p).raw for p in parts if cell(p).suppressed)
            if not 0 < hidden < min_cell:
                continue
            shown = sorted((p for p in parts if not cell(p).suppressed and cell(p).raw > 0),
                           key=lambda p: cell(p).raw)
            cell(shown[0] if shown else total).suppressed = True
            changed = True
    _shares(tables)


def _shares(tables: dict[str, Table]) -> None:
    meetings = tables["meetings"].rows
    for row, of in MEETING_SHARES.items():
        meetings[row]["share"] = _share(meetings[row]["count"], meetings[of]["count"])
    for cells in tables["actions"].rows.values():
        for col, of in ACTION_SHARES.items():
            cells[f"{col}_share"] = _share(cells[col], cells[of])
    conditions = tables["conditions"].rows
    for row in RESOLUTIONS:
        conditions[row]["share"] = _share(conditions[row]["count"], conditions["flagged"]["count"])
    followups = tables["followups"].rows
    followups["on_date"]["share"] = _share(followups["on_date"]["count"],
                                           followups["agreed"]["count"])
    days = followups["after_first"]["days"]
    days.suppressed = followups["after_first"]["count"].suppressed
    satisfaction = tables["satisfaction"].rows
    for answer in SATISFACTION:
        satisfaction[answer]["share"] = _share(satisfaction[answer]["count"],
                                               satisfaction["answers"]["count"])


def _share(part: Cell, whole: Cell) -> Cell:
    if part.suppressed or whole.suppressed or not whole.raw:
        return Cell("share", None, suppressed=part.suppressed or whole.suppressed)
    return Cell("share", 100 * part.raw / whole.raw)
