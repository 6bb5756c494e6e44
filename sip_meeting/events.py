"""Socket events of a live meeting: check who is asking, run one operation, broadcast.

Every handler re-reads the caller from the database, so a revoked link, a removed participant
or a chair who no longer owns the meeting is refused at the next event, not only at connect.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask, request, session
from flask_babel import force_locale
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room, leave_room
from sqlalchemy import select

from . import (
    accounts,
    browser_sessions,
    chair_ops,
    closing_ops,
    live,
    plan_ops,
    presence,
    revocation,
    term_ops,
)
from .access import browser_session, participant_for_token_hash, valid_token_hashes
from .annotations import PlanRows, annotate, annotate_all
from .db import atomic, consistent_read, db_session
from .extensions import socketio
from .fields import InvalidValue, field_for
from .live_limits import SocketBudget, payload_problem, room_for_socket
from .live_messages import error_message
from .mailer import email_plan_later
from .models import Chair, Meeting, Operation, Participant, Plan
from .snapshot import lobby_snapshot, snapshot

MAX_CATCH_UP = 500
log = logging.getLogger(__name__)
VIEWS = ("device", "console", "wall")


@dataclass
class Connection:
    """What a socket proved at connect: which meeting, through which view, as whom."""

    meeting_id: int
    view: str
    lang: str
    chair_id: int | None = None
    participant_id: int | None = None
    token_hash: str | None = None
    budget: SocketBudget | None = None  # what it may still send (made at its first event)
    browser_session_id: int | None = None  # the signed-in browser that opened it


def meeting_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def chair_room(meeting_id: int) -> str:
    return f"chair:{meeting_id}"


def person_room(participant_id: int) -> str:
    return f"participant:{participant_id}"


def broadcast_op(meeting_id: int, event: dict[str, Any]) -> None:
    """Send a committed operation to its meeting's room from outside a socket event."""
    socketio.emit("op", event, to=meeting_room(meeting_id), namespace="/live")


def off_loop(fn: Any, *args: Any) -> Any:
    """Run long pure CPU work (checking a large plan) where it does not hold up other meetings.

    Under gevent every socket shares one loop, so the work goes to a native thread; the
    interpreter switches back to the loop every few milliseconds. Under threads it runs here.
    The handover costs the server more CPU than a small plan's check (see annotations.py).
    """
    if socketio.async_mode == "gevent":
        from gevent import get_hub

        return get_hub().threadpool.apply(fn, args)
    return fn(*args)


def language_room(meeting_id: int, lang: str) -> str:
    return f"meeting:{meeting_id}:{lang}"


# Operations after which the rules and the glossary look at the plan again.
CONTENT_KINDS = {"field", "item_added", "item_removed", "item_moved", "condition_split",
                 "overrides", "explanation_added"}


def enter_rooms(conn: Connection, sid: str) -> None:
    """Put a socket in its meeting's room and its language's room."""
    join_room(meeting_room(conn.meeting_id), sid=sid)
    join_room(language_room(conn.meeting_id, conn.lang), sid=sid)


def leave_rooms(conn: Connection, sid: str) -> None:
    """Take a socket out of its meeting's rooms (back to the lobby)."""
    leave_room(meeting_room(conn.meeting_id), sid=sid)
    leave_room(language_room(conn.meeting_id, conn.lang), sid=sid)


class LiveNamespace(Namespace):
    """The `/live` namespace: one instance serves every meeting of this process."""

    def __init__(self, app: Flask, namespace: str = "/live") -> None:
        super().__init__(namespace)
        self.app = app
        self.connections: dict[str, Connection] = {}
        # meeting id -> [first, last] change times not yet annotated
        self.pending: dict[int, list[float]] = {}
        self.pending_lock = threading.Lock()
        # Serialises operations per meeting inside this process so that broadcasts leave in
        # the order their sequence numbers were committed.
        self.locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self.server_id = presence.new_server_id()
        self.registered = False
        self.register_lock = threading.Lock()
        # Every event's handler, present and future, answers through one guard.
        for name in dir(type(self)):
            if name.startswith("on_") and name not in ("on_connect", "on_disconnect"):
                setattr(self, name, self._guarded(name[3:], getattr(self, name)))

    # -- connecting ----------------------------------------------------------------------

    def on_connect(self, auth: Any = None) -> None:
        """Admit the socket to its meeting's rooms, or refuse it."""
        conn = self._authenticate(auth if isinstance(auth, dict) else {})
        self._register_server()
        with atomic() as s:
            self._refuse_too_many_sockets(s, conn)
            presence.add_connection(s, self.server_id, request.sid, conn.meeting_id,
                                    participant_id=conn.participant_id, chair_id=conn.chair_id,
                                    browser_session_id=conn.browser_session_id)
        if self._lost_access({request.sid: conn}):
            # Access ended after the check, and a revoke or logout that listed the sockets
            # before this one was recorded would miss it: checked again once it is recorded.
            with atomic() as s:
                presence.remove_connection(s, request.sid)
            self._forbidden(conn.lang)
        self.connections[request.sid] = conn
        if conn.participant_id is None:
            enter_rooms(conn, request.sid)
            join_room(chair_room(conn.meeting_id))
            return
        join_room(person_room(conn.participant_id))
        participant = db_session().get(Participant, conn.participant_id)
        if participant.admitted_at is not None:
            enter_rooms(conn, request.sid)
        self._announce_presence(participant)

    def _refuse_too_many_sockets(self, session: Any, conn: Connection) -> None:
        if conn.participant_id is not None and not room_for_socket(
                session, conn.participant_id, self.app.config):
            with force_locale(conn.lang):
                message = error_message("too_many_connections")
            # The client's connect_error carries the message, and {code, message} as its data.
            raise ConnectionRefusedError(message, {"code": "too_many_connections",
                                                   "message": message})

    def _register_server(self) -> None:
        """Record this process as alive at its first socket, and keep saying so.

        Alone (no message queue), it forgets the sockets an earlier, killed process left.
        """
        if self.registered:
            return
        with self.register_lock:  # sockets that connect at once after a start wait here
            if self.registered:
                return
            alone = not self.app.config.get("SOCKETIO_MESSAGE_QUEUE")
            with atomic() as s:
                changed = presence.register_server(s, self.server_id, alone=alone)
            self.registered = True
        for meeting_id in changed:
            self._announce_meeting_presence(meeting_id)
        if not self.app.testing:
            socketio.start_background_task(self._heartbeat)

    def _heartbeat(self) -> None:
        stale = float(self.app.config["LIVE_SERVER_STALE_SECONDS"])
        while True:
            socketio.sleep(stale / 3)
            with self.app.app_context():
                try:
                    with atomic() as s:
                        changed = presence.heartbeat(s, self.server_id, stale)
                    for meeting_id in changed:
                        self._announce_meeting_presence(meeting_id)
                    self.close_lost_sockets()
                except Exception:  # noqa: BLE001  (a database hiccup must not end the beat)
                    log.exception("presence heartbeat failed")

    def _announce_meeting_presence(self, meeting_id: int) -> None:
        """Tell a meeting's room who is connected now (after a process was forgotten)."""
        session = db_session()
        connected = presence.connected_participants(session, meeting_id)
        for pid in session.scalars(select(Participant.id).where(
                Participant.meeting_id == meeting_id)).all():
            socketio.emit("presence", {"participant_id": pid, "connected": pid in connected},
                          to=meeting_room(meeting_id), namespace=self.namespace)
        self._send_lobby(meeting_id, broadcast=True)

    def _authenticate(self, auth: dict[str, Any]) -> Connection:
        meeting_id, view = auth.get("meeting"), auth.get("view")
        lang = session.get("lang")
        signed_in = browser_session()  # the browser's session on the server, if it counts
        if signed_in is not None and isinstance(meeting_id, int) and view in VIEWS:
            meeting = db_session().get(Meeting, meeting_id)
            chair_id = signed_in.chair_id
            chair = db_session().get(Chair, chair_id) if chair_id is not None else None
            if meeting is not None and view != "device" \
                    and accounts.may_act_on_plan(db_session(), chair, meeting.plan_id):
                return Connection(meeting_id, view, lang or chair.locale or "sv", chair_id=chair_id,
                                  browser_session_id=signed_in.id)
            token_hash = browser_sessions.token_hash_for(signed_in, meeting_id)
            participant = participant_for_token_hash(token_hash) if view == "device" else None
            if participant is not None and participant.meeting_id == meeting_id:
                return Connection(meeting_id, view, lang or participant.language,
                                  participant_id=participant.id, token_hash=token_hash,
                                  browser_session_id=signed_in.id)
        self._forbidden(lang)

    @staticmethod
    def _forbidden(lang: str | None) -> NoReturn:
        # The second argument reaches the browser as connect_error's `data`.
        with force_locale(lang or "sv"):
            message = error_message("forbidden")
            raise ConnectionRefusedError(message, {"code": "forbidden", "message": message})

    # -- access that ended ---------------------------------------------------------------

    def _lost_access(self, conns: dict[str, Connection]) -> dict[str, str]:
        """Return which of these sockets lost access since connecting, with the reason.

        A participant's link must still be the one the socket came with; the browser session
        that opened a socket must still count (not logged out, not expired); a chair must
        still be an active chair who may act on the meeting's plan (accounts.py).
        """
        signed_in = browser_sessions.valid_ids(db_session(), {
            c.browser_session_id for c in conns.values() if c.browser_session_id is not None})
        links = valid_token_hashes(c.participant_id for c in conns.values()
                                   if c.participant_id is not None)
        chairing = self._still_chairing({(c.chair_id, c.meeting_id) for c in conns.values()
                                         if c.chair_id is not None})
        lost = {}
        for sid, conn in conns.items():
            if conn.browser_session_id is not None and conn.browser_session_id not in signed_in:
                lost[sid] = "logged_out" if conn.participant_id is None else "signed_out"
            elif conn.participant_id is not None and links.get(conn.participant_id) != \
                    conn.token_hash:
                lost[sid] = "signed_out"
            elif conn.chair_id is not None and (conn.chair_id, conn.meeting_id) not in chairing:
                lost[sid] = "removed"
        return lost

    @staticmethod
    def _still_chairing(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """Return which (chair, meeting) pairs may still act on the meeting's plan, in one query."""
        if not pairs:
            return set()
        rows = db_session().execute(
            select(Chair.id, Meeting.id).join(Plan, Plan.id == Meeting.plan_id).where(
                Chair.id.in_({c for c, _m in pairs}), Meeting.id.in_({m for _c, m in pairs}),
                Chair.deactivated_at.is_(None), Chair.is_chair,
                accounts.plan_access(Chair.id))).all()
        return pairs & {tuple(row) for row in rows}

    def close_lost_sockets(self) -> int:
        """Close this process's sockets that lost access; return how many.

        Revoking and logging out close the sockets at once (revocation.py), in every process
        when there is a message queue. This catches, at each heartbeat, what that cannot
        reach: a password changed from the command line with no message queue, or a message
        the queue lost.
        """
        lost = self._lost_access(dict(self.connections))
        for sid, reason in lost.items():
            conn = self.connections.get(sid)
            revocation.end_sockets([sid], reason, conn.lang if conn else None)
        return len(lost)

    def on_disconnect(self, reason: Any = None) -> None:
        """Forget the socket and tell the room that a participant left."""
        conn = self.connections.pop(request.sid, None)
        with atomic() as s:
            presence.remove_connection(s, request.sid)
        if conn is not None and conn.participant_id is not None:
            participant = db_session().get(Participant, conn.participant_id)
            if participant is not None:
                self._announce_presence(participant)

    def _announce_presence(self, participant: Participant) -> None:
        connected = presence.connection_count(db_session(), participant.id) > 0
        emit("presence", {"participant_id": participant.id, "connected": connected},
             to=meeting_room(participant.meeting_id))
        if participant.admitted_at is None:
            self._send_lobby(participant.meeting_id)

    def _send_lobby(self, meeting_id: int, broadcast: bool = False) -> None:
        session = db_session()
        connected = presence.connected_participants(session, meeting_id)
        waiting = session.scalars(select(Participant).where(
            Participant.meeting_id == meeting_id, Participant.admitted_at.is_(None),
            Participant.id.in_(connected))).all()
        payload = {"waiting": [{"id": p.id, "name": p.name, "role": p.role,
                                "organisation": p.organisation} for p in waiting]}
        if broadcast:
            socketio.emit("lobby", payload, to=chair_room(meeting_id), namespace=self.namespace)
        else:
            emit("lobby", payload, to=chair_room(meeting_id))

    # -- who is asking -------------------------------------------------------------------

    def _actor(self, meeting: live.MeetingState | None = None) -> tuple[Connection, live.Actor]:
        """Re-check the caller against the database; raise LiveError if they lost access.

        Given the state of the meeting as its lock returned it, the check is made under the lock.
        """
        conn = self.connections.get(request.sid)
        if conn is None:
            raise live.LiveError("forbidden")
        session = db_session()
        meeting = meeting or live.read_meeting(session, conn.meeting_id)
        return conn, live.caller(session, meeting, conn.lang, chair_id=conn.chair_id,
                                 participant_id=conn.participant_id, token_hash=conn.token_hash)

    def _admitted_actor(self, meeting: live.MeetingState | None = None
                        ) -> tuple[Connection, live.Actor]:
        conn, actor = self._actor(meeting)
        if not actor.admitted:
            raise live.LiveError("forbidden", "not_admitted")
        return conn, actor

    def _refuse(self, conn: Connection | None, error: Exception, payload: Any) -> dict[str, Any]:
        """Turn a refusal into a translated acknowledgement for this caller alone."""
        if isinstance(error, InvalidValue):
            error = live.LiveError("too_large" if error.args[0] == "too_long" else "invalid",
                                   error.args[0], **error.args[1])
        with force_locale(conn.lang if conn else "sv"):
            answer = {"ok": False, "code": error.code,
                      "message": error_message(error.key, **error.params)}
        if error.code == "conflict" and isinstance(payload, dict):
            answer.update(error.extra, entity=payload.get("entity"), id=payload.get("id"),
                          field=payload.get("field"))
        elif getattr(error, "extra", None):
            answer.update(error.extra)
        return answer

    # -- running operations --------------------------------------------------------------

    def _guarded(self, event: str, handler: Any) -> Any:
        """Wrap an event's handler so that every event is answered, whatever it carries.

        Each event spends from its socket's budget, its payload must be a small JSON value
        (live_limits), and a handler that fails anyway answers `server_error` and logs one line
        naming the event and the exception's type, never the payload.
        """

        def guarded(*args: Any) -> dict[str, Any]:
            conn = self.connections.get(request.sid)
            if conn is not None:
                conn.budget = conn.budget or SocketBudget.from_config(self.app.config)
                if not conn.budget.allow(event):
                    return self._refuse(conn, live.LiveError("rate_limited"), None)
            if len(args) > 1 or payload_problem(args[0] if args else None) is not None:
                return self._refuse(conn, live.LiveError("invalid", "bad_payload"), None)
            try:
                return handler(*args)
            except Exception as error:  # noqa: BLE001  (the last line of defence)
                where = error.__traceback__
                while where is not None and where.tb_next is not None:
                    where = where.tb_next
                log.error("live event %s failed: %s at %s:%s", event, type(error).__name__,
                          where.tb_frame.f_code.co_filename.rsplit("/", 1)[-1] if where else "?",
                          where.tb_lineno if where else "?")
                return self._refuse(conn, live.LiveError("server_error"), None)

        guarded.__name__ = guarded.__qualname__ = f"on_{event}"
        return guarded

    def _run(self, payload: Any, build: Any) -> dict[str, Any]:
        """Check the caller, apply one operation, commit, broadcast, then acknowledge."""
        conn = self.connections.get(request.sid)
        try:
            if not isinstance(payload, dict):
                raise live.LiveError("invalid", "bad_payload")
            if conn is None:
                raise live.LiveError("forbidden")
            with self.locks[conn.meeting_id]:
                with atomic() as s:
                    meeting = live.lock_meeting(s, conn.meeting_id)
                    conn, actor = self._admitted_actor(meeting)
                    outcome = live.apply_locked(s, meeting, actor, payload.get("op_id"),
                                                build(payload))
                if outcome.event is None:  # nothing changed, or a resend of a known op
                    return outcome.answer
                emit("op", outcome.event, to=meeting_room(conn.meeting_id))
            # Every screen first: the sockets' writers send the op now, before this event's
            # acknowledgement and bookkeeping (under gevent they wait for the loop otherwise).
            socketio.sleep(0)
        except (live.LiveError, InvalidValue) as error:
            return self._refuse(conn, error, payload)
        self._after(outcome.event)
        return outcome.answer

    def _after(self, event: dict[str, Any]) -> None:
        """Move admitted or dismissed participants' sockets; look at the plan again."""
        conn = self.connections[request.sid]
        if event["kind"] in CONTENT_KINDS:
            self.schedule_annotations(conn.meeting_id)
        if event["kind"] == "status" and event["status"] == "closed":
            email_plan_later(conn.meeting_id)
        if event["kind"] == "admitted":
            for p in event["participants"]:
                # Sockets of this process join the room at once; others join on their `sync`.
                self._move_sockets(p["id"], enter_rooms)
                emit("admitted", {}, to=person_room(p["id"]))
            self._send_lobby(conn.meeting_id)
        elif event["kind"] == "dismissed":
            self._move_sockets(event["participant_id"], leave_rooms)
            self._leave_rooms_elsewhere(conn.meeting_id, event["participant_id"])
            emit("dismissed", {}, to=person_room(event["participant_id"]))
            self._send_lobby(conn.meeting_id)

    def _leave_rooms_elsewhere(self, meeting_id: int, participant_id: int) -> None:
        """Take a participant's sockets that other processes hold out of the meeting's rooms.

        Through the message queue, so that someone sent back to the lobby receives nothing
        more of the meeting whatever their page does (it syncs on `dismissed`), as when this
        process holds the socket.
        """
        if not self.app.config.get("SOCKETIO_MESSAGE_QUEUE"):
            return
        rooms = [meeting_room(meeting_id)] + [language_room(meeting_id, lang)
                                              for lang in self.app.config["LANGUAGES"]]
        for sid in presence.sockets_of(db_session(), participant_id=participant_id):
            if sid not in self.connections:
                for room in rooms:
                    socketio.server.leave_room(sid, room, namespace=self.namespace)

    def _move_sockets(self, participant_id: int, move: Any) -> None:
        for sid, other in list(self.connections.items()):
            if other.participant_id == participant_id:
                move(other, sid)

    def schedule_annotations(self, meeting_id: int) -> None:
        """Recompute findings and terms once writing pauses (or after the longest wait)."""
        delay = self.app.config["ANNOTATION_DELAY"]
        if not delay:
            self.send_annotations(meeting_id)
            return
        now = time.monotonic()
        with self.pending_lock:
            if meeting_id in self.pending:
                self.pending[meeting_id][1] = now
                return
            self.pending[meeting_id] = [now, now]
        socketio.start_background_task(self._annotate_later, meeting_id, delay)

    def _annotate_later(self, meeting_id: int, delay: float) -> None:
        # The longest wait is drawn anew each time, between three quarters of it and all of
        # it, so that meetings that started together do not all check their plans at one
        # instant: in step, fifty of them stalled every edit of the process for tens of ms.
        longest = self.app.config["ANNOTATION_MAX_WAIT"] * random.uniform(0.75, 1.0)
        while True:
            with self.pending_lock:
                first, last = self.pending[meeting_id]
                due = min(last + delay, first + longest)
                wait = due - time.monotonic()
                if wait <= 0:
                    del self.pending[meeting_id]
                    break
            socketio.sleep(wait)
        with self.app.app_context():
            self.send_annotations(meeting_id)

    def send_annotations(self, meeting_id: int) -> None:
        """Send every language's annotations of a meeting to its readers."""
        rows = PlanRows.read(db_session(), meeting_id)
        if rows is None:
            return
        derived = annotate_all(rows, self.app.config["LANGUAGES"], run_large=off_loop)
        for lang, found in derived.items():
            socketio.emit("annotations", found, to=language_room(meeting_id, lang),
                          namespace=self.namespace)

    # -- events --------------------------------------------------------------------------

    def on_sync(self, payload: Any = None) -> dict[str, Any]:
        """Send what the caller missed since `last_seq`, or the whole state."""
        conn = self.connections.get(request.sid)
        try:
            conn, actor = self._actor()
        except live.LiveError as error:
            return self._refuse(conn, error, payload)
        # In the room first: an op committed after the read below is then broadcast to this
        # socket, and one committed before it is in what the read returns.
        if actor.admitted:
            enter_rooms(conn, request.sid)
        else:
            leave_rooms(conn, request.sid)
        with consistent_read() as session:
            meeting = session.get(Meeting, conn.meeting_id)
            if not actor.admitted:
                return {"ok": True, "seq": meeting.seq,
                        "snapshot": lobby_snapshot(meeting, actor, conn.lang)}
            last = payload.get("last_seq") if isinstance(payload, dict) else None
            if isinstance(last, int) and not isinstance(last, bool) \
                    and 0 <= meeting.seq - last <= MAX_CATCH_UP:
                ops = session.scalars(select(Operation.event).where(
                    Operation.meeting_id == meeting.id, Operation.seq > last
                ).order_by(Operation.seq)).all()
                if len(ops) == meeting.seq - last:
                    return {"ok": True, "seq": meeting.seq, "ops": list(ops),
                            "annotations": annotate(meeting, conn.lang)}
            with force_locale(conn.lang):
                return {"ok": True, "seq": meeting.seq,
                        "snapshot": snapshot(meeting, actor, conn.lang, conn.view)}

    def on_edit(self, payload: Any = None) -> dict[str, Any]:
        """Change one field of the plan."""
        return self._run(payload, lambda p: plan_ops.edit_field(
            p.get("entity"), p.get("id"), p.get("field"), p.get("base_version"), p.get("base"),
            p.get("value")))

    def on_add_item(self, payload: Any = None) -> dict[str, Any]:
        """Add a goal, an action or a consent."""
        return self._run(payload, lambda p: plan_ops.add_item(p.get("entity"), p.get("values", {})))

    def on_remove_item(self, payload: Any = None) -> dict[str, Any]:
        """Remove a goal, an action or a consent."""
        return self._run(payload, lambda p: plan_ops.remove_item(p.get("entity"), p.get("id")))

    def on_move_item(self, payload: Any = None) -> dict[str, Any]:
        """Move a goal, an action or a consent within its list."""
        return self._run(payload, lambda p: plan_ops.move_item(p.get("entity"), p.get("id"),
                                                           p.get("position")))

    def on_admit(self, payload: Any = None) -> dict[str, Any]:
        """Let a waiting participant, or everyone waiting, into the meeting."""
        return self._run(payload, lambda p: chair_ops.admit(p.get("participant_id")))

    def on_dismiss(self, payload: Any = None) -> dict[str, Any]:
        """Send a participant back to the lobby."""
        return self._run(payload, lambda p: chair_ops.dismiss(p.get("participant_id")))

    def on_set_step(self, payload: Any = None) -> dict[str, Any]:
        """Move the meeting to a step of its order."""
        return self._run(payload, lambda p: chair_ops.set_step(p.get("step")))

    def on_start(self, payload: Any = None) -> dict[str, Any]:
        """Start the meeting."""
        return self._run(payload, lambda p: chair_ops.set_status("live"))

    def on_end(self, payload: Any = None) -> dict[str, Any]:
        """End the meeting: no more edits are accepted."""
        return self._run(payload, lambda p: chair_ops.set_status("closed"))

    def on_end_without_plan(self, payload: Any = None) -> dict[str, Any]:
        """End a meeting that made no plan, with the reason (the chair); no version is frozen."""
        return self._run(payload, lambda p: chair_ops.end_without_plan(p.get("reason")))

    def on_mark_spoken(self, payload: Any = None) -> dict[str, Any]:
        """Tick that a participant has spoken in this step's round."""
        return self._run(payload, lambda p: chair_ops.mark_spoken(p.get("participant_id"),
                                                             p.get("spoken")))

    def on_override(self, payload: Any = None) -> dict[str, Any]:
        """Override a named blocker with a written reason (the chair)."""
        return self._run(payload, lambda p: chair_ops.override(p.get("rule"), p.get("item_id"),
                                                               p.get("reason")))

    def on_split_condition(self, payload: Any = None) -> dict[str, Any]:
        """Turn a flagged condition into an action of its own."""
        return self._run(payload, lambda p: plan_ops.split_condition(
            p.get("action_id"), p.get("start"), p.get("end")))

    def on_ask_term(self, payload: Any = None) -> dict[str, Any]:
        """Ask what a word means here."""
        return self._run(payload, lambda p: term_ops.ask_term(p.get("word"), p.get("term_id"),
                                                              p.get("named")))

    def on_show_term(self, payload: Any = None) -> dict[str, Any]:
        """Show a word's request on the wall, or take it down (the chair)."""
        return self._run(payload, lambda p: term_ops.show_term(p.get("request_id"),
                                                               p.get("on_wall")))

    def on_dismiss_term(self, payload: Any = None) -> dict[str, Any]:
        """Set a word's request aside (the chair)."""
        return self._run(payload, lambda p: term_ops.dismiss_term(p.get("request_id")))

    def on_explain_term(self, payload: Any = None) -> dict[str, Any]:
        """Record what a word means in this plan (the chair)."""
        return self._run(payload, lambda p: term_ops.explain_term(
            p.get("request_id"), p.get("word"), p.get("term_id"), p.get("text")))

    def on_answer_satisfaction(self, payload: Any = None) -> dict[str, Any]:
        """Answer "Are you satisfied with the meeting?" with one tap."""
        return self._run(payload, lambda p: closing_ops.answer_satisfaction(p.get("answer")))

    def on_typing(self, payload: Any = None) -> dict[str, Any]:
        """Tell the others that someone is writing in a field (not stored)."""
        conn = self.connections.get(request.sid)
        try:
            conn, actor = self._admitted_actor()
            if not isinstance(payload, dict) or not actor.may_write(
                    payload.get("entity"), payload.get("field")):
                raise live.LiveError("forbidden", "read_only")
            field_for(payload.get("entity"), payload.get("field"))  # only fields that exist
        except (live.LiveError, InvalidValue) as error:
            return self._refuse(conn, error, payload)
        item_id = payload.get("id")
        emit("typing", {"entity": payload["entity"], "id": item_id
                        if isinstance(item_id, int) and not isinstance(item_id, bool) else None,
                        "field": payload["field"], "name": actor.name,
                        "active": bool(payload.get("active"))},
             to=meeting_room(conn.meeting_id), include_self=False)
        return {"ok": True}

