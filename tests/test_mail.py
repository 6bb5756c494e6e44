"""Email through a local SMTP server: one message, and the plan handed over after a meeting."""

from __future__ import annotations

import logging
import socket
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from sip_meeting.db import atomic, utcnow
from sip_meeting.mailer import (
    MailError,
    mail_enabled,
    queue_plan_deliveries,
    retry_delivery,
    send_deliveries,
    send_message,
)
from sip_meeting.models import Action, Delivery, Meeting
from sip_meeting.versions import freeze


class Inbox:
    """An SMTP handler that keeps what it receives and refuses the addresses it is told to."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse or "*" in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.content.replace(b"\r\n", b"\n")
        self.messages.append(message_from_bytes(data, policy=policy.default))
        return "250 OK"

    def recipients(self) -> list[str]:
        return [m["To"] for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_server(app):
    """Run a local SMTP server and point the app at it; yields its inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False,
                      SMTP_TIMEOUT=5, MAIL_FROM="SIP-möten <sip@example.se>")
    yield inbox
    controller.stop()


@pytest.fixture
def smtp(app):
    """Return the inbox of a local SMTP server the app sends through."""
    yield from smtp_server(app)


def close_meeting(app, meeting, actions=(), **plan_fields):
    """Give a meeting's plan its fields and actions, then close it and freeze version 1."""
    with app.app_context(), atomic() as session:
        m = session.get(Meeting, meeting.id)
        for name, value in plan_fields.items():
            setattr(m.plan, name, value)
        for position, values in enumerate(actions):
            m.plan.actions.append(Action(position=position, field_versions={}, **values))
        m.status, m.started_at, m.closed_at = "closed", utcnow(), utcnow()
        session.flush()
        freeze(session, m)
    return meeting


def fake_document(snapshot: dict, lang: str) -> bytes:
    return f"DOCX {snapshot['plan_id']} {lang}".encode()


def deliveries(query, meeting_id):
    return query(lambda s: {d.participant_id: (d.status, d.attempts, d.error) for d in s.scalars(
        select(Delivery).where(Delivery.meeting_id == meeting_id))})


def send(app, meeting_id, build=fake_document):
    with app.app_context():
        return send_deliveries(meeting_id, build)


@pytest.mark.parametrize("config,expected", [
    ({}, False), ({"SMTP_HOST": None}, False), ({"SMTP_HOST": ""}, False),
    ({"SMTP_HOST": "smtp.kommun.se"}, True),
])
def test_mail_is_offered_only_with_an_smtp_host(config, expected):
    assert mail_enabled(config) is expected


def test_mail_enabled_reads_an_app(app):
    assert not mail_enabled(app)
    app.config["SMTP_HOST"] = "smtp.kommun.se"
    assert mail_enabled(app)


def test_send_message_delivers_text_and_attachment(app, smtp):
    send_message(app.config, "karin@example.se", "Planen för Alva", "Hej!\nHär är planen.",
                 [("plan.docx", "application/octet-stream", b"\x00data")])
    [message] = smtp.messages
    assert message["To"] == "karin@example.se" and message["Subject"] == "Planen för Alva"
    assert "sip@example.se" in message["From"]
    assert message.get_body(("plain",)).get_content() == "Hej!\nHär är planen.\n"
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "plan.docx" and attachment.get_content() == b"\x00data"


def test_a_line_break_in_the_subject_cannot_add_headers(app, smtp):
    send_message(app.config, "karin@example.se", "Alva\r\nBcc: spy@example.se", "x")
    [message] = smtp.messages
    assert message["Bcc"] is None and message["Subject"] == "Alva Bcc: spy@example.se"
    with pytest.raises(MailError):
        send_message(app.config, "karin@example.se\r\nBcc: spy@example.se", "s", "x")


def test_send_message_says_clearly_when_the_server_is_down(app):
    port = free_port()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                      SMTP_TIMEOUT=2, MAIL_FROM="sip@example.se")
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        send_message(app.config, "karin@example.se", "s", "x")


def test_send_message_reports_a_refused_recipient(app, smtp):
    smtp.refuse.add("karin@example.se")
    with pytest.raises(MailError, match="550"):
        send_message(app.config, "karin@example.se", "s", "x")


def test_send_message_without_configuration_raises():
    with pytest.raises(MailError, match="SMTP_HOST"):
        send_message({}, "karin@example.se", "s", "x")


def _people(make_meeting, make_participant):
    """A meeting whose professional was invited before the family."""
    meeting = make_meeting()
    karin, _ = make_participant(meeting, "Karin Holm", "professional", "municipality",
                                email="karin@example.se", language="en", organisation="Solskolan")
    sara, _ = make_participant(meeting, "Sara Berg", "guardian", "family",
                               email="sara@example.se", language="sv")
    alva, _ = make_participant(meeting, "Alva", "child", "family")  # no email
    olle, _ = make_participant(meeting, "Olle Berg", "relative", "family",
                               email="olle@example.se")
    return meeting, karin, sara, alva, olle


def test_queue_puts_the_family_first_and_skips_people_without_email(
        app, make_meeting, make_participant):
    meeting, karin, sara, _alva, olle = _people(make_meeting, make_participant)
    with app.app_context(), atomic() as session:
        queued = queue_plan_deliveries(session, session.get(Meeting, meeting.id))
        order = [d.participant_id for d in queued]
    assert order == [sara.id, olle.id, karin.id]
    with app.app_context(), atomic() as session:  # queueing again adds nothing
        assert queue_plan_deliveries(session, session.get(Meeting, meeting.id)) == []


def test_the_plan_reaches_everyone_in_their_language_family_first(app, live, smtp, query):
    live.start()
    karin = live.join("Karin Holm", "professional", "municipality", email="karin@example.se",
                      language="en", organisation="Solskolan")
    sara = live.join("Sara Berg", "guardian", "family", email="sara@example.se", language="sv")
    plan_id = live.meeting.plan_id
    assert live.chair.op("edit", entity="plan", id=plan_id, field="followup_date",
                         base_version=0, value="2031-03-12")["ok"]
    assert live.chair.op("add_item", entity="action", values={
        "what": "Ansöka om assistans", "responsible_participant_id": karin.participant_id,
        "principal": "municipality", "due_date": "2031-03-01"})["ok"]
    live.end()
    with app.app_context(), atomic() as session:
        queue_plan_deliveries(session, session.get(Meeting, live.meeting.id))
    outcome = send(app, live.meeting.id)

    assert len(outcome["sent"]) == 2 and outcome["failed"] == []
    assert smtp.recipients() == ["sara@example.se", "karin@example.se"]
    to_sara, to_karin = smtp.messages
    assert "12 mars 2031" in to_sara.get_body(("plain",)).get_content()
    assert "12 March 2031" in to_karin.get_body(("plain",)).get_content()
    for message, participant, lang, followup_name in (
            (to_sara, sara, "sv", "sip-uppfoljning-alva-2031-03-12.ics"),
            (to_karin, karin, "en", "sip-follow-up-alva-2031-03-12.ics")):
        body = message.get_body(("plain",)).get_content()
        assert "Alva" in message["Subject"]
        assert "/j/" not in body and participant.token not in body  # links are personal
        files = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
        assert files["sip-plan-alva-version-1.docx"] == f"DOCX {plan_id} {lang}".encode()
        followup = Calendar.from_ical(files[followup_name]).walk("VEVENT")[0]
        assert followup.decoded("dtstart") == date(2031, 3, 12)
    # only Karin has a deadline of her own
    karin_files = {a.get_filename() for a in to_karin.iter_attachments()}
    assert "sip-my-dates-alva.ics" in karin_files
    assert len(list(to_sara.iter_attachments())) == 2
    assert {status for status, _a, _e in deliveries(query, live.meeting.id).values()} == {"sent"}


def test_a_refused_delivery_is_marked_failed_and_a_retry_sends_it(
        app, make_meeting, make_participant, smtp, query, caplog):
    meeting, karin, sara, _alva, olle = _people(make_meeting, make_participant)
    close_meeting(app, meeting, followup_date=date.today() + timedelta(days=60))
    with app.app_context(), atomic() as session:
        queue_plan_deliveries(session, session.get(Meeting, meeting.id))
    smtp.refuse.add("karin@example.se")
    with caplog.at_level(logging.DEBUG, logger="sip_meeting"):
        outcome = send(app, meeting.id)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("sip_meeting"))
    assert smtp.recipients() == ["sara@example.se", "olle@example.se"]
    state = deliveries(query, meeting.id)
    assert state[sara.id][:2] == ("sent", 1) and state[olle.id][:2] == ("sent", 1)
    status, attempts, error = state[karin.id]
    assert (status, attempts) == ("failed", 1) and "550" in error
    assert len(outcome["failed"]) == 1
    # the log names ids, never an address or the child
    assert "example.se" not in logged and "Alva" not in logged
    assert f"delivery {outcome['failed'][0]} " in logged

    smtp.refuse.clear()
    with app.app_context(), atomic() as session:
        delivery = retry_delivery(session, outcome["failed"][0])
        assert (delivery.status, delivery.error) == ("pending", "")
    send(app, meeting.id)
    assert smtp.recipients() == ["sara@example.se", "olle@example.se", "karin@example.se"]
    assert deliveries(query, meeting.id)[karin.id] == ("sent", 2, "")


def test_retry_refuses_a_sent_or_unknown_delivery(app, make_meeting, make_participant, smtp):
    meeting, *_ = _people(make_meeting, make_participant)
    close_meeting(app, meeting)
    with app.app_context(), atomic() as session:
        first = queue_plan_deliveries(session, session.get(Meeting, meeting.id))[0].id
    send(app, meeting.id)
    with app.app_context(), atomic() as session:
        with pytest.raises(ValueError):
            retry_delivery(session, first)
        with pytest.raises(LookupError):
            retry_delivery(session, 99999)


def test_sending_never_raises_when_the_server_is_down(app, make_meeting, make_participant, query):
    meeting, *_ = _people(make_meeting, make_participant)
    close_meeting(app, meeting)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False,
                      SMTP_TIMEOUT=2, MAIL_FROM="sip@example.se")
    with app.app_context(), atomic() as session:
        queue_plan_deliveries(session, session.get(Meeting, meeting.id))
    outcome = send(app, meeting.id)
    assert outcome["sent"] == [] and len(outcome["failed"]) == 3
    assert all(status == "failed" and "failed" in error
               for status, _a, error in deliveries(query, meeting.id).values())


def test_a_broken_document_fails_the_delivery_without_raising(
        app, make_meeting, make_participant, smtp, query):
    meeting, *_ = _people(make_meeting, make_participant)
    close_meeting(app, meeting)
    with app.app_context(), atomic() as session:
        queue_plan_deliveries(session, session.get(Meeting, meeting.id))

    def broken(snapshot, lang):
        raise RuntimeError("no template")

    outcome = send(app, meeting.id, broken)
    assert outcome["sent"] == [] and smtp.messages == []
    assert all("could not be prepared" in error
               for _s, _a, error in deliveries(query, meeting.id).values())


def test_without_email_settings_deliveries_stay_queued(app, make_meeting, make_participant,
                                                       query):
    meeting, *_ = _people(make_meeting, make_participant)
    close_meeting(app, meeting)
    with app.app_context(), atomic() as session:
        queue_plan_deliveries(session, session.get(Meeting, meeting.id))
    assert send(app, meeting.id) == {"sent": [], "failed": []}
    assert {s for s, _a, _e in deliveries(query, meeting.id).values()} == {"pending"}
