"""One device of the fault-injection run: a live.js-like client with an outbox and a plan copy.

A device is a thread with its own cookie (it opened a participant's join link itself) and, while
connected, one Socket.IO connection. Like the browser's client (sip_meeting/static/js/live.js):

- every change gets a fresh op_id and waits in the outbox until the server answers it; the
  outbox is sent one entry at a time, and an entry whose answer never came (the connection
  dropped, the server died, the answer timed out) is sent again, with the same op_id, after
  reconnecting and catching up;
- after every connect the device calls `sync` with the last seq it applied, applies `op`
  events strictly in seq order, and calls `sync` again when it sees a gap (the server answers
  with the missing ops or, if it cannot, a snapshot);
- its copy of the plan (every field's value and version, every list's ids in order) is changed
  only by snapshots and ops, never by its own acknowledgements, so that at the end it can be
  compared with the database.

Faults a device makes itself: it drops its connection abruptly (the TCP socket is shut down,
no Socket.IO goodbye) every few seconds, often right after sending a change, so that the
server may have applied it without the answer ever arriving; it stays away a moment, writing
into its outbox meanwhile, then reconnects and resends. After one drop in five the page is
reloaded: the device starts again from a snapshot, with its outbox.
"""

from __future__ import annotations

import queue
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import socketio

NS = "/live"
LISTS = ("goal", "action", "consent")
ACK_TIMEOUT = 8.0  # an answer later than this: the connection is dropped and the op resent
CONNECT_TIMEOUT = 5.0
MAX_OUTBOX = 12  # a device offline long enough stops writing (its resends stay below limits)
RELOAD_SHARE = 0.2  # of drops after which the page is reloaded (a snapshot, not a catch-up)
TYPING_SECONDS = (0.2, 1.5)  # from the first key of an edit to its sending (live.js: a pause)
# The shared fields written: the plan's texts and lines, the meeting's questions, and per item
# the goal's text, the action's what, responsible and goal link, the consent's information.
PLAN_FIELDS = {"situation_works": "text", "situation_difficult": "text", "strengths": "text",
               "contact_between": "text", "review_situation_change": "text",
               "lead_person": "line", "followup_form": "line", "followup_convener": "line",
               "child_views_brought_by": "line", "child_told_by": "line"}
ITEM_FIELDS = {"goal": {"text": "text"},
               "action": {"what": "text", "responsible": "line", "goal_id": "ref"},
               "consent": {"information": "text"}}
LIST_BOUNDS = {"goal": (3, 8), "action": (4, 10), "consent": (1, 3)}
LIST_WEIGHTS = {"goal": 0.35, "action": 0.5, "consent": 0.15}
WORDS = ("skolan", "hemmet", "vila", "bild", "schema", "samtal", "stöd", "fritids", "resa",
         "kontakt", "plan", "möte", "lugn", "start", "eftermiddag", "helg")

Key = tuple[str, int, str]


@dataclass
class OpRecord:
    """One change a device made: what it sent and every answer it got."""

    op_id: str
    event: str
    payload: dict[str, Any]
    device: int
    created: float
    sends: int = 0
    answers: list[dict[str, Any]] = field(default_factory=list)
    key: Key | None = None  # the field an edit writes

    @property
    def answer(self) -> dict[str, Any] | None:
        return self.answers[0] if self.answers else None


class Bucket:
    """A token bucket that keeps one socket's events well below the server's rate limit."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            time.sleep((1 - self.tokens) / self.rate)


class Waiter:
    """The answer to one emitted event, or nothing if the connection went first."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.answer: dict[str, Any] | None = None

    def wait(self, timeout: float) -> dict[str, Any] | None:
        self.event.wait(timeout)
        return self.answer


class Connection:
    """One Socket.IO connection of a device; a reconnect makes a new one."""

    def __init__(self, on_op: Any) -> None:
        self.client = socketio.Client(reconnection=False)
        self.client.on("op", on_op, namespace=NS)
        self.client.on("disconnect", self._on_disconnect, namespace=NS)
        self.lock = threading.Lock()
        self.waiters: set[Waiter] = set()
        self.closed = threading.Event()
        self.ws: Any = None

    def connect(self, url: str, cookie: str, meeting_id: int, view: str = "device") -> None:
        self.client.connect(url, namespaces=[NS], headers={"Cookie": cookie},
                            auth={"meeting": meeting_id, "view": view},
                            transports=["websocket"], wait_timeout=CONNECT_TIMEOUT)
        self.ws = getattr(self.client.eio, "ws", None)

    def emit(self, event: str, payload: dict[str, Any]) -> Waiter:
        waiter = Waiter()

        def answered(*args: Any) -> None:
            waiter.answer = args[0] if args and isinstance(args[0], dict) else {
                "ok": False, "code": "bad_answer"}
            with self.lock:
                self.waiters.discard(waiter)
            waiter.event.set()

        with self.lock:
            if self.closed.is_set():
                waiter.event.set()
                return waiter
            self.waiters.add(waiter)
        try:
            self.client.emit(event, payload, namespace=NS, callback=answered)
        except Exception:  # noqa: BLE001  (a connection that went away between check and send)
            self._on_disconnect()
        return waiter

    def _on_disconnect(self, *args: Any) -> None:
        with self.lock:
            self.closed.set()
            waiting, self.waiters = self.waiters, set()
        for waiter in waiting:
            waiter.event.set()

    def drop(self) -> None:
        """Cut the connection as a network would: shut the TCP socket down, say nothing."""
        sock = getattr(self.ws, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.closed.wait(3)  # the read loop saw it: no answer of this connection comes later
        self.close()

    def close(self) -> None:
        """Release everything the connection holds (its threads end, its socket is closed)."""
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001
            pass
        self._on_disconnect()
        if self.ws is not None:
            try:
                self.ws.shutdown()
            except Exception:  # noqa: BLE001
                pass


class Device(threading.Thread):
    """A participant's browser tab: writes into the shared plan, drops, reconnects, resends."""

    def __init__(self, number: int, control: Any, cookie: str) -> None:
        super().__init__(name=f"chaos-device-{number}", daemon=True)
        self.n = number
        self.control = control
        self.cookie = cookie
        self.rng = random.Random(control.seed * 1009 + number)
        self.bucket = Bucket(control.events_per_second, control.events_burst)
        self.conn: Connection | None = None
        self.inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.pending: dict[int, dict[str, Any]] = {}
        self.seq: int | None = None
        self.fields: dict[Key, tuple[Any, int]] = {}
        self.lists: dict[str, list[int]] = {e: [] for e in LISTS}
        self.plan_id: int | None = None
        self.meeting_id: int = control.meeting_id
        self.outbox: list[OpRecord] = []
        self.writing: set[Key] = set()  # fields being typed in or with an edit in the outbox
        self.drafts: list[tuple[float, Key, str, Any, int]] = []  # (send at, key, kind, base)
        self.ledger: dict[str, OpRecord] = {}
        self.applied: dict[int, str] = {}  # seq -> op_id of every op applied
        self.seen: dict[str, set[int]] = {}  # op_id -> seqs it was broadcast with
        self.seen_lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self.answer_ms: list[float] = []  # send to answer of every change answered
        self.need_sync = True
        self.offline_until = 0.0
        self.counter = 0
        self.ready = threading.Event()  # synced once
        self.drained_for = -1  # the last quiet moment for which the outbox was empty
        self.final_for = -1  # the last quiet moment for which the device caught up
        self.final_incremental = False  # it caught up by ops then, not from a snapshot
        self.error: str | None = None

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # noqa: BLE001  (reported, never raised in a thread)
            self.error = f"{type(error).__name__}: {error}"
        finally:
            if self.conn is not None:
                self.conn.close()
                self.conn = None

    def _loop(self) -> None:
        c = self.control
        next_op = time.monotonic() + self.rng.expovariate(c.rate_per_device)
        next_drop = time.monotonic() + self._drop_interval()
        while True:
            now = time.monotonic()
            phase = c.phase
            if phase == "done" or now > c.hard_deadline:
                return
            if phase == "load" and now >= next_op:
                self._generate()
                next_op = max(next_op + self.rng.expovariate(c.rate_per_device), now - 1.0)
            if self.drafts and phase in ("load", "drain"):
                self._send_drafts(now if phase == "load" else float("inf"))
            if self.conn is not None and self.conn.closed.is_set():
                self._lost()
            if self.conn is None:
                if now >= self.offline_until:
                    self._connect()
                else:
                    time.sleep(min(0.02, self.offline_until - now))
                continue
            if self.need_sync:
                self._sync()
                continue
            self._take_inbox()
            if self.need_sync:
                continue
            if phase == "load" and now >= next_drop:
                next_drop = now + self._drop_interval()
                self._drop()
                continue
            if self.outbox:
                self._flush_one()
                continue
            if phase == "drain" and not self.drafts:
                self.drained_for = c.quiet
            elif phase == "final" and self.final_for != c.quiet:
                self._final_sync()
                continue
            self._wait_inbox(0.02)

    def _drop_interval(self) -> float:
        low, high = self.control.drop_every
        return self.rng.uniform(low, high) if high > 0 else float("inf")

    # -- connecting and catching up ---------------------------------------------------------

    def _connect(self) -> None:
        # With several server processes a device has one of its own, as a proxy's stickiness
        # gives it, and goes to the next when that one does not answer, as the proxy does.
        urls = self.control.urls or [self.control.url]
        for turn in range(len(urls)):
            conn = Connection(self._on_op)
            try:
                self.bucket.take()
                conn.connect(urls[(self.n + turn) % len(urls)], self.cookie, self.meeting_id)
                break
            except Exception as error:  # noqa: BLE001  (the server is away or refused us)
                conn.close()
                self.stats[f"connect_failed:{_reason(error)}"] += 1
        else:
            self.offline_until = time.monotonic() + self.rng.uniform(0.1, 0.4)
            return
        if turn:
            self.stats["connects_elsewhere"] += 1
        self.conn = conn
        self.need_sync = True
        self.stats["connects"] += 1

    def _lost(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.need_sync = True
        self.stats["disconnects"] += 1
        self.offline_until = max(self.offline_until, time.monotonic())

    def _on_op(self, op: Any) -> None:
        """Runs in the connection's reading thread: only note the op for the device's loop."""
        if not isinstance(op, dict) or not isinstance(op.get("seq"), int):
            self.stats["bad_op"] += 1
            return
        with self.seen_lock:
            self.seen.setdefault(str(op.get("op_id")), set()).add(op["seq"])
        self.inbox.put(op)

    def _request(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send an event that is not a change (sync) and wait for its answer."""
        assert self.conn is not None
        self.bucket.take()
        waiter = self.conn.emit(event, payload)
        answer = waiter.wait(ACK_TIMEOUT)
        if answer is None and not self.conn.closed.is_set():
            self.stats["answer_timeouts"] += 1
            self.conn.drop()
        return answer

    def _sync(self) -> None:
        answer = self._request("sync", {"last_seq": self.seq})
        if answer is None:
            return
        if not answer.get("ok"):
            self.stats[f"sync_refused:{answer.get('code')}"] += 1
            time.sleep(0.2)
            return
        if "snapshot" in answer:
            snap = answer["snapshot"]
            if snap.get("lobby"):
                self.stats["lobby"] += 1
                time.sleep(0.2)
                return
            self._apply_snapshot(snap)
            self.stats["snapshot_syncs"] += 1
        else:
            for op in answer.get("ops") or []:
                if self.seq is not None and op.get("seq") == self.seq + 1:
                    self._apply(op)
            if self.seq is None or answer.get("seq", 0) > self.seq:
                self.seq = None  # the server is ahead of what it sent: a snapshot next
                self.stats["catch_up_short"] += 1
                return
            self.stats["catch_up_syncs"] += 1
        self.need_sync = False
        self.ready.set()
        self._take_inbox()

    def _final_sync(self) -> None:
        """Catch up once more after every outbox drained; the state is then compared."""
        answer = self._request("sync", {"last_seq": self.seq})
        if answer is None or not answer.get("ok"):
            return
        if "snapshot" in answer:
            self._apply_snapshot(answer["snapshot"])
            self.final_incremental = False
        else:
            for op in answer.get("ops") or []:
                if self.seq is not None and op.get("seq") == self.seq + 1:
                    self._apply(op)
            if self.seq is None or answer.get("seq", 0) > self.seq:
                self.seq = None
                self.need_sync = True
                return
            self.final_incremental = True
        self.final_for = self.control.quiet

    def _wait_inbox(self, timeout: float) -> None:
        try:
            op = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return
        self.pending[op["seq"]] = op
        self._take_inbox()

    def _take_inbox(self) -> None:
        while True:
            try:
                op = self.inbox.get_nowait()
            except queue.Empty:
                break
            self.pending[op["seq"]] = op
        if self.seq is None:
            return
        for seq in [s for s in self.pending if s <= self.seq]:
            del self.pending[seq]
        while self.seq + 1 in self.pending:
            self._apply(self.pending.pop(self.seq + 1))
        if self.pending:
            self.stats["gaps"] += 1
            self.need_sync = True  # a seq more than one above the last applied: catch up

    # -- the plan copy ----------------------------------------------------------------------

    def _apply_snapshot(self, snap: dict[str, Any]) -> None:
        self.seq = snap["seq"]
        self.plan_id = snap["meeting"]["plan_id"]
        self.fields = {}
        self.lists = {e: [] for e in LISTS}
        questions = snap["meeting"]["questions"]
        self.fields[("meeting", snap["meeting"]["id"], "questions")] = (
            questions["value"], questions["version"])
        for name, v in snap["plan"]["fields"].items():
            self.fields[("plan", self.plan_id, name)] = (v["value"], v["version"])
        for entity in LISTS:
            for item in snap[entity + "s"]:
                self._add_item(entity, item, len(self.lists[entity]))
        for seq in [s for s in self.pending if s <= self.seq]:
            del self.pending[seq]

    def _add_item(self, entity: str, item: dict[str, Any], position: Any) -> None:
        ids = self.lists[entity]
        if item["id"] in ids:
            self.stats["op_added_twice"] += 1
            return
        at = position if isinstance(position, int) else len(ids)
        ids.insert(min(max(at, 0), len(ids)), item["id"])
        for name, v in item["fields"].items():
            self.fields[(entity, item["id"], name)] = (v["value"], v["version"])

    def _set_field(self, entity: str, item_id: int, name: str, value: Any, version: int) -> None:
        if entity in LISTS and item_id not in self.lists[entity]:
            self.stats["op_on_unknown_item"] += 1
            return
        key = (entity, item_id, name)
        known = self.fields.get(key)
        if known is not None and version < known[1]:
            self.stats["op_older_version"] += 1
            return
        if known is not None and version == known[1]:
            # Applied in seq order this cannot happen: the copy already had this version,
            # so a snapshot held changes made after its seq (live.js keeps the newer too).
            self.stats["op_version_already_known"] += 1
        self.fields[key] = (value, version)

    def _apply(self, op: dict[str, Any]) -> None:
        self.seq = op["seq"]
        self.applied[op["seq"]] = str(op.get("op_id"))
        kind = op.get("kind")
        if kind == "field":
            self._set_field(op["entity"], op["id"], op["field"], op["value"], op["version"])
        elif kind == "item_added" and op.get("entity") in LISTS:
            self._add_item(op["entity"], op["item"], op.get("position"))
        elif kind == "item_removed" and op.get("entity") in LISTS:
            entity, item_id = op["entity"], op["id"]
            if item_id in self.lists[entity]:
                self.lists[entity].remove(item_id)
            else:
                self.stats["op_removed_unknown"] += 1
            for key in [k for k in self.fields if k[0] == entity and k[1] == item_id]:
                del self.fields[key]
            for change in op.get("changes") or []:  # what pointed at it now points nowhere
                self._set_field(change["entity"], change["id"], change["field"],
                                change["value"], change["version"])
        elif kind == "item_moved" and op.get("entity") in LISTS:
            ids = self.lists[op["entity"]]
            if op["id"] in ids:
                ids.remove(op["id"])
                ids.insert(min(op["position"], len(ids)), op["id"])
            else:
                self.stats["op_moved_unknown"] += 1
        elif kind == "condition_split":
            self._add_item("action", op["item"], op.get("position"))
            self._set_field("action", op["action_id"], op["field"], op["value"], op["version"])

    # -- writing ----------------------------------------------------------------------------

    def _generate(self) -> None:
        """Make one change into the outbox, as a person would from what their screen shows."""
        if self.plan_id is None or len(self.outbox) + len(self.drafts) >= MAX_OUTBOX:
            self.stats["not_written"] += 1
            return
        if self.rng.random() < 0.76:
            if self._edit():
                return
        self._list_change()

    def _new_op(self, event: str, payload: dict[str, Any], key: Key | None = None) -> OpRecord:
        self.counter += 1
        op_id = f"{self.control.tag}-{self.n}-{self.counter}"
        payload = {"op_id": op_id, **payload}
        record = OpRecord(op_id, event, payload, self.n, time.monotonic(), key=key)
        self.ledger[op_id] = record
        self.outbox.append(record)
        if key is not None:
            self.writing.add(key)
        return record

    def _words(self) -> str:
        return f"{self.control.tag}.{self.n}.{self.counter + 1} {self.rng.choice(WORDS)}"

    def _edit(self) -> bool:
        candidates: list[tuple[Key, str]] = [
            (("plan", self.plan_id, name), kind) for name, kind in PLAN_FIELDS.items()]
        candidates.append((("meeting", self.meeting_id, "questions"), "text"))
        for entity, names in ITEM_FIELDS.items():
            for item_id in self.lists[entity]:
                candidates += [((entity, item_id, name), kind) for name, kind in names.items()]
        candidates = [(k, kind) for k, kind in candidates if k not in self.writing]
        if not candidates:
            return False
        key, kind = self.rng.choice(candidates)
        value, version = self.fields.get(key, (None if kind == "ref" else "", 0))
        self.writing.add(key)
        if kind == "ref":
            self._send_edit(key, kind, value, version)
        else:  # the person types for a moment from what they saw when they began
            self.drafts.append((time.monotonic() + self.rng.uniform(*TYPING_SECONDS),
                                key, kind, value, version))
        return True

    def _send_drafts(self, now: float) -> None:
        due = [d for d in self.drafts if d[0] <= now]
        self.drafts = [d for d in self.drafts if d[0] > now]
        for _, key, kind, value, version in due:
            self._send_edit(key, kind, value, version)

    def _send_edit(self, key: Key, kind: str, value: Any, version: int) -> None:
        if kind == "text":
            new = self._new_text(value or "")
        elif kind == "line":
            new = self._words()
        else:
            goals = [None, *self.lists["goal"]]
            new = self.rng.choice([g for g in goals if g != value] or goals)
        entity, item_id, name = key
        self._new_op("edit", {"entity": entity, "id": item_id, "field": name,
                              "base_version": version, "base": value, "value": new}, key)

    def _new_text(self, text: str) -> str:
        """Change one line of a text (so that concurrent edits of others' lines merge)."""
        lines = [line for line in text.split("\n") if line]
        r = self.rng.random()
        words = self._words()
        if r < 0.3 and lines:
            lines[self.rng.randrange(len(lines))] = words
        elif r < 0.42 and len(lines) >= 2:
            del lines[self.rng.randrange(len(lines))]
            lines.append(words)
        else:
            lines.append(words)
        while len(lines) > 6:
            lines.pop(0)
        return "\n".join(lines)

    def _list_change(self) -> None:
        entity = self.rng.choices(list(LIST_WEIGHTS), weights=list(LIST_WEIGHTS.values()))[0]
        ids = self.lists[entity]
        low, high = LIST_BOUNDS[entity]
        kind = self.rng.choice(("add", "remove", "move"))
        if kind == "add" and len(ids) >= high:
            kind = "remove"
        if kind == "remove" and len(ids) <= low:
            kind = "add"
        if kind == "move" and len(ids) < 2:
            kind = "add"
        words = self._words()
        if kind == "add":
            values: dict[str, Any] = {
                "goal": {"kind": self.rng.choice(("short", "long")), "text": f"Mål {words}"},
                "action": {"what": f"Åtgärd {words}", "responsible": words,
                           "goal_id": self.rng.choice([None, *self.lists["goal"]])},
                "consent": {"given_by": words, "information": f"Uppgifter {words}"},
            }[entity]
            self._new_op("add_item", {"entity": entity, "values": values})
        elif kind == "remove":
            self._new_op("remove_item", {"entity": entity, "id": self.rng.choice(ids)})
        else:
            item_id = self.rng.choice(ids)
            others = [p for p in range(len(ids)) if p != ids.index(item_id)]
            self._new_op("move_item", {"entity": entity, "id": item_id,
                                       "position": self.rng.choice(others)})

    # -- the outbox -------------------------------------------------------------------------

    def _flush_one(self) -> None:
        assert self.conn is not None
        record = self.outbox[0]
        self.bucket.take()
        waiter = self.conn.emit(record.event, record.payload)
        record.sends += 1
        sent = time.monotonic()
        answer = waiter.wait(ACK_TIMEOUT)
        if answer is None:
            if not self.conn.closed.is_set():
                self.stats["answer_timeouts"] += 1
                self.conn.drop()
            return
        self.answer_ms.append((time.monotonic() - sent) * 1000)
        self._answered(record, answer)

    def _answered(self, record: OpRecord, answer: dict[str, Any]) -> None:
        record.answers.append(answer)
        if self.outbox and self.outbox[0] is record:
            self.outbox.pop(0)
        if record.key is not None:
            self.writing.discard(record.key)
        if answer.get("duplicate"):
            self.stats["resend_recognised"] += 1

    def _drop(self) -> None:
        """Lose the connection, often with a change on its way whose answer is then lost."""
        assert self.conn is not None
        record = waiter = None
        if self.rng.random() < 0.6:
            if not self.outbox:
                self._generate()
            if self.outbox:
                record = self.outbox[0]
                self.bucket.take()
                waiter = self.conn.emit(record.event, record.payload)
                record.sends += 1
                time.sleep(self.rng.uniform(0, 0.02))
        self.conn.drop()
        if record is not None and waiter is not None:
            if waiter.answer is not None:
                self._answered(record, waiter.answer)
            else:
                self.stats["dropped_in_flight"] += 1
        self.stats["drops"] += 1
        self._lost()
        self.offline_until = time.monotonic() + self.rng.uniform(0.05, 0.8)
        if self.rng.random() < RELOAD_SHARE:
            # The page is reloaded: it starts from a snapshot, its outbox and typing kept
            # (live.js keeps them in localStorage).
            self.seq = None
            self.pending.clear()
            self.stats["reloads"] += 1


def _reason(error: Exception) -> str:
    text = str(error).lower()
    if "refused" in text or "failed to connect" in text or "connection error" in text:
        return "unreachable"
    if "forbidden" in text or "too_many" in text or "limit" in text:
        return "refused"
    return type(error).__name__
