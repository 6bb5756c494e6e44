"""Personal data that ends: the retention rule, the purge, export before purge, extensions.

The rule is tested as a table (retention.assess); the purge on a plan built through the real
meeting (live edits, a closed version, a term explained, an email that failed), searched for
afterwards in every row of every table.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import CHAIR_PASSWORD
from retention_seed import CHAIR_NAME, CHILD, MARKERS, PEOPLE, build_rich, dump
from sqlalchemy import select
from stats_seed import IF_TEXT, PERIOD, seed_stats

from sip_meeting import retention, stats
from sip_meeting.annotations import rules
from sip_meeting.db import atomic, db_session
from sip_meeting.models import (
    AuditEvent,
    Chair,
    Meeting,
    Organisation,
    Plan,
    PlanVersion,
    ReminderSent,
)
from sip_meeting.retention import (
    DUE,
    EXTENDED,
    IN_USE,
    KEPT,
    PURGED,
    UNEXPORTED,
    MeetingFacts,
    PlanFacts,
    Policy,
    assess,
)

# -- the rule, as a table -----------------------------------------------------------------------

T0 = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


def _m(mid: int, status: str, starts: datetime, closed: datetime | None = None) -> MeetingFacts:
    return MeetingFacts(mid, status, starts, closed if closed or status != "closed"
                        else starts + timedelta(hours=2))


CLOSED_ONCE = (_m(1, "closed", T0),)
EXPORTED = ((1, True),)

RULE_CASES = [
    # (description, facts, policy, today, verdict, kept until)
    ("no meeting, not closed", PlanFacts(1), Policy(), date(2030, 1, 1), IN_USE, None),
    ("a meeting still being prepared", PlanFacts(1, meetings=(_m(1, "draft", T0),)), Policy(),
     date(2030, 1, 1), IN_USE, None),
    ("a meeting in progress", PlanFacts(1, meetings=(_m(1, "live", T0),)), Policy(),
     date(2030, 1, 1), IN_USE, None),
    ("a follow-up booked after the closed meeting",
     PlanFacts(1, meetings=(*CLOSED_ONCE, _m(2, "draft", T0 + timedelta(days=90))),
               versions=EXPORTED), Policy(), date(2030, 1, 1), IN_USE, None),
    ("a forgotten draft before the last closed meeting does not keep it",
     PlanFacts(1, meetings=(_m(2, "draft", T0 - timedelta(days=30)), *CLOSED_ONCE),
               versions=EXPORTED), Policy(), date(2026, 1, 16), DUE, date(2026, 1, 15)),
    ("within the period: its last day", PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED),
     Policy(), date(2026, 1, 15), KEPT, date(2026, 1, 15)),
    ("the day after the period", PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED),
     Policy(), date(2026, 1, 16), DUE, date(2026, 1, 15)),
    ("the organisation's own period", PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED),
     Policy(retention_months=6), date(2024, 7, 16), DUE, date(2024, 7, 15)),
    ("a month-end is clamped", PlanFacts(1, closed_at=datetime(2024, 3, 31, 10, tzinfo=UTC)),
     Policy(retention_months=1), date(2024, 4, 30), KEPT, date(2024, 4, 30)),
    ("the day is Swedish: 23:30 UTC on 31 January is 1 February",
     PlanFacts(1, closed_at=datetime(2024, 1, 31, 23, 30, tzinfo=UTC)),
     Policy(retention_months=1), date(2024, 3, 1), KEPT, date(2024, 3, 1)),
    ("a closed plan without meetings", PlanFacts(1, closed_at=T0), Policy(), date(2026, 1, 16),
     DUE, date(2026, 1, 15)),
    ("a plan closed later than its last meeting counts from the close",
     PlanFacts(1, closed_at=T0 + timedelta(days=100), meetings=CLOSED_ONCE, versions=EXPORTED),
     Policy(), date(2026, 1, 16), KEPT, date(2026, 4, 24)),
    ("a chair's extension in the future",
     PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED, retain_until=date(2027, 6, 1)),
     Policy(), date(2027, 6, 1), EXTENDED, date(2027, 6, 1)),
    ("an extension that has passed",
     PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED, retain_until=date(2027, 6, 1)),
     Policy(), date(2027, 6, 2), DUE, date(2027, 6, 1)),
    ("an extension never shortens the period",
     PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED, retain_until=date(2024, 6, 1)),
     Policy(), date(2025, 1, 1), KEPT, date(2026, 1, 15)),
    ("a version never exported",
     PlanFacts(1, meetings=CLOSED_ONCE, versions=((1, False),)), Policy(), date(2026, 2, 1),
     UNEXPORTED, date(2026, 1, 15)),
    ("a version never exported, and a policy that purges anyway",
     PlanFacts(1, meetings=CLOSED_ONCE, versions=((1, False),)),
     Policy(purge_unexported=True), date(2026, 2, 1), DUE, date(2026, 1, 15)),
    ("already purged", PlanFacts(1, meetings=CLOSED_ONCE, purged_at=T0), Policy(),
     date(2030, 1, 1), PURGED, None),
    ("a period of nothing: the next day", PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED),
     Policy(retention_months=0), date(2024, 1, 16), DUE, date(2024, 1, 15)),
]


@pytest.mark.parametrize("facts,policy,today,verdict,kept_until",
                         [c[1:] for c in RULE_CASES], ids=[c[0] for c in RULE_CASES])
def test_the_rule(facts, policy, today, verdict, kept_until):
    found = assess(facts, policy, today)
    assert (found.verdict, found.kept_until) == (verdict, kept_until)
    assert found.due == (verdict == DUE)
    if kept_until:
        assert found.purge_on == kept_until + timedelta(days=1)


def test_the_rule_says_when_a_policy_purged_an_unexported_plan():
    facts = PlanFacts(1, meetings=CLOSED_ONCE, versions=((1, True), (2, False)))
    found = assess(facts, Policy(purge_unexported=True), date(2026, 2, 1))
    assert found.by_policy and found.unexported == (2,)
    assert not assess(PlanFacts(1, meetings=CLOSED_ONCE, versions=EXPORTED),
                      Policy(), date(2026, 2, 1)).by_policy


# -- a plan made through a real meeting (tests/retention_seed.py) -------------------------------


@pytest.fixture
def rich(app, make_chair, make_meeting, make_participant):
    """A closed meeting of CHILD's plan, with every kind of personal data stored."""
    return build_rich(app, make_chair, make_meeting, make_participant)


def _export_all(app, plan_id: int) -> None:
    with app.app_context(), atomic() as s:
        for v in s.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan_id)):
            v.exported_at = datetime.now(UTC)


def _purge(runner, day: date, *more: str) -> dict:
    result = runner.invoke(args=["purge", "--today", day.isoformat(), "--json", *more])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _personal(text: str) -> list[str]:
    lowered = text.lower()
    words = [CHILD, CHAIR_NAME, "Habiliteringen Väst", "Korttidsvistelse", *MARKERS]
    words += [w for p in PEOPLE for w in p[:2]]
    return [w for w in words if w.lower() in lowered]


def test_the_seeded_plan_holds_everything_the_purge_must_remove(app, rich):
    # Without this, a purge that removed nothing could not be told from one that did.
    assert sorted(_personal(dump(app, skip=("chairs",)))) == sorted(
        [CHILD, CHAIR_NAME, "Habiliteringen Väst", "Korttidsvistelse", *MARKERS,
         *[w for p in PEOPLE for w in p[:2]]])


def test_a_dry_run_lists_the_plan_and_changes_nothing(app, rich, runner):
    _export_all(app, rich.plan_id)
    before = dump(app)
    report = _purge(runner, rich.due_day, "--dry-run")
    assert report["would_purge"] == [rich.plan_id] and report["purged"] == []
    [line] = report["plans"]
    assert line["organisation"] == "default" and line["verdict"] == DUE
    assert line["last_activity"] == rich.starts.astimezone(retention.STOCKHOLM).date().isoformat()
    assert dump(app) == before
    text = runner.invoke(args=["purge", "--today", rich.due_day.isoformat(), "--dry-run"])
    assert f"plan {rich.plan_id} (default)" in text.output and "would be purged" in text.output
    assert not _personal(text.output)
    # The day before it is due, it is not listed.
    early = _purge(runner, rich.due_day - timedelta(days=2))
    assert early["plans"] == [] and early["within_period"] == 1


def test_the_purge_removes_every_kind_of_personal_data(app, rich, runner, query):
    _export_all(app, rich.plan_id)
    assert rich.sara.socket.is_connected("/live")
    report = _purge(runner, rich.due_day)
    assert report["purged"] == [rich.plan_id]
    # Nowhere in the database, except the chair's own account.
    assert _personal(dump(app, skip=("chairs",))) == []
    plan = query(lambda s: s.get(Plan, rich.plan_id))
    assert plan.purged_at is not None and plan.child_name == retention.MARKER
    events = query(lambda s: s.scalars(select(AuditEvent).where(
        AuditEvent.plan_id == rich.plan_id)).all())
    assert events and all(e.before is None and e.after is None and e.actor_name == ""
                          for e in events)
    assert query(lambda s: s.scalars(select(ReminderSent)).all()) == []
    # What counts remains: roles, answers, statuses, the version's structure.
    version = query(lambda s: s.scalar(select(PlanVersion)))
    assert [p["role"] for p in version.snapshot["participants"]] == ["guardian", "professional"]
    assert [a["due_date"] for a in version.snapshot["actions"]] == ["2031-03-01", "2031-02-01"]
    assert version.snapshot["sections"]["child_voice"] == retention.MARKER
    assert list(query(lambda s: s.get(Meeting, rich.meeting.id).satisfaction).values()) == \
        ["yes"]
    # The link and the open socket are gone.
    assert not rich.sara.socket.is_connected("/live")
    got = [e["args"][0] for e in rich.sara.socket.queue if e["name"] == "revoked"]
    assert got and "personuppgifter har raderats" in got[0]["message"]


def test_the_purge_is_idempotent(app, rich, runner):
    _export_all(app, rich.plan_id)
    assert _purge(runner, rich.due_day)["purged"] == [rich.plan_id]
    after = dump(app)
    again = _purge(runner, rich.due_day + timedelta(days=1))
    assert again["purged"] == [] and again["plans"] == []
    assert dump(app) == after


def test_an_unexported_plan_is_kept_unless_the_policy_says_otherwise(app, rich, runner, query):
    report = _purge(runner, rich.due_day)
    [line] = report["plans"]
    assert report["purged"] == [] and line["verdict"] == UNEXPORTED
    assert line["unexported_versions"] == [1]
    assert query(lambda s: s.get(Plan, rich.plan_id).purged_at) is None
    text = runner.invoke(args=["purge", "--today", rich.due_day.isoformat()]).output
    assert "never exported" in text and "Purged 0 plan(s)" in text
    with app.app_context(), atomic() as s:
        s.get(Organisation, 1).purge_unexported = True
    text = runner.invoke(args=["purge", "--today", rich.due_day.isoformat()]).output
    assert "the organisation's policy purges unexported plans" in text, text
    assert f"Purged 1 plan(s) (ids: {rich.plan_id})" in text
    assert _personal(dump(app, skip=("chairs",))) == []


def test_a_chairs_export_marks_the_version_and_the_versions_page_says_so(app, rich, query,
                                                                          runner, tmp_path):
    versions_page = rich.chair.http.get(f"/plans/{rich.plan_id}/versions")
    assert "Inte än" in versions_page.get_data(as_text=True)
    # A participant's download and a calendar file are no copy for the records.
    assert rich.sara.http.get(f"/m/{rich.meeting.id}/plan.docx").status_code == 200
    runner.invoke(args=["export", str(rich.meeting.id), "--format", "ics", "-o",
                        str(tmp_path / "f.ics")])
    assert query(lambda s: s.scalar(select(PlanVersion.exported_at))) is None
    download = rich.chair.http.get(f"/meetings/{rich.meeting.id}/plan.json")
    assert download.status_code == 200 and download.json["version"] == 1
    first = query(lambda s: s.scalar(select(PlanVersion.exported_at)))
    assert first is not None
    assert rich.chair.http.get(f"/meetings/{rich.meeting.id}/plan.fhir.json").status_code == 200
    assert query(lambda s: s.scalar(select(PlanVersion.exported_at))) == first  # the first time
    assert "Inte än" not in rich.chair.http.get(
        f"/plans/{rich.plan_id}/versions").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["docx", "json", "fhir"])
def test_the_export_command_marks_the_version(rich, runner, query, tmp_path, fmt):
    result = runner.invoke(args=["export", str(rich.meeting.id), "--format", fmt, "-o",
                                 str(tmp_path / f"plan.{fmt}")])
    assert result.exit_code == 0, result.output
    assert query(lambda s: s.scalar(select(PlanVersion.exported_at))) is not None


def test_a_chairs_extension_is_kept_and_recorded(app, rich, runner, query):
    page = rich.chair.http.get(f"/plans/{rich.plan_id}").get_data(as_text=True)
    assert "Hur länge planen sparas" in page and "Version 1 har inte exporterats" in page
    _export_all(app, rich.plan_id)
    url = f"/plans/{rich.plan_id}/retention"
    today = date.today()
    for bad in ({"keep_until": (today + timedelta(days=400)).isoformat(), "reason": "  "},
                {"keep_until": (today + timedelta(days=6 * 366)).isoformat(), "reason": "Skäl"},
                {"keep_until": today.isoformat(), "reason": "Skäl"},
                {"keep_until": "inte ett datum", "reason": "Skäl"},
                {"keep_until": (today + timedelta(days=400)).isoformat(), "reason": "x" * 1001}):
        response = rich.chair.http.post(url, data=bad)
        assert response.status_code == 400, bad
        assert "Kontrollera formuläret" in response.get_data(as_text=True)
    assert query(lambda s: s.get(Plan, rich.plan_id).retain_until) is None
    keep = rich.due_day + timedelta(days=30)
    assert keep <= retention.add_months(today, 60)  # within what a chair may choose
    response = rich.chair.http.post(url, data={"keep_until": keep.isoformat(),
                                               "reason": "Beslutet är överklagat"})
    assert response.status_code == 302
    [entry] = query(lambda s: s.scalars(select(AuditEvent).where(
        AuditEvent.field == "retain_until")).all())
    assert entry.after == {"retain_until": keep.isoformat(),
                           "retain_reason": "Beslutet är överklagat"}
    assert entry.actor_name == CHAIR_NAME
    page = rich.chair.http.get(f"/plans/{rich.plan_id}").get_data(as_text=True)
    assert "En mötesledare har valt att spara den" in page
    report = _purge(runner, rich.due_day)
    assert report["purged"] == [] and report["plans"][0]["verdict"] == EXTENDED
    assert _purge(runner, keep + timedelta(days=1))["purged"] == [rich.plan_id]


def test_a_purged_plan_says_so_to_those_who_could_open_it(app, rich, runner, make_chair):
    _export_all(app, rich.plan_id)
    _purge(runner, rich.due_day)
    for path in (f"/plans/{rich.plan_id}", f"/meetings/{rich.meeting.id}",
                 f"/plans/{rich.plan_id}/versions/1", f"/meetings/{rich.meeting.id}/plan.docx",
                 f"/plans/{rich.plan_id}/history"):
        response = rich.chair.http.get(path)
        assert response.status_code == 410, path
        assert "Planens personuppgifter är raderade" in response.get_data(as_text=True)
    family = rich.sara.http.get(f"/m/{rich.meeting.id}/plan")
    assert family.status_code == 410
    assert "fråga den som ledde mötet" in family.get_data(as_text=True)
    link = app.test_client().get(f"/j/{rich.karin.token}")
    assert link.status_code == 410
    # Nobody else learns that the plan existed.
    assert app.test_client().get(f"/m/{rich.meeting.id}/plan").status_code == 404
    assert app.test_client().get("/j/" + "x" * 43).status_code == 404
    with app.app_context(), atomic() as s:
        s.add(Organisation(slug="region", name="Regionen", kind="region"))
    make_chair("other@example.se", "Olle", organisation_id=2)
    other = app.test_client()
    other.post("/login", data={"email": "other@example.se", "password": CHAIR_PASSWORD})
    assert other.get(f"/plans/{rich.plan_id}").status_code == 404
    # The start page still opens, without the child's name.
    start = rich.chair.http.get("/")
    assert start.status_code == 200 and CHILD not in start.get_data(as_text=True)


def test_plans_of_two_organisations_each_by_its_own_period(app, make_chair, make_meeting,
                                                            runner, query):
    with app.app_context(), atomic() as s:
        s.add(Organisation(slug="region", name="Regionen", kind="region", retention_months=6))
    municipality = make_chair()
    region = make_chair("region@example.se", "Rut", organisation_id=2)
    plans = {}
    for chair, child in ((municipality, "Kommunbarn"), (region, "Regionbarn")):
        meeting = make_meeting(chair=chair, child=child, days=-3)
        with app.app_context(), atomic() as s:
            m = s.get(Meeting, meeting.id)
            m.status, m.closed_at = "closed", m.starts_at + timedelta(hours=2)
            s.add(PlanVersion(plan_id=m.plan_id, meeting_id=m.id, number=1,
                              snapshot={"child_name": child, "actions": []},
                              exported_at=datetime.now(UTC)))
        plans[child] = meeting.plan_id
    in_a_year = date.today() + timedelta(days=365)
    report = _purge(runner, in_a_year, "--dry-run")
    assert [(p["plan_id"], p["organisation"]) for p in report["plans"]] == [
        (plans["Regionbarn"], "region")]
    assert report["within_period"] == 1
    assert _purge(runner, in_a_year)["purged"] == [plans["Regionbarn"]]
    assert query(lambda s: s.get(Plan, plans["Kommunbarn"]).child_name) == "Kommunbarn"
    assert _purge(runner, date.today() + timedelta(days=800))["purged"] == [plans["Kommunbarn"]]
    names = query(lambda s: s.scalars(select(Plan.child_name)).all())
    assert names == [retention.MARKER, retention.MARKER]


# -- statistics survive the purge ---------------------------------------------------------------


def _figures(app) -> dict:
    with app.app_context():
        db_session().expire_all()
        figures = stats.compute(db_session(), None, *PERIOD, rules(), min_cell=0)
        return {key: {row: {col: cell.raw for col, cell in cells.items()}
                      for row, cells in table.rows.items()}
                for key, table in figures.tables.items()}


def test_the_statistics_are_the_same_before_and_after_the_purge(app, runner, query):
    with app.app_context(), atomic() as session:
        seed_stats(session)
        for version in session.scalars(select(PlanVersion)):
            version.exported_at = datetime.now(UTC)
    before = _figures(app)
    # Figures that depend on the words: a purge that lost them would change these.
    assert before["conditions"]["flagged"]["count"] == 17
    assert before["conditions"]["rewritten"]["count"] > 0
    assert before["meetings"]["child_voice"]["count"] == 15
    report = _purge(runner, date(2030, 1, 1))
    assert len(report["purged"]) == 15  # the plan with a meeting still to come stays
    assert IF_TEXT not in dump(app) and "Vill spela fotboll" not in dump(app)
    assert query(lambda s: s.scalar(select(Chair.name))) == "Statistik"
    assert _figures(app) == before
