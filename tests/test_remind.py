"""The `remind` command: due and overdue actions, the chair's summary, once a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from test_mail import close_meeting, free_port, smtp_server

from sip_meeting.db import atomic, utcnow
from sip_meeting.models import Meeting, ReminderSent
from sip_meeting.remind_cli import remind

TODAY = date(2031, 3, 10)


@pytest.fixture
def smtp(app):
    """Return the inbox of a local SMTP server the app sends through."""
    yield from smtp_server(app)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def closed(app, make_meeting, make_participant):
    """A closed plan: Karin's actions at every distance from today, and one of Sara's."""
    meeting = make_meeting()
    karin, _ = make_participant(meeting, "Karin Holm", "professional", "municipality",
                                email="karin@example.se", language="en")
    sara, _ = make_participant(meeting, "Sara Berg", "guardian", "family",
                               email="sara@example.se", language="sv")
    nobody, _ = make_participant(meeting, "Per Utan", "professional", "region")
    k, s = karin.id, sara.id
    close_meeting(app, meeting, followup_date=day(5), actions=[
        {"what": "Overdue", "responsible_participant_id": k, "due_date": day(-3)},
        {"what": "Due soon", "responsible_participant_id": k, "due_date": day(7)},
        {"what": "Later", "responsible_participant_id": k, "due_date": day(8)},
        {"what": "Done", "responsible_participant_id": k, "due_date": day(-3), "status": "done"},
        {"what": "Cancelled", "responsible_participant_id": k, "due_date": day(1),
         "status": "cancelled"},
        {"what": "Decision", "responsible_participant_id": k, "decision_date": day(2)},
        {"what": "Kontakta rektor", "responsible_participant_id": s, "due_date": day(1),
         "status": "ongoing"},
        {"what": "No email", "responsible_participant_id": nobody.id, "due_date": day(-1)},
    ])
    return meeting


def action_ids(query, meeting) -> dict[str, int]:
    return query(lambda s: {a.what: a.id for a in s.get(Meeting, meeting.id).plan.actions})


def run(runner, *args):
    return runner.invoke(remind, ["--today", TODAY.isoformat(), *args])


def ledger(query) -> int:
    return query(lambda s: s.scalar(select(func.count(ReminderSent.id))))


def test_without_email_settings_remind_says_so_and_fails(runner, closed, query):
    result = run(runner)
    assert result.exit_code == 1 and "not configured" in result.output
    assert ledger(query) == 0


def test_reminds_each_person_of_due_and_overdue_actions_once_a_day(runner, closed, smtp, query):
    ids = action_ids(query, closed)
    result = run(runner)
    assert result.exit_code == 0, result.output
    by_person = {m["To"]: m for m in smtp.messages}
    assert set(by_person) == {"karin@example.se", "sara@example.se", "chair@example.se"}
    karin = body(by_person["karin@example.se"])
    for included in ("Overdue", "Due soon", "Decision"):
        assert included in karin
    for left_out in ("Later", "Done", "Cancelled", "Kontakta rektor", "No email"):
        assert left_out not in karin
    # in each person's own language
    assert "7 March 2031" in karin and "should have been done" in karin
    assert "11 mars 2031" in body(by_person["sara@example.se"])
    # the output names ids and counts, never an address
    assert "@" not in result.output
    sent = sorted(ids[w] for w in ("Overdue", "Due soon", "Decision", "Kontakta rektor"))
    assert ", ".join(map(str, sent)) in result.output and "2 action reminder" in result.output

    again = run(runner)
    assert again.exit_code == 0 and len(smtp.messages) == 3
    assert "0 action reminder" in again.output and "0 chair summary" in again.output


def test_overdue_actions_are_reminded_daily_and_coming_ones_once(runner, closed, smtp, query):
    run(runner)
    smtp.messages.clear()
    result = runner.invoke(remind, ["--today", day(1).isoformat()])
    assert result.exit_code == 0
    karin = body({m["To"]: m for m in smtp.messages}["karin@example.se"])
    assert "Overdue" in karin
    assert "Due soon" not in karin and "Decision" not in karin  # reminded yesterday
    assert "Later" in karin  # entered the week today


def test_the_chair_gets_a_summary_of_followups_and_overdue_actions(runner, closed, smtp):
    run(runner)
    [summary] = [m for m in smtp.messages if m["To"] == "chair@example.se"]
    text = body(summary)
    assert "Alva" in text and "15 mars 2031" in text  # the follow-up, in the chair's Swedish
    assert "Overdue" in text and "No email" in text  # overdue, whoever is responsible
    assert "Due soon" not in text and "Done" not in text


def test_a_deactivated_chair_gets_no_summary(app, runner, closed, smtp):
    with app.app_context(), atomic() as session:
        session.get(Meeting, closed.id).plan.chair.deactivated_at = utcnow()
    run(runner)
    assert "chair@example.se" not in {m["To"] for m in smtp.messages}
    assert "karin@example.se" in {m["To"] for m in smtp.messages}  # the others are reminded


def test_an_action_claimed_by_another_run_is_not_sent_again(app, runner, closed, smtp, query):
    ids = action_ids(query, closed)
    with app.app_context(), atomic() as session:
        karin = session.get(Meeting, closed.id).participants[0]
        session.add(ReminderSent(kind="action", subject_id=ids["Overdue"],
                                 recipient=f"participant:{karin.id}", day=TODAY))
    run(runner)
    karin_text = body({m["To"]: m for m in smtp.messages}["karin@example.se"])
    assert "Overdue" not in karin_text and "Due soon" in karin_text


def test_a_failed_send_is_tried_again_by_the_next_run(runner, closed, smtp, query):
    smtp.refuse.add("*")
    failed = run(runner)
    assert failed.exit_code == 0 and "Failed" in failed.output
    assert smtp.messages == [] and ledger(query) == 0
    smtp.refuse.clear()
    retried = run(runner)
    assert "2 action reminder" in retried.output and len(smtp.messages) == 3


def test_dry_run_sends_and_records_nothing(runner, closed, smtp, query):
    result = run(runner, "--dry-run")
    assert result.exit_code == 0 and "Would send" in result.output
    assert "2 action reminder" in result.output
    assert smtp.messages == [] and ledger(query) == 0


def test_a_server_that_is_down_does_not_break_the_run(app, runner, closed, query):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False,
                      SMTP_TIMEOUT=2, MAIL_FROM="sip@example.se")
    result = run(runner)
    assert result.exit_code == 0 and "Failed" in result.output and ledger(query) == 0


@pytest.mark.parametrize("later_status,reminded", [
    (None, True),
    ("draft", True),  # a booked follow-up: people still need reminding while they wait
    ("open", True),
    ("live", False),  # the plan is being revised right now
])
def test_plans_being_revised_are_left_alone(app, runner, closed, smtp, later_status, reminded):
    if later_status:
        with app.app_context(), atomic() as session:
            first = session.get(Meeting, closed.id)
            session.add(Meeting(plan_id=first.plan_id, chair_id=first.chair_id,
                                kind="followup", status=later_status,
                                starts_at=first.starts_at + timedelta(days=30)))
    run(runner)
    assert bool(smtp.messages) is reminded


def test_a_plan_never_closed_is_not_reminded(app, runner, make_meeting, make_participant, smtp):
    meeting = make_meeting()
    karin, _ = make_participant(meeting, "Karin Holm", "professional", "municipality",
                                email="karin@example.se")
    with app.app_context(), atomic() as session:
        from sip_meeting.models import Action

        m = session.get(Meeting, meeting.id)
        m.plan.actions.append(Action(what="Draft", responsible_participant_id=karin.id,
                                     due_date=day(-1), field_versions={}))
    result = run(runner)
    assert result.exit_code == 0 and smtp.messages == []
