"""Plan rules in the live meeting: findings on every screen, conditions resolved, close gate."""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy import select

from sip_meeting import annotations
from sip_meeting.annotations import PlanRows, annotate_all
from sip_meeting.db import db_session
from sip_meeting.models import Action, Meeting


def _action(client, what: str) -> int:
    return client.op("add_item", entity="action", values={"what": what})["id"]


def _findings(client, rule: str) -> list[dict]:
    annotations = client.received("annotations")
    assert annotations, "no annotations arrived"
    return [f for f in annotations[-1]["findings"] if f["rule"] == rule]


def test_conditional_action_is_flagged_on_every_screen_and_clears_when_rewritten(live):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    wall = live.wall()
    for c in (sara, karin, wall, live.chair):
        c.received()
    action = _action(sara, "Om Alva kommer till skolan får hon stöd av assistent")
    for client in (sara, karin, wall, live.chair):
        flagged = _findings(client, "conditional")
        assert [(f["item_id"], f["phrase"], f["start"], f["end"]) for f in flagged] == [
            (action, "Om", 0, 2)]
        assert flagged[0]["message"].endswith("?")  # asked as a question
    assert sara.op("edit", entity="action", id=action, field="what", base_version=0,
                   base="Om Alva kommer till skolan får hon stöd av assistent",
                   value="Alva får stöd av assistent varje skoldag")["ok"]
    for client in (sara, karin, wall, live.chair):
        assert _findings(client, "conditional") == []


def test_findings_reach_each_reader_in_their_language(live):
    live.start()
    sara = live.join()
    ahmed = live.join("Ahmed Berg", language="en")
    _action(sara, "Kanske ringer skolan")
    sv = _findings(sara, "hedge")[0]["message"]
    en = _findings(ahmed, "hedge")[0]["message"]
    assert sv != en and "Kanske" in sv


def test_completeness_meter_counts_what_blocks_the_close(live):
    live.start()
    sara = live.join()
    before = sara.snapshot()["annotations"]
    assert before["completeness"]["percent"] < 100
    assert before["completeness"]["blockers"] == len(before["close_blockers"])
    assert {b["rule"] for b in before["close_blockers"]} == {
        "lead_principal", "consent", "followup_date", "actions", "others_part"}
    _action(sara, "")
    after = sara.received("annotations")[-1]
    assert after["completeness"]["blockers"] == len(after["close_blockers"])
    assert {b["rule"] for b in after["close_blockers"]} == {
        "lead_principal", "consent", "followup_date", "others_part", "action_what",
        "action_who", "action_when", "action_principal"}


def test_condition_becomes_its_own_action_that_the_original_waits_for(live, query):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    action = _action(sara, "Om hen kommer till skolan, ger mentor extra stöd")
    karin.received()
    answer = sara.op("split_condition", action_id=action, start=0, end=2)
    assert answer["ok"]
    event = karin.received("op")[-1]
    assert event["kind"] == "condition_split" and event["action_id"] == action
    assert event["item"]["fields"]["what"]["value"] == "Hen kommer till skolan"
    original = query(lambda s: s.get(Action, action))
    assert original.depends_on_id == answer["id"]


def test_accepted_condition_with_fallback_is_listed_not_flagged(live):
    live.start()
    sara = live.join()
    action = _action(sara, "Om Alva vill, tränar hon simning med kontaktperson")
    assert sara.op("edit", entity="action", id=action, field="condition_fallback",
                   base_version=0, base="",
                   value="Annars erbjuder kontaktpersonen promenader, Jonas ringer 1 mars")["ok"]
    annotations = sara.received("annotations")[-1]
    assert [f for f in annotations["findings"] if f["rule"] == "conditional"] == []
    assert [c["action_id"] for c in annotations["accepted_conditions"]] == [action]


def test_close_is_refused_with_a_blocker_and_allowed_with_an_override(live, query):
    live.start()
    sara = live.join()
    karin = live.join("Karin Holm", "professional", "municipality")
    assert sara.op("add_item", entity="action", values={
        "what": "Ordna en lugn plats för lunch", "responsible_participant_id":
        karin.participant_id, "principal": "municipality", "due_date": _in_days(30)})["ok"]
    refused = live.chair.op("end")
    assert refused["ok"] is False and refused["code"] == "blocked"
    rules = {b["rule"] for b in refused["blockers"]}
    assert {"lead_principal", "consent", "followup_date", "others_part"} <= rules
    assert all(b["item_id"] is None and b["overridable"] for b in refused["blockers"])
    assert query(lambda s: s.get(Meeting, live.meeting.id).status) == "live"
    assert sara.op("override", rule="consent", item_id=None, reason="x")["code"] == "forbidden"
    for rule in rules:
        assert live.chair.op("override", rule=rule, item_id=None,
                             reason="Familjen vill vänta till nästa möte")["ok"]
    assert live.chair.op("end")["ok"]
    meeting = query(lambda s: s.get(Meeting, live.meeting.id))
    assert meeting.status == "closed"
    assert {o["rule"]: o["reason"] for o in meeting.overrides}["consent"] == \
        "Familjen vill vänta till nästa möte"
    assert all(o["by"] == "Eva Lund" for o in meeting.overrides)


def test_override_needs_a_known_rule_and_a_short_reason(live):
    live.start()
    assert live.chair.op("override", rule="nonsense", item_id=None, reason="x")["code"] == \
        "invalid"
    assert live.chair.op("override", rule="consent", item_id=None, reason="x" * 501)["code"] == \
        "invalid"


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_filled_in_plan_closes_without_override(live, query):
    live.start()
    sara = live.join()
    karin = live.join("Karin Holm", "professional", "municipality")
    plan_id = live.meeting.plan_id
    for field, value in (("lead_principal", "municipality"), ("followup_date", _in_days(60))):
        assert sara.op("edit", entity="plan", id=plan_id, field=field, base_version=0, base="",
                       value=value)["ok"]
    assert sara.op("add_item", entity="consent", values={
        "given_by": "Sara Berg", "form": "oral", "organisations": "Skolan, BUP",
        "information": "Skolsituationen"})["ok"]
    assert sara.op("add_item", entity="action", values={
        "what": "Ordna en lugn plats för lunch", "responsible_participant_id":
        karin.participant_id, "principal": "municipality", "due_date": _in_days(30)})["ok"]
    assert sara.op("add_item", entity="action", values={
        "what": "Väcka Alva kvart i sju", "responsible_participant_id": sara.participant_id,
        "principal": "family", "due_date": _in_days(7)})["ok"]
    answer = live.chair.op("end")
    assert answer["ok"], answer
    assert query(lambda s: s.scalar(select(Meeting.status))) == "closed"


def test_annotations_sent_live_equal_those_a_reconnecting_screen_gets(live):
    """The live server reads the plan as plain rows, a sync through the ORM: same findings,
    completeness, accepted conditions and terms for a plan with every kind of content."""
    live.start()
    sara = live.join()
    karin = live.join("Karin Holm", "professional", "municipality")
    goal = sara.op("add_item", entity="goal", values={"kind": "short", "text": "Alva läser"})["id"]
    first = sara.op("add_item", entity="action", values={
        "what": "Om Alva orkar utreder handläggaren insatser enligt LSS",
        "responsible_participant_id": karin.participant_id, "organisation": "Kommunen",
        "due_date": "2030-05-01", "goal_id": goal})["id"]
    sara.op("add_item", entity="action", values={"what": "Kanske ringer skolan",
                                                 "depends_on_id": first})
    sara.op("add_item", entity="consent", values={"given_by": "Sara Berg"})
    sara.op("edit", entity="plan", id=live.meeting.plan_id, field="strengths", base_version=0,
            base="", value="Alva har en god vän och tycker om elevhälsan")
    sara.op("edit", entity="meeting", id=live.meeting.id, field="questions", base_version=0,
            base="", value="Hur får Alva stöd av assistent?")
    sent = sara.received("annotations")[-1]
    synced = sara.call("sync", {"last_seq": sent["seq"]})
    assert "ops" in synced  # caught up by operations, annotations read through the ORM
    assert synced["annotations"] == sent
    rules = {f["rule"] for f in sent["findings"]}
    assert {"conditional", "hedge"} <= rules
    assert {t["entity"] for t in sent["terms"]} == {"action", "plan"}


def test_only_a_large_plan_is_checked_off_the_loop(live, app, monkeypatch):
    """A plan's check runs in place unless its texts are long (then through `run_large`, a
    native thread in the server); the annotations are the same either way."""
    live.start()
    sara = live.join()
    _action(sara, "Om Alva orkar ringer skolan hem")
    handed_over = []

    def run_large(fn, *args):
        handed_over.append(fn)
        return fn(*args)

    with app.app_context():
        rows = PlanRows.read(db_session(), live.meeting.id)
        in_place = annotate_all(rows, ("sv", "en"), run_large)
        assert handed_over == []
        monkeypatch.setattr(annotations, "LARGE_PLAN_CHARS", len("Om Alva orkar ringer skolan"))
        assert annotate_all(rows, ("sv", "en"), run_large) == in_place
    assert handed_over == [annotations.derive]
    assert [f["phrase"] for f in in_place["sv"]["findings"] if f["rule"] == "conditional"] \
        == ["Om"]


def test_findings_wait_for_a_pause_but_not_for_the_end_of_the_writing(live, app, monkeypatch):
    """Checked when writing pauses, and at least every ANNOTATION_MAX_WAIT while it goes on."""
    monkeypatch.setitem(app.config, "ANNOTATION_DELAY", 0.3)
    monkeypatch.setitem(app.config, "ANNOTATION_MAX_WAIT", 0.8)
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    action = _action(sara, "Alva får stöd")
    text, version, edits, while_writing = "Alva får stöd", 0, 0, []
    writing_until = time.monotonic() + 2.0
    while time.monotonic() < writing_until:  # an edit every 0.1 s: never a pause of 0.3 s
        edits += 1
        value = f"Alva får stöd av assistent {edits}"
        ack = sara.op("edit", entity="action", id=action, field="what", base_version=version,
                      base=text, value=value)
        text, version = value, ack["version"]
        while_writing += karin.received("annotations")
        time.sleep(0.1)
    time.sleep(0.8)
    # A check that began just before the last edit may land after the loop's last look, so
    # the pause brings one or two; never one per edit.
    after_the_pause = karin.received("annotations")
    assert while_writing and after_the_pause
    assert len(while_writing) + len(after_the_pause) <= 5 < edits
