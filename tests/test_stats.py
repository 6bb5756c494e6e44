"""Statistics for management: known answers on a seeded set, the minimum cell size, who sees it.

The seeded set (tests/stats_seed.py) has 25 meetings held in the first half of 2026. Counts
below the minimum cell size (5) are suppressed, and so is the smallest other count of a total
that would give a suppressed one away.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from stats_seed import PERIOD, seed_stats

from sip_meeting import stats
from sip_meeting.db import atomic

SUPPRESSED = "<5"
PERIOD_ARGS = {"from": PERIOD[0].isoformat(), "to": PERIOD[1].isoformat()}

EXPECTED = {
    "meetings": {
        "held": {"count": 25},
        "first": {"count": 15, "share": 60}, "followup": {"count": 10, "share": 40},
        "family": {"count": 20, "share": 80}, "with_plan": {"count": 25, "share": 100},
        "child_voice": {"count": 15, "share": 60},
    },
    "actions": {
        "municipality": {"agreed": 15, "followed_up": 10, "due": 10, "done": 5, "overdue": 5,
                         "cancelled": SUPPRESSED, "done_share": 50, "overdue_share": 50,
                         "cancelled_share": None, "followed_up_share": 67, "due_share": 100},
        "region": {"agreed": 15, "followed_up": 10, "due": 5, "done": 5, "overdue": SUPPRESSED,
                   "cancelled": 5, "done_share": 100, "cancelled_share": 50},
        "family": {"agreed": 6, "followed_up": 6, "due": SUPPRESSED, "done": SUPPRESSED},
        "other": {"agreed": 10, "followed_up": SUPPRESSED},
        "none": {"agreed": SUPPRESSED},
        "total": {"agreed": 46, "followed_up": 26, "due": 15, "done": 10, "overdue": 5,
                  "cancelled": 5, "done_share": 67, "overdue_share": 33},
    },
    # Two splits are too few to show, and the smallest other count goes with them, or the
    # two could be found by subtracting from the 17.
    "conditions": {
        "flagged": {"count": 17}, "rewritten": {"count": SUPPRESSED, "share": None},
        "split": {"count": SUPPRESSED, "share": None}, "fallback": {"count": 5, "share": 29},
        "overridden": {"count": 5, "share": 29}, "settled": {"count": SUPPRESSED},
    },
    "overrides": {"action_who": {"count": 7}, "conditional": {"count": SUPPRESSED},
                  "followup_date": {"count": SUPPRESSED}, "total": {"count": 13}},
    "followups": {"held": {"count": 10}, "after_first": {"count": 10, "days": 90},
                  "agreed": {"count": 10}, "on_date": {"count": 5, "share": 50}},
    "satisfaction": {"yes": {"count": 12, "share": 60}, "partly": {"count": SUPPRESSED,
                     "share": None}, "no": {"count": SUPPRESSED, "share": None},
                     "answers": {"count": 20}},
}


@pytest.fixture
def seeded(app, make_chair, login):
    with app.app_context(), atomic() as session:
        seed_stats(session)
    make_chair()
    login()


def _check(tables: dict) -> None:
    for table, rows in EXPECTED.items():
        for row, cells in rows.items():
            for column, value in cells.items():
                assert tables[table][row][column] == value, (table, row, column)


def test_the_cli_gives_the_known_answers(seeded, runner):
    result = runner.invoke(args=["stats", "--from", PERIOD_ARGS["from"], "--to",
                                 PERIOD_ARGS["to"], "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["from"], figures["to"], figures["min_cell"]) == (
        "2026-01-01", "2026-06-30", 5)
    _check(figures["tables"])
    # Nothing that names a child or a meeting's day.
    assert "Barn" not in result.output and "2026-01-1" not in result.output
    text = runner.invoke(args=["stats", "--from", "2026-01-01", "--to", "2026-06-30",
                               "--lang", "en"])
    assert "Meetings held | Meetings held | Number: 25" in text.output
    assert "Are you satisfied? | No | Number: <5" in text.output


def test_the_page_and_the_csv_give_the_same_answers(seeded, client):
    page = client.get("/statistics", query_string=PERIOD_ARGS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    def cell(table: str, row: str, column: str) -> str:
        part = html[html.index(f'id="table-{table}"'):]
        match = re.search(rf'data-row="{row}" data-column="{column}">([^<]*)<', part)
        return match.group(1)

    assert cell("meetings", "held", "count") == "25"
    assert cell("meetings", "family", "share") == "80\xa0%"
    assert cell("satisfaction", "no", "count") == "färre än 5"
    assert cell("satisfaction", "no", "share") == "–"
    assert cell("followups", "after_first", "days") == "90"
    assert cell("actions", "total", "done_share") == "67\xa0%"
    # Every chart is an image with a title, followed by a summary and its table.
    assert html.count('<svg') == 6 and html.count('role="img"') == 6
    assert html.count('class="stats-summary"') == 6
    assert "Uppföljningsmöten som hölls: 10" in html
    assert "Barn " not in html and "Skäl" not in html and "Alva" not in html

    download = client.get("/statistics.csv", query_string=PERIOD_ARGS)
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    values = {(r[0], r[1], r[2]): r[3] for r in rows[2:]}
    assert values[("Möten som hölls", "Möten som hölls", "Antal")] == "25"
    assert values[("Är du nöjd?", "Nej", "Antal")] == SUPPRESSED
    assert values[("Är du nöjd?", "Nej", "Andel")] == ""
    assert values[("Är du nöjd?", "Ja", "Andel")] == "60"

    client.post("/language", data={"lang": "en"})
    english = client.get("/statistics", query_string=PERIOD_ARGS).get_data(as_text=True)
    assert "Satisfaction" not in english and "Are you satisfied?" in english
    assert "No: fewer than 5" in english and "Follow-up meetings held: 10" in english


def test_the_minimum_cell_size_is_a_setting(seeded, app, runner):
    app.config["STATS_MIN_CELL"] = 1
    figures = json.loads(runner.invoke(args=["stats", "--from", "2026-01-01", "--to",
                                             "2026-06-30", "--json"]).output)
    assert figures["min_cell"] == 1
    tables = figures["tables"]
    assert tables["conditions"]["split"]["count"] == 2
    assert tables["conditions"]["rewritten"]["count"] == 5
    assert tables["overrides"]["followup_date"]["count"] == 1
    assert tables["satisfaction"]["no"] == {"count": 2, "share": 10}
    assert tables["actions"]["none"]["agreed"] == "<1"   # zero is fewer than one


def test_the_period_chooses_the_meetings(seeded, runner):
    figures = json.loads(runner.invoke(args=["stats", "--from", "2025-12-01", "--to",
                                             "2025-12-31", "--json"]).output)
    assert figures["tables"]["meetings"]["held"]["count"] == SUPPRESSED
    figures = json.loads(runner.invoke(args=["stats", "--from", "2026-04-01", "--to",
                                             "2026-06-30", "--json"]).output)
    assert figures["tables"]["meetings"]["followup"]["count"] == 10
    assert runner.invoke(args=["stats", "--from", "2026-02-01", "--to", "2026-01-01"]
                         ).exit_code != 0


def test_the_chairs_start_page_leads_to_the_statistics(seeded, client):
    assert 'href="/statistics"' in client.get("/").get_data(as_text=True)


def test_a_bad_period_is_said_and_the_last_year_shown(seeded, client):
    page = client.get("/statistics", query_string={"from": "2026-05-01", "to": "2026-01-01"})
    assert page.status_code == 400
    assert "Välj ett startdatum" in page.get_data(as_text=True)


def test_only_a_logged_in_chair_sees_the_statistics(app, client, make_meeting,
                                                    make_participant):
    for path in ("/statistics", "/statistics.csv"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    meeting = make_meeting()
    _participant, token = make_participant(meeting)
    client.get(f"/j/{token}")   # a participant's (or the family's) link opens no statistics
    for path in ("/statistics", "/statistics.csv"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_scope_is_the_viewers_organisation(app, query):
    from sqlalchemy import func, select

    from sip_meeting.models import Chair, Organisation, Plan

    with app.app_context(), atomic() as session:
        seed_stats(session)
        other = Organisation(slug="region", name="Regionen", kind="region")
        session.add(other)
        session.flush()
        outsider = Chair(email="other@example.se", password_hash="x", organisation_id=other.id)
        session.add(Plan(chair=outsider, child_name="Annan"))

    def count(email):
        return query(lambda s: s.scalar(select(func.count()).select_from(stats.plans_in_scope(
            s, s.scalar(select(Chair).where(Chair.email == email)) if email else None
        ).subquery())))

    seeded_chair = query(lambda s: s.scalar(select(Chair.email).where(
        Chair.organisation_id == 1).order_by(Chair.id)))
    assert count(seeded_chair) == 16      # the seeded organisation's plans, whoever chairs them
    assert count("other@example.se") == 1  # the region sees only its own
    assert count(None) == 17               # the operator's command line counts every plan


def _held(client) -> str:
    download = client.get("/statistics.csv", query_string=PERIOD_ARGS)
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    return {(r[0], r[1], r[2]): r[3] for r in rows[2:]}[
        ("Möten som hölls", "Möten som hölls", "Antal")]


def test_an_administrator_sees_the_statistics_and_another_organisation_none_of_them(
        app, client, make_chair, login, query):
    from sqlalchemy import select

    from sip_meeting.models import Organisation

    with app.app_context(), atomic() as session:
        seed_stats(session)
        session.add(Organisation(slug="region", name="Regionen", kind="region"))
    region = query(lambda s: s.scalar(select(Organisation.id).where(
        Organisation.slug == "region")))
    make_chair(email="admin@example.se", is_chair=False, is_admin=True)
    login(email="admin@example.se")
    assert _held(client) == "25"
    client.post("/logout")
    make_chair(email="region@example.se", organisation_id=region)
    login(email="region@example.se")
    assert _held(client) != "25"  # the region's chair counts none of the municipality's
