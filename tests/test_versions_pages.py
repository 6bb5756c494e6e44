"""A plan's versions through the app: list, read, and compare what a follow-up changed."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from conftest import CHAIR_PASSWORD, LiveClient

from sip_meeting import labels, planning, versions_views
from sip_meeting.db import atomic
from sip_meeting.models import Meeting, Plan

ENGLISH = {"Accept-Language": "en"}
STRENGTHS = "Alva är nyfiken och tycker om att rita. Hon har två nära vänner i klassen."
CALM_PLACE = "Skolan ordnar en lugn plats på rasten"
NEW_ACTION = "Habiliteringen ger föräldrarna stöd kring sömnen"


@pytest.fixture(autouse=True)
def _versions_pages(app):
    """Serve the version pages on the test app even before the app factory registers them."""
    if "versions" not in app.blueprints:
        app.register_blueprint(versions_views.bp)
    if "version_view" not in app.jinja_env.globals:
        labels.init_app(app)


def _edit(client: LiveClient, entity: str, item_id: int, field: str, value) -> None:
    snap = client.snapshot()
    if entity == "plan":
        current = snap["plan"]["fields"][field]
    else:
        item = next(i for i in snap[f"{entity}s"] if i["id"] == item_id)
        current = item["fields"][field]
    answer = client.op("edit", entity=entity, id=item_id, field=field,
                       base_version=current["version"], base=current["value"], value=value)
    assert answer["ok"], answer


def _end(chair: LiveClient) -> None:
    """Close a meeting, overriding what blocks it, as the live fixture does."""
    refused = chair.op("end")
    for blocker in refused.get("blockers", []):
        assert chair.op("override", rule=blocker["rule"], item_id=blocker["item_id"],
                        reason="Tas vid nästa möte")["ok"]
    assert chair.op("end")["ok"]


def _follow_up(app, plan_id: int, chair_http) -> LiveClient:
    """Schedule the plan's follow-up meeting and start it from the chair's console."""
    with app.app_context(), atomic() as session:
        plan = session.get(Plan, plan_id)
        starts = planning.local_to_utc(date.today() + timedelta(days=60), time(13, 0))
        meeting = planning.schedule_meeting(session, plan.chair, plan, starts,
                                            place="Skolan", purpose="Följa upp planen")
        meeting_id = meeting.id
    chair = LiveClient(app, meeting_id, "console", chair_http)
    assert chair.op("start")["ok"]
    return chair


@pytest.fixture
def two_versions(app, live):
    """Close a first meeting as version 1, then revise the plan in a follow-up as version 2."""
    live.start()
    sara = live.join()
    plan_id = live.meeting.plan_id
    _edit(sara, "plan", plan_id, "strengths", STRENGTHS)
    calm = sara.op("add_item", entity="action", values={"what": CALM_PLACE})["id"]
    live.end()

    chair = _follow_up(app, plan_id, live.chair.http)
    _edit(chair, "action", calm, "status", "done")
    _edit(chair, "plan", plan_id, "strengths", STRENGTHS.replace("två", "tre"))
    assert chair.op("add_item", entity="action", values={"what": NEW_ACTION})["ok"]
    _end(chair)
    return plan_id, live.chair.http


def _page(http, url: str):
    response = http.get(url, headers=ENGLISH)
    return response.status_code, response.get_data(as_text=True)


def test_compare_shows_added_action_status_change_and_changed_words(two_versions):
    plan_id, http = two_versions
    status, body = _page(http, f"/plans/{plan_id}/versions/compare?a=1&b=2")
    assert status == 200
    assert "From version 1" in body and "to version 2" in body
    # The new action, marked as added in words and with <ins>.
    added = re.search(r'tag-added">Added</span>\s*<ins><strong class="pre">([^<]*)</strong>', body)
    assert added and added.group(1) == NEW_ACTION
    # The status change, called out on its own row: planned before, done after.
    status_table = body.split('id="h-status"')[1].split("</table>")[0]
    assert CALM_PLACE in status_table
    assert re.search(r"<del>.*?Planned</del>", status_table, re.S)
    assert re.search(r"<ins>.*?Done</ins>", status_table, re.S)
    # Inside the changed paragraph, only the changed word is marked.
    assert re.search(r'<del><span class="visually-hidden">Removed: </span>två</del>', body)
    assert re.search(r'<ins><span class="visually-hidden">Added: </span>tre</ins>', body)
    assert "data-print" in body and "css/versions.css" in body
    assert "style=" not in body


def test_compare_either_way_reads_from_older_to_newer(two_versions):
    plan_id, http = two_versions
    _, forward = _page(http, f"/plans/{plan_id}/versions/compare?a=1&b=2")
    _, backward = _page(http, f"/plans/{plan_id}/versions/compare?a=2&b=1")
    assert backward.split('<div class="diff">')[1] == forward.split('<div class="diff">')[1]


def test_same_version_twice_has_nothing_changed(two_versions):
    plan_id, http = two_versions
    status, body = _page(http, f"/plans/{plan_id}/versions/compare?a=2&b=2")
    assert status == 200 and "Nothing changed between these two versions." in body


def test_list_links_each_version_and_the_comparison(two_versions, query):
    plan_id, http = two_versions
    status, body = _page(http, f"/plans/{plan_id}/versions")
    assert status == 200
    assert "Version 1" in body and "Version 2" in body
    assert f"/plans/{plan_id}/versions/1" in body and f"/plans/{plan_id}/versions/2" in body
    assert f"/plans/{plan_id}/versions/compare?a=1&amp;b=2" in body
    meeting_ids = query(lambda s: [m.id for m in s.query(Meeting).filter_by(plan_id=plan_id)])
    for meeting_id in meeting_ids:
        assert f"/meetings/{meeting_id}\"" in body
    assert "Follow-up" in body and "First meeting" in body


@pytest.mark.parametrize("shared", [True, False])
def test_one_version_reads_as_it_was_frozen(two_versions, monkeypatch, shared):
    plan_id, http = two_versions
    if not shared:  # the page's own plain view, used when the plan's shared view is missing
        monkeypatch.setattr(versions_views, "SHARED_VERSION_TEMPLATE", "plan/missing.html")
    status, first = _page(http, f"/plans/{plan_id}/versions/1")
    assert status == 200
    assert CALM_PLACE in first and STRENGTHS in first and NEW_ACTION not in first
    assert "data-print" in first and "Done" not in first
    assert ("css/plan.css" in first) is shared
    _, second = _page(http, f"/plans/{plan_id}/versions/2")
    assert NEW_ACTION in second and STRENGTHS.replace("två", "tre") in second
    assert "Done" in second and "style=" not in second


@pytest.mark.parametrize("query_string,status,message", [
    ("a=1&b=7", 404, "Version 7 of this plan does not exist."),
    ("a=0&b=1", 404, "Version 0 of this plan does not exist."),
    ("a=1", 400, "Choose two versions to compare."),
    ("a=one&b=2", 400, "Choose two versions to compare."),
    ("a=1&b=99999999999999999999", 404, "Version 99999999999999999999 of this plan does not"),
    ("", 400, "Choose two versions to compare."),
])
def test_bad_version_numbers_get_a_clear_message(two_versions, query_string, status, message):
    plan_id, http = two_versions
    code, body = _page(http, f"/plans/{plan_id}/versions/compare?{query_string}")
    assert (code, message in body) == (status, True)


@pytest.mark.parametrize("path", ["/versions/7", "/versions/0", "/versions/x",
                                  "/versions/99999999999999999999"])
def test_missing_version_is_not_found(two_versions, path):
    plan_id, http = two_versions
    assert _page(http, f"/plans/{plan_id}{path}")[0] == 404


def test_plan_without_versions_says_so(client, make_chair, make_meeting, login):
    meeting = make_meeting(make_chair())
    login()
    status, body = _page(client, f"/plans/{meeting.plan_id}/versions")
    assert status == 200 and "There is no version yet" in body


@pytest.mark.parametrize("path", ["/versions", "/versions/1", "/versions/compare?a=1&b=2"])
def test_another_chair_gets_not_found(app, two_versions, make_chair, path):
    plan_id, _ = two_versions
    make_chair("other@example.se", "Olle Ek")
    other = app.test_client()
    other.post("/login", data={"email": "other@example.se", "password": CHAIR_PASSWORD})
    assert _page(other, f"/plans/{plan_id}{path}")[0] == 404
    assert _page(other, "/plans/999/versions")[0] == 404
    assert _page(other, "/plans/99999999999999999999/versions")[0] == 404


def test_nobody_logged_in_is_sent_to_log_in(app, two_versions):
    plan_id, _ = two_versions
    response = app.test_client().get(f"/plans/{plan_id}/versions/1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_kind_of_change_is_shown(app, client, make_chair, make_meeting, login, query):
    """Goals, actions, consents, conditions and explanations: added, removed and changed."""
    from test_diff import version

    meeting = make_meeting(make_chair())
    old = version(1, **{"meeting": {"kind": "first", "starts_at": "2030-01-10T12:00:00+00:00"}})
    new = version(2, **{"meeting": {"kind": "followup", "starts_at": "2030-05-01T12:00:00+00:00"},
                        "goals.1.text": "Alva äter lunch med en vän.",
                        "consents.0.organisations": "Skolan, BUP, habiliteringen",
                        "actions.0.due_date": "2030-03-01"})
    removed = new["actions"].pop(1)
    new["goals"].append({"id": 4, "kind": "short", "text": "Alva sover hela natten."})
    new["accepted_conditions"] = [{"action_id": 10, "what": old["actions"][0]["what"],
                                   "phrase": "", "fallback": "Läraren följer med ut."}]
    new["explanations"].append({"word": "närstående", "term_id": None, "text": "Mormor."})
    with app.app_context(), atomic() as session:
        from sip_meeting.models import PlanVersion

        for number, snapshot in ((1, old), (2, new)):
            session.add(PlanVersion(plan_id=meeting.plan_id, meeting_id=None, number=number,
                                    snapshot=snapshot))
    login()
    status, body = _page(client, f"/plans/{meeting.plan_id}/versions/compare?a=1&b=2")
    assert status == 200
    sections = {name: body.split(f'id="h-{name}"')[1].split("</section>")[0]
                for name in ("goals", "actions", "consents", "conditions", "words")}
    assert "Alva sover hela natten." in sections["goals"]
    assert re.search(r"<del>Alva äter lunch i matsalen.</del>", sections["goals"])
    assert 'tag-removed">Removed' in sections["actions"] and removed["what"] in sections["actions"]
    assert "1 March 2030" in sections["actions"]  # a changed date, in the reader's words
    assert "habiliteringen" in sections["consents"]
    assert "Läraren följer med ut." in sections["conditions"]
    assert "närstående" in sections["words"]
    assert "style=" not in body
    status, listing = _page(client, f"/plans/{meeting.plan_id}/versions")
    assert status == 200 and "10 January 2030" in listing
