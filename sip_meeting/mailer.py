"""Email: one message over SMTP, and the plan handed to every participant after a meeting.

Email is optional: without SMTP_HOST nothing is offered. Logs name deliveries, meetings and
participants by id only, never an address or a word of the plan.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .calendars import deadlines_ics, followup_ics, participant_deadlines, plain
from .db import atomic, db_session, utcnow
from .document import build_docx
from .extensions import socketio
from .i18n import format_local_date
from .labels import version_file_name, version_view
from .models import FAMILY_ROLES, Delivery, Meeting, Participant
from .planning import STOCKHOLM, audit
from .versions import meeting_version

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ICS = "text/calendar"
RETRYABLE = ("pending", "failed")


class MailError(RuntimeError):
    """An email that could not be sent; the message says why, for the people running the server."""


def _config(app_or_config: Any) -> Mapping[str, Any]:
    return getattr(app_or_config, "config", app_or_config)


def mail_enabled(app_or_config: Any) -> bool:
    """Tell whether email is configured (SMTP_HOST is set)."""
    return bool(_config(app_or_config).get("SMTP_HOST"))


def _header(text: str) -> str:
    """Keep a header on one line: a line break in a header could add headers of its own."""
    return " ".join(plain(text).split())


def _build_message(config: Mapping[str, Any], to: str, subject: str, body: str,
                   attachments: Iterable[tuple[str, str, bytes]]) -> EmailMessage:
    sender = config.get("MAIL_FROM")
    if not sender:
        raise MailError("MAIL_FROM is not set")
    if not to or _header(to) != to.strip() or "@" not in to:
        raise MailError("the recipient is not a valid email address")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to.strip()
    message["Subject"] = _header(subject)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    for filename, mimetype, data in attachments:
        maintype, _sep, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({f"{code} {reply.decode(errors='replace')}"
                        for code, reply in exc.recipients.values()})
        return "the server refused the recipient: " + "; ".join(codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time"
    return f"{type(exc).__name__}: {exc}"


def send_message(config: Mapping[str, Any], to: str, subject: str, body: str,
                 attachments: Iterable[tuple[str, str, bytes]] = ()) -> None:
    """Send one plain-text email with attachments (filename, MIME type, data); raise MailError."""
    host = config.get("SMTP_HOST")
    if not host:
        raise MailError("email is not configured (SMTP_HOST is not set)")
    message = _build_message(config, to, subject, body, attachments)
    starttls = config.get("SMTP_STARTTLS", True)
    port = int(config.get("SMTP_PORT") or (587 if starttls else 25))
    timeout = float(config.get("SMTP_TIMEOUT") or 30)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"sending through {host}:{port} failed: {_describe(exc)}") from exc


def queue_plan_deliveries(session: Session, meeting: Meeting) -> list[Delivery]:
    """Queue the plan for every participant with an email address, the family's first.

    Participants who already have a delivery for this meeting are left alone, so queueing
    twice adds nothing. Returns the deliveries added.
    """
    queued = set(session.scalars(select(Delivery.participant_id).where(
        Delivery.meeting_id == meeting.id)))
    people = sorted((p for p in meeting.participants if p.email.strip() and p.id not in queued),
                    key=lambda p: (not p.is_family, p.position, p.id))
    deliveries = [Delivery(meeting_id=meeting.id, participant_id=p.id, status="pending")
                  for p in people]
    session.add_all(deliveries)
    session.flush()
    for delivery in deliveries:
        audit(session, None, "delivery", delivery.id, "status", None, "pending",
              plan_id=meeting.plan_id, meeting_id=meeting.id)
    return deliveries


def retry_delivery(session: Session, delivery_id: int, actor: Any = None) -> Delivery:
    """Put a failed delivery back in the queue; send it with `send_deliveries` after the commit.

    Raises LookupError for an unknown delivery and ValueError for one already sent.
    """
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise LookupError("no such delivery")
    if delivery.status == "sent":
        raise ValueError("already sent")
    before, delivery.status, delivery.error = delivery.status, "pending", ""
    session.flush()
    meeting = session.get(Meeting, delivery.meeting_id)
    audit(session, actor, "delivery", delivery.id, "status", before, "pending",
          plan_id=meeting.plan_id, meeting_id=meeting.id)
    return delivery


def _local_day(iso: str | None) -> date | None:
    return datetime.fromisoformat(iso).astimezone(STOCKHOLM).date() if iso else None


def _plan_page(meeting_id: int) -> str | None:
    """Return the address of a closed meeting's plan page, when the public address is set."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return None
    path = current_app.url_map.bind("localhost").build("handover.family_page",
                                                      {"meeting_id": meeting_id})
    return base.rstrip("/") + path


def _family_lines(snapshot: dict[str, Any]) -> list[str]:
    """Write the family's tasks as the document and the page list them."""
    tasks = version_view(snapshot)["family"]
    if not tasks:
        return ["- " + _("The family has no tasks of its own in this plan.")]
    lines = []
    for task in tasks:
        lines.append("- " + plain(task["task"], one_line=True, limit=None))
        if task["action"]:
            lines.append("  " + _("Action: %(what)s",
                                  what=plain(task["action"], one_line=True, limit=None)))
        if task["who"]:
            lines.append("  " + _("Responsible: %(name)s", name=plain(task["who"], True)))
        if task["part"]:
            lines.append("  " + _("What the family does: %(text)s",
                                  text=plain(task["part"], one_line=True, limit=None)))
        lines.append("  " + _("When: %(when)s",
                              when=plain(task["when"].replace("\n", ", "), True, None)))
    return lines


def _file_lines(files: list[tuple[str, str, str, bytes]]) -> list[str]:
    """Say what each attached file is and what the reader can do with it."""
    about = {
        "plan": lambda name: _("%(file)s: the plan as a document. You can read it, print it "
                               "and keep it.", file=name),
        "followup": lambda name: _("%(file)s: the follow-up meeting, for your calendar.",
                                   file=name),
        "dates": lambda name: _("%(file)s: the dates of your tasks, for your calendar.",
                                file=name),
    }
    return [_("Attached to this email:")] + ["- " + about[kind](name)
                                             for kind, name, _type, _data in files]


def plan_email(snapshot: dict[str, Any], participant: Participant,
               files: list[tuple[str, str, str, bytes]] = ()) -> tuple[str, str]:
    """Write the subject and body that hand the plan over, in the current locale.

    The body says what the attached files are and where else the plan can be read: on the
    meeting's page, which opens only on the device that joined the meeting.
    """
    sections, child = snapshot["sections"], plain(snapshot["child_name"], one_line=True)
    chair = plain(snapshot["meeting"].get("chair"), one_line=True)
    closed = _local_day(snapshot["meeting"].get("closed_at"))
    lines = [_("Hello %(name)s,", name=plain(participant.name, one_line=True)), "",
             _("The SIP meeting for %(child)s was held on %(date)s. The plan you made together "
               "is attached to this email.", child=child, date=format_local_date(closed)),
             "", _("What happens next:"),
             "- " + _("Everyone does what the plan says they will do, by the date in the plan.")]
    followup = sections.get("followup_date")
    if followup:
        lines.append("- " + _("The plan will be followed up on %(date)s.",
                              date=format_local_date(date.fromisoformat(followup))))
    else:
        lines.append("- " + _("The date of the follow-up is not set yet."))
    if sections.get("followup_convener"):
        lines.append("- " + _("%(person)s invites everyone to the follow-up.",
                              person=plain(sections["followup_convener"], one_line=True)))
    if sections.get("contact_between"):
        lines.append("- " + _("If something does not work before then, contact: %(contact)s",
                              contact=plain(sections["contact_between"], one_line=True)))
    lines += ["", _("What the family does:"), *_family_lines(snapshot)]
    if files:
        lines += ["", *_file_lines(list(files))]
    page = _plan_page(snapshot["meeting"]["id"])
    lines += ["", _("You can also read the plan on screen, on the phone or computer where you "
                    "joined the meeting: %(url)s", url=page) if page else
              _("You can also read the plan on screen, on the phone or computer where you "
                "joined the meeting."),
              _("The page does not open on other phones or computers. To read it on another "
                "one, ask %(chair)s for a new personal link.", chair=chair),
              "", _("Questions about the plan? Ask %(chair)s, who chaired the meeting.",
                    chair=chair)]
    return _("The SIP plan for %(child)s", child=child), "\n".join(lines) + "\n"


def _attachments(snapshot: dict[str, Any], participant: Participant, lang: str,
                 document: bytes) -> list[tuple[str, str, str, bytes]]:
    """Return the files of a participant's email as (kind, name, MIME type, data).

    Named in the current locale; kind is "plan", "followup" or "dates".
    """
    files = [("plan", version_file_name(snapshot, "plan"), DOCX, document)]
    if snapshot["sections"].get("followup_date"):
        files.append(("followup", version_file_name(snapshot, "followup"), ICS,
                      followup_ics(snapshot, lang, None)))
    if participant_deadlines(snapshot, participant.id):
        files.append(("dates", version_file_name(snapshot, "dates"), ICS,
                      deadlines_ics(snapshot, participant.id, lang)))
    return files


def _send_one(delivery: Delivery, snapshot: dict[str, Any] | None, documents: dict[str, bytes],
              build_document: Callable[[dict, str], bytes]) -> str:
    """Send one delivery; return "" when sent, or why it failed."""
    participant = db_session().get(Participant, delivery.participant_id) \
        if delivery.participant_id else None
    if participant is None:
        return "the participant was removed"
    if not participant.email.strip():
        return "the participant has no email address"
    if snapshot is None:
        return "the meeting has no frozen plan version"
    config = current_app.config
    lang = participant.language if participant.language in config["LANGUAGES"] \
        else config["BABEL_DEFAULT_LOCALE"]
    try:
        if lang not in documents:
            documents[lang] = build_document(snapshot, lang)
        with force_locale(lang):
            files = _attachments(snapshot, participant, lang, documents[lang])
            subject, body = plan_email(snapshot, participant, files)
    except Exception as exc:  # a broken document must not stop the other deliveries
        log.warning("delivery %s: the plan could not be prepared (%s)", delivery.id,
                    type(exc).__name__)
        return f"the plan could not be prepared: {type(exc).__name__}"
    try:
        send_message(config, participant.email, subject, body,
                     [(name, mimetype, data) for _kind, name, mimetype, data in files])
    except MailError as exc:
        log.warning("delivery %s of meeting %s failed", delivery.id, delivery.meeting_id)
        return str(exc)
    return ""


def _queue(meeting_id: int) -> list[Delivery]:
    rows = db_session().execute(
        select(Delivery, Participant.role, Participant.position)
        .outerjoin(Participant, Participant.id == Delivery.participant_id)
        .where(Delivery.meeting_id == meeting_id, Delivery.status.in_(RETRYABLE))
        .order_by(Delivery.id)).all()
    family_first = sorted(rows, key=lambda r: (r.role not in FAMILY_ROLES,
                                               r.position or 0, r.Delivery.id))
    return [r.Delivery for r in family_first]


def send_deliveries(meeting_id: int,
                    build_document: Callable[[dict, str], bytes]) -> dict[str, list[int]]:
    """Send a closed meeting's pending and failed deliveries, the family's first; never raise.

    Each delivery is committed as sent or failed on its own. Call it after the close was
    committed, inside an application context (a background task is best: SMTP can be slow).
    Returns the ids sent and failed.
    """
    outcome: dict[str, list[int]] = {"sent": [], "failed": []}
    try:
        if not mail_enabled(current_app):
            log.info("meeting %s: email is not configured, deliveries stay queued", meeting_id)
            return outcome
        version = meeting_version(db_session(), meeting_id)
        snapshot = version.snapshot if version else None
        documents: dict[str, bytes] = {}
        for delivery in _queue(meeting_id):
            error = _send_one(delivery, snapshot, documents, build_document)
            _record(delivery, error)
            outcome["failed" if error else "sent"].append(delivery.id)
        log.info("meeting %s: %d deliveries sent, %d failed", meeting_id,
                 len(outcome["sent"]), len(outcome["failed"]))
    except Exception as exc:  # sending the plan must never break closing the meeting
        db_session().rollback()
        log.error("meeting %s: sending deliveries stopped (%s)", meeting_id, type(exc).__name__)
    return outcome


def _record(delivery: Delivery, error: str) -> None:
    with atomic() as session:
        before = delivery.status
        delivery.attempts += 1
        delivery.status, delivery.error = ("failed", error) if error else ("sent", "")
        if not error:
            delivery.sent_at = utcnow()
        meeting = session.get(Meeting, delivery.meeting_id)
        audit(session, None, "delivery", delivery.id, "status", before, delivery.status,
              plan_id=meeting.plan_id, meeting_id=meeting.id)


def email_plan_later(meeting_id: int) -> None:
    """Send the closed meeting's plan by email in the background; a close never waits for it."""
    app = current_app._get_current_object()
    if mail_enabled(app) and app.config["EMAIL_PLAN_AFTER_CLOSE"]:
        socketio.start_background_task(_email_plan, app, meeting_id)


def _email_plan(app, meeting_id: int) -> None:
    with app.app_context():
        send_deliveries(meeting_id, build_docx)
