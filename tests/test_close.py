"""What the close demands (docs/decisions/0015) in a live meeting.

An override sets aside one item with its own reason; no "if" leaves the room unresolved; a plan
without an action does not close but may end as "no plan made"; the law's four items are
there; a status does not excuse who and when; the follow-up date and the consent hold on the
meeting's day; and the console's list of what stops the close is the list a close attempt
answers with, kept up to date as items are fixed.
"""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from conftest import LiveClient
from docx import Document
from sqlalchemy import select

from sip_meeting import planning
from sip_meeting.db import atomic
from sip_meeting.models import AuditEvent, Meeting, Plan, PlanVersion


def _day(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _edit(client: LiveClient, entity: str, item_id: int, field: str, value) -> None:
    snap = client.snapshot()
    if entity == "plan":
        current = snap["plan"]["fields"][field]
    else:
        current = next(i for i in snap[f"{entity}s"] if i["id"] == item_id)["fields"][field]
    answer = client.op("edit", entity=entity, id=item_id, field=field,
                       base_version=current["version"], base=current["value"], value=value)
    assert answer["ok"], answer


def _add(client: LiveClient, entity: str, **values) -> int:
    answer = client.op("add_item", entity=entity, values=values)
    assert answer["ok"], answer
    return answer["id"]


def _settle_plan(live, writer: LiveClient, others_part: str = "none") -> int:
    """Fill in the plan-level items, so that only what a test leaves open stops the close.

    Returns the consent's id.
    """
    plan_id = live.meeting.plan_id
    for field, value in (("lead_principal", "municipality"), ("followup_date", _day(60)),
                         ("others_part", others_part)):
        if value:
            _edit(writer, "plan", plan_id, field, value)
    return _add(writer, "consent", given_by="Sara Berg", form="oral",
                organisations="Skolan, BUP", information="Skolsituationen")


def _done_right(person: LiveClient, what: str = "Ordna en lugn plats för lunch", **more) -> dict:
    return {"what": what, "responsible_participant_id": person.participant_id,
            "principal": "municipality", "due_date": _day(30), **more}


def _blockers(live) -> list[tuple[str, int | None]]:
    refused = live.chair.op("end")
    assert refused["ok"] is False and refused["code"] == "blocked", refused
    return sorted((b["rule"], b["item_id"]) for b in refused["blockers"])


def _people(live) -> tuple[LiveClient, LiveClient]:
    live.start()
    return live.join(), live.join("Karin Holm", "professional", "municipality",
                                  organisation="Skolan")


def _version(query) -> dict:
    return query(lambda s: s.scalar(select(PlanVersion))).snapshot


def _docx_text(client: LiveClient, meeting_id: int) -> str:
    doc = Document(io.BytesIO(client.http.get(f"/m/{meeting_id}/plan.docx").data))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


# -- per item, not per rule ------------------------------------------------------------------


def test_one_reason_sets_aside_one_action_and_the_plan_lists_each(live, query):
    sara, karin = _people(live)
    _settle_plan(live, sara)
    ids = [_add(sara, "action", what=f"Åtgärd nummer {n}", principal="municipality")
           for n in (1, 2, 3)]
    assert _blockers(live) == sorted((rule, i) for i in ids
                                     for rule in ("action_when", "action_who"))
    # One reason for the rule as a whole sets no action aside.
    answer = live.chair.op("override", rule="action_who", item_id=None,
                           reason="Vi bestämmer det senare")
    assert answer["ok"] is False and answer["code"] == "invalid"
    assert len(_blockers(live)) == 6
    for n, action in enumerate(ids, 1):
        for rule in ("action_who", "action_when"):
            assert live.chair.op("override", rule=rule, item_id=action,
                                 reason=f"Skäl {n} för {rule}")["ok"]
    # Set aside, then fixed: it no longer left anything open, so the plan does not list it.
    _edit(sara, "action", ids[0], "due_date", _day(20))
    assert live.chair.op("end")["ok"]

    overrides = _version(query)["overrides"]
    assert sorted((o["rule"], o["item_id"], o["reason"]) for o in overrides) == sorted(
        [(rule, action, f"Skäl {n} för {rule}") for n, action in enumerate(ids, 1)
         for rule in ("action_who", "action_when")
         if (rule, action) != ("action_when", ids[0])])
    page = sara.http.get(f"/m/{live.meeting.id}/plan").get_data(as_text=True)
    document = _docx_text(sara, live.meeting.id)
    for o in overrides:
        assert f"Skäl: {o['reason']}" in page and f"Skäl: {o['reason']}" in document
    assert "Skäl 1 för action_when" not in page
    left_open = page[page.index('id="plan-overrides"'):]
    assert all(f"Åtgärd: Åtgärd nummer {n}" in left_open for n in (1, 2, 3))


def test_an_override_names_something_that_stops_the_close_now(live):
    sara, karin = _people(live)
    _settle_plan(live, sara)
    action = _add(sara, "action", **_done_right(karin))
    # Nothing about this action stops the close: there is nothing to set aside.
    answer = live.chair.op("override", rule="action_who", item_id=action, reason="x")
    assert answer["code"] == "invalid" and "inget att lägga åt sidan" in answer["message"]
    assert live.chair.op("end")["ok"]


# -- no "if" leaves the room unresolved -----------------------------------------------------


def test_an_if_or_a_hedge_stops_the_close_until_it_is_resolved(live, query):
    sara, karin = _people(live)
    _settle_plan(live, sara)
    hedge = _add(sara, "action", **_done_right(karin, "Skolan ansöker om assistent om det behövs"))
    condition = _add(sara, "action", **_done_right(
        karin, "Om Alva orkar tränar hon simning med Karin varje vecka"))
    assert _blockers(live) == sorted([("conditional", condition), ("hedge", hedge)])
    # Accepted with a fallback: if it does not happen, who does what by when.
    _edit(sara, "action", condition, "condition_fallback",
          "Orkar Alva inte, ringer Karin hem den 1 mars och de väljer en annan aktivitet.")
    assert _blockers(live) == [("hedge", hedge)]
    # The hedge is set aside with a reason for this action; the plan says so.
    assert live.chair.op("override", rule="hedge", item_id=hedge,
                         reason="Rektor beslutar om assistent senast 15 januari")["ok"]
    assert live.chair.op("end")["ok"]

    version = _version(query)
    assert [(o["rule"], o["item_id"]) for o in version["overrides"]] == [("hedge", hedge)]
    assert [c["action_id"] for c in version["accepted_conditions"]] == [condition]
    page = sara.http.get(f"/m/{live.meeting.id}/plan").get_data(as_text=True)
    left_open = page[page.index('id="plan-overrides"'):]
    assert "Åtgärd: Skolan ansöker om assistent om det behövs" in left_open
    assert "Rektor beslutar om assistent senast 15 januari" in left_open
    assert "ringer Karin hem den 1 mars" in page


def test_a_condition_made_an_action_of_its_own_no_longer_stops_the_close(live):
    sara, karin = _people(live)
    _settle_plan(live, sara)
    action = _add(sara, "action", **_done_right(karin, "Om hen kommer till skolan, ger Karin "
                                                       "extra stöd"))
    assert _blockers(live) == [("conditional", action)]
    new = sara.op("split_condition", action_id=action, start=0, end=2)["id"]
    # The condition is now an action that needs its own who and when; the "if" is gone.
    assert ("conditional", action) not in _blockers(live)
    for field, value in (("responsible_participant_id", karin.participant_id),
                         ("due_date", _day(10)), ("principal", "municipality")):
        _edit(sara, "action", new, field, value)
    assert live.chair.op("end")["ok"]


# -- a plan with content ----------------------------------------------------------------------


def test_an_empty_plan_does_not_close_but_ends_as_no_plan_made(live, query):
    sara, _karin = _people(live)
    refused = live.chair.op("end")
    empty = [b for b in refused["blockers"] if b["rule"] == "actions"]
    assert empty and empty[0]["overridable"] is False
    assert all(b["overridable"] for b in refused["blockers"] if b["rule"] != "actions")
    answer = live.chair.op("override", rule="actions", item_id=None, reason="Familjen väntar")
    assert answer["code"] == "invalid"
    assert live.chair.op("end")["code"] == "blocked"
    assert sara.op("end_without_plan", reason="Jag vill inte")["code"] == "forbidden"
    assert live.chair.op("end_without_plan", reason="  ")["code"] == "invalid"
    sara.received()

    reason = "Familjen vill först träffa BUP och tar ställning efter det"
    assert live.chair.op("end_without_plan", reason=reason)["ok"]
    op = sara.received("op")[-1]
    assert (op["kind"], op["status"], op["no_plan_reason"]) == ("status", "closed", reason)
    meeting = query(lambda s: s.get(Meeting, live.meeting.id))
    assert (meeting.status, meeting.no_plan_reason) == ("closed", reason)
    assert meeting.closed_at is not None
    assert query(lambda s: s.scalars(select(PlanVersion)).all()) == []
    assert query(lambda s: s.scalar(select(AuditEvent.after).where(
        AuditEvent.field == "no_plan_reason"))) == reason
    assert sara.snapshot()["meeting"]["no_plan_reason"] == reason
    # The meeting page says so, with the reason, and offers no plan to print.
    page = live.chair.http.get(f"/meetings/{live.meeting.id}").get_data(as_text=True)
    assert "Det blev ingen plan" in page and reason in page
    assert f"/meetings/{live.meeting.id}/plan" not in page
    family = sara.http.get(f"/m/{live.meeting.id}/plan")
    assert family.status_code == 200 and reason in family.get_data(as_text=True)
    assert live.chair.op("end_without_plan", reason=reason)["code"] == "closed"


def test_a_plan_with_an_action_ends_with_the_plan(live, query):
    sara, karin = _people(live)
    _add(sara, "action", **_done_right(karin))
    answer = live.chair.op("end_without_plan", reason="Ingen plan")
    assert answer["code"] == "invalid" and "åtgärder" in answer["message"]
    assert query(lambda s: s.get(Meeting, live.meeting.id).status) == "live"


def test_the_laws_four_items_must_be_there(live, query):
    sara, karin = _people(live)
    _settle_plan(live, sara, others_part="")
    action = _add(sara, "action", **_done_right(karin, principal=""))
    # Which principal answers for the action, and what others than the municipality and
    # the region do.
    assert _blockers(live) == [("action_principal", action), ("others_part", None)]
    _edit(sara, "action", action, "principal", "region")
    _edit(live.chair, "plan", live.meeting.plan_id, "lead_principal", "")
    assert _blockers(live) == [("lead_principal", None), ("others_part", None)]
    _edit(live.chair, "plan", live.meeting.plan_id, "lead_principal", "region")
    family = _add(sara, "action", what="Väcka Alva kvart i sju", principal="family",
                  responsible_participant_id=sara.participant_id, due_date=_day(7))
    assert live.chair.op("end")["ok"]
    page = sara.http.get(f"/m/{live.meeting.id}/plan").get_data(as_text=True)
    others = page[page.index("Vad andra än kommunen och regionen gör"):]
    assert "Väcka Alva kvart i sju" in others[:others.index("</ul>")]
    assert _version(query)["actions"][1]["id"] == family


def test_no_one_else_having_a_part_is_recorded_and_shown(live):
    sara, karin = _people(live)
    _settle_plan(live, sara, others_part="")
    _add(sara, "action", **_done_right(karin))
    assert _blockers(live) == [("others_part", None)]
    _edit(live.chair, "plan", live.meeting.plan_id, "others_part", "none")
    assert live.chair.op("end")["ok"]
    page = sara.http.get(f"/m/{live.meeting.id}/plan").get_data(as_text=True)
    assert "Ingen annan har en del i den här planen" in page


# -- status does not exempt -------------------------------------------------------------------


def test_a_done_or_cancelled_action_added_in_this_meeting_is_asked_who_and_when(live):
    sara, karin = _people(live)
    _settle_plan(live, sara)
    done = _add(sara, "action", what="Skolan har bokat ett möte med BUP",
                principal="municipality", status="done")
    cancelled = _add(sara, "action", what="Simning på fritids", principal="municipality",
                     status="cancelled")
    _add(sara, "action", **_done_right(karin))
    assert _blockers(live) == sorted([("action_when", done), ("action_who", done),
                                      ("action_when", cancelled), ("action_who", cancelled)])


def test_a_done_action_carried_over_from_the_last_version_is_not_asked_again(app, live):
    sara, karin = _people(live)
    _settle_plan(live, sara)
    carried = _add(sara, "action", **_done_right(karin))
    assert live.chair.op("end")["ok"]
    with app.app_context(), atomic() as session:
        plan = session.get(Plan, live.meeting.plan_id)
        followup = planning.schedule_meeting(
            session, plan.chair, plan, planning.local_to_utc(date.today(), time(15, 0)),
            place="Skolan", purpose="Följa upp planen")
        followup_id = followup.id
    chair = LiveClient(app, followup_id, "console", live.chair.http)
    assert chair.op("start")["ok"]
    # Karin is not invited to the follow-up, so the open action has no one responsible here.
    assert ("action_who", carried) in [(b["rule"], b["item_id"])
                                       for b in chair.op("end")["blockers"]]
    _edit(chair, "action", carried, "status", "done")
    assert chair.op("end")["ok"]  # nothing else stops this follow-up


# -- the follow-up date and the consent -------------------------------------------------------


@pytest.mark.parametrize(("days", "months", "rule"), [
    (0, 6, "followup_not_after"),
    (-3, 6, "followup_not_after"),
    (200, 6, "followup_too_far"),
    (70, 2, "followup_too_far"),
    (50, 2, None),
    (170, 6, None),
])
def test_the_follow_up_comes_after_the_meeting_within_the_maximum(live, app, days, months, rule):
    app.config["FOLLOWUP_MAX_MONTHS"] = months
    sara, karin = _people(live)
    _settle_plan(live, sara)
    _add(sara, "action", **_done_right(karin))
    _edit(sara, "plan", live.meeting.plan_id, "followup_date", _day(days))
    if rule:
        assert _blockers(live) == [(rule, None)]
    else:
        assert live.chair.op("end")["ok"]


def test_consent_expired_by_the_meeting_day_stops_the_close(live):
    sara, karin = _people(live)
    consent = _settle_plan(live, sara)
    _add(sara, "action", **_done_right(karin))
    _edit(sara, "consent", consent, "valid_until", _day(-1))
    assert _blockers(live) == [("consent_expired", None)]
    _edit(sara, "consent", consent, "valid_until", _day(0))
    assert live.chair.op("end")["ok"]


def test_a_withdrawal_of_consent_is_recorded_and_shown_in_the_plan(live, query):
    sara, karin = _people(live)
    consent = _settle_plan(live, sara)
    _add(sara, "action", **_done_right(karin))
    for field, value in (("withdrawn_at", _day(-2)), ("withdrawn_by", "Sara Berg")):
        _edit(sara, "consent", consent, field, value)
    # Withdrawn as a whole: there is no consent any more.
    assert _blockers(live) == [("consent_withdrawn", None)]
    # Withdrawn for a part only: the rest of the consent holds, and the plan says what.
    _edit(sara, "consent", consent, "withdrawn_scope", "Journaler från BUP")
    assert live.chair.op("end")["ok"]
    [kept] = _version(query)["consents"]
    assert (kept["withdrawn_at"], kept["withdrawn_by"], kept["withdrawn_scope"]) == (
        _day(-2), "Sara Berg", "Journaler från BUP")
    page = sara.http.get(f"/m/{live.meeting.id}/plan").get_data(as_text=True)
    document = _docx_text(sara, live.meeting.id)
    for text in (page, document):
        assert "Samtycket har återkallats" in text and "Journaler från BUP" in text
        assert "Återkallat av" in text and "Sara Berg" in text


# -- one list, live ---------------------------------------------------------------------------


def test_the_close_list_is_the_live_list_and_follows_each_fix(live):
    sara, karin = _people(live)
    action = _add(sara, "action", what="Ordna skolskjuts")
    live.chair.received()
    annotations = live.chair.snapshot()["annotations"]
    refused = live.chair.op("end")
    assert refused["blockers"] == annotations["close_blockers"]
    assert annotations["completeness"]["blockers"] == len(refused["blockers"])
    # Each flag says whether it stops the close, also one that is only a warning today.
    stops = {(f["rule"], f["item_id"]) for f in annotations["findings"] if f["blocks_close"]}
    assert stops == {(b["rule"], b["item_id"]) for b in refused["blockers"]}
    assert {f["rule"] for f in annotations["findings"]
            if f["blocks_close"] and f["severity"] != "blocker"} >= {"consent", "followup_date"}

    plan_id = live.meeting.plan_id
    fixes = [("plan", plan_id, "lead_principal", "municipality"),
             ("plan", plan_id, "followup_date", _day(60)),
             ("plan", plan_id, "others_part", "none"),
             ("action", action, "responsible_participant_id", karin.participant_id),
             ("action", action, "due_date", _day(30)),
             ("action", action, "principal", "municipality")]
    count = len(refused["blockers"])
    for entity, item_id, field, value in fixes:
        _edit(sara, entity, item_id, field, value)
        sent = live.chair.received("annotations")[-1]
        assert sent["close_blockers"] == live.chair.op("end")["blockers"]
        assert len(sent["close_blockers"]) == sent["completeness"]["blockers"] == count - 1
        count -= 1
    assert [b["rule"] for b in sent["close_blockers"]] == ["consent"]
    assert live.chair.op("override", rule="consent", item_id=None, reason="Ges skriftligt")["ok"]
    assert live.chair.received("annotations")[-1]["close_blockers"] == []
    assert live.chair.op("end")["ok"]


def test_the_migration_marks_the_actions_of_versions_already_frozen(app):
    """Actions that a version frozen before 0006 held count as carried over."""
    from alembic import command as alembic_command
    from sqlalchemy import text

    from sip_meeting.cli import alembic_config
    from sip_meeting.models import Action, Chair

    with app.app_context():
        with atomic() as session:
            chair = Chair(email="c@example.se", name="C", password_hash="x")
            session.add(chair)
            session.flush()
            plan = planning.create_plan(session, chair, "Alva")
            old, new = Action(what="Förra planens åtgärd", field_versions={}), \
                Action(what="Ny åtgärd", position=1, field_versions={})
            plan.actions.extend([old, new])
            session.flush()
            session.add(PlanVersion(plan_id=plan.id, number=1,
                                    snapshot={"actions": [{"id": old.id}]}))
            ids = (old.id, new.id)
        alembic_command.downgrade(alembic_config(), "0005")
        alembic_command.upgrade(alembic_config(), "head")
        with atomic() as session:
            found = dict(session.execute(text("SELECT id, first_version FROM actions")).all())
    assert (found[ids[0]], found[ids[1]]) == (1, None)
