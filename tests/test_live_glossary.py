"""The glossary in the live meeting: terms marked, words asked about, explanations kept."""

from __future__ import annotations

from sqlalchemy import select

from sip_meeting.models import TermExplanation, TermRequest


def test_terms_are_recognised_in_plan_text_for_every_screen(live):
    live.start()
    sara = live.join()
    wall = live.wall()
    wall.received()
    action = sara.op("add_item", entity="action",
                     values={"what": "Handläggaren utreder insatserna från LSS"})["id"]
    terms = wall.received("annotations")[-1]["terms"]
    found = [t for t in terms if t["entity"] == "action" and t["id"] == action][0]
    assert [(m["term"], m["form"], m["start"]) for m in found["matches"]] == [
        ("handlaggare", "Handläggaren", 0), ("insats", "insatserna", 21), ("lss", "LSS", 37)]


def test_word_request_reaches_the_chair_and_not_other_meetings(live, app, make_meeting,
                                                              make_participant):
    from conftest import LiveClient

    live.start()
    sara = live.join()
    other = make_meeting(child="Nils")
    _, token = make_participant(other, name="Per")
    http = app.test_client()
    http.get(f"/j/{token}")
    outsider = LiveClient(app, other.id, "device", http)
    outsider.received()
    live.chair.received()
    answer = sara.op("ask_term", word="insats", term_id="insats", named=False)
    assert answer["ok"]
    op = live.chair.received("op")[-1]
    request = op["request"]
    assert request["word"] == "insats" and request["asked_by"] is None
    assert "Sara" not in str(op)  # the person is not named unless they wish
    assert outsider.received() == []
    console = live.chair.call("sync", {"last_seq": None})["snapshot"]
    assert [r["word"] for r in console["term_requests"]] == ["insats"]
    assert sara.snapshot()["term_requests"] == []  # not on the wall yet


def test_named_request_keeps_the_name_only_when_asked(live, query):
    live.start()
    sara = live.join()
    sara.op("ask_term", word="närstående", term_id=None, named=True)
    sara.op("ask_term", word="vårdplan", term_id=None, named=False)
    names = query(lambda s: [r.asked_by for r in s.scalars(select(TermRequest))])
    assert names == ["Sara Berg", None]


def test_chair_shows_request_on_wall_and_records_explanation(live, query):
    live.start()
    sara = live.join()
    wall = live.wall()
    request = sara.op("ask_term", word="insats", term_id="insats", named=False)["id"]
    assert live.chair.op("show_term", request_id=request, on_wall=True)["ok"]
    assert [r["word"] for r in wall.call("sync", {"last_seq": None})["snapshot"]["term_requests"]] \
        == ["insats"]
    wall.received()
    assert sara.op("explain_term", request_id=request, word=None, term_id=None,
                   text="x")["code"] == "forbidden"
    answer = live.chair.op("explain_term", request_id=request, word=None, term_id=None,
                           text="I den här planen är en insats stöd som familjen får.")
    assert answer["ok"]
    event = wall.received("op")[-1]
    assert event["kind"] == "explanation_added"
    assert event["explanation"]["word"] == "insats"
    assert event["request"]["status"] == "answered"
    stored = query(lambda s: s.scalar(select(TermExplanation)))
    assert stored.plan_id == live.meeting.plan_id and stored.text.startswith("I den här planen")
    assert [e["word"] for e in sara.snapshot()["explanations"]] == ["insats"]


def test_bad_word_requests_are_refused(live):
    live.start()
    sara = live.join()
    assert sara.op("ask_term", word="", term_id=None, named=False)["code"] == "invalid"
    assert sara.op("ask_term", word="x" * 81, term_id=None, named=False)["code"] == "invalid"
    assert sara.op("ask_term", word="ord", term_id="no-such-term", named=False)["code"] == \
        "invalid"
