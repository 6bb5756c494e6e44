"""Participants of bench/live_latency.py as Socket.IO clients, and what the processes share.

Every participant joins like a browser (its join link, then the session cookie on the
socket), on the server process the meeting's spread gives it. In each meeting the first
participant edits the plan's strengths at a fixed rate; everyone receives the broadcast
``op`` and times it from the send. Send times travel in the op_id as CLOCK_MONOTONIC
nanoseconds, a clock every process on the machine shares.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from _live_socket import LiveSocket, SocketError

NAMESPACE = "/live"
OP_PREFIX = "bench"
STRENGTHS = ("Hen är nyfiken och envis, tycker om musik och att bygga med lego. Hen har en god "
             "vän i klassen och tycker om att vara ute i naturen med familjen. ")


@dataclass
class Job:
    """What one load process is given: the servers and its share of the meetings."""

    urls: list[str]  # one per server process; a meeting's participants are spread over them
    meetings: list[dict]
    rate: float
    value_chars: int = 200
    connect_concurrency: int = 16
    timeout: float = 15.0
    cpus: tuple[int, ...] = ()  # cores this load process keeps to; () = wherever it runs


@dataclass
class Schedule:
    """Shared instants on CLOCK_MONOTONIC, in nanoseconds."""

    start_at: int
    measure_from: int
    measure_until: int
    drain_until: int

    def measured(self, sent_at: int) -> bool:
        """Tell whether an edit sent at this instant belongs to the measurement."""
        return self.measure_from <= sent_at < self.measure_until


@dataclass
class Tally:
    """What one load process counted; merged by the parent."""

    connections: int = 0
    connected: int = 0
    join_errors: Counter = field(default_factory=Counter)
    sent: int = 0
    skipped: int = 0
    acks: int = 0
    ack_errors: Counter = field(default_factory=Counter)
    ack_ns: list[int] = field(default_factory=list)
    latencies_ns: list[int] = field(default_factory=list)
    expected: int = 0
    delivered: int = 0
    seq_gaps: int = 0
    disconnects: int = 0
    duplicates: int = 0  # an op one participant received twice
    out_of_order: int = 0  # an op whose seq was not above the last one the participant saw
    cross_expected: int = 0  # receipts due to participants on another process than the writer
    cross_delivered: int = 0


def now_ns() -> int:
    """Return CLOCK_MONOTONIC in nanoseconds (system-wide on Linux, unlike perf_counter)."""
    return time.monotonic_ns()


async def sleep_until(instant: int) -> None:
    """Sleep until a CLOCK_MONOTONIC instant in nanoseconds."""
    delay = (instant - now_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


def op_sent_at(op_id: object) -> int | None:
    """Return the send instant embedded in one of this benchmark's op_ids."""
    if not isinstance(op_id, str) or not op_id.startswith(OP_PREFIX):
        return None
    try:
        return int(op_id.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return None


def strengths_text(number: int, chars: int) -> str:
    """Return a realistic text of about `chars` characters that differs for every number."""
    suffix = f" (ändring {number})"
    body = (STRENGTHS * (chars // len(STRENGTHS) + 1))[: max(chars - len(suffix), 0)]
    return body + suffix


async def fetch_cookie(http: aiohttp.ClientSession, url: str, token: str) -> str:
    """Open a join link as a browser would and return the Cookie header it earned."""
    async with http.get(f"{url}/j/{token}", allow_redirects=False) as response:
        if response.status not in (301, 302, 303, 307):
            raise JoinError(f"join link answered {response.status}")
        cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in response.cookies.items())
    if not cookies:
        raise JoinError("join link set no cookie")
    return cookies


class JoinError(RuntimeError):
    """A participant could not join; the message is counted, not shown per connection."""


def describe(exc: BaseException) -> str:
    """Return a short, countable description of a failure."""
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:160]


class Member:
    """One participant's socket: it joins, syncs and notes when each benchmark op arrives."""

    def __init__(self, job: Job, meeting_id: int, token: str, tally: Tally,
                 process: int = 0) -> None:
        self.job = job
        self.meeting_id = meeting_id
        self.token = token
        self.tally = tally
        self.process = process  # the server process this participant connects to
        self.url = job.urls[process]
        self.sio: LiveSocket | None = None
        self.joined = False
        self.leaving = False
        self.last_seq: int | None = None
        self.snapshot: dict[str, Any] = {}
        self.received: dict[str, int] = {}  # op_id -> latency in nanoseconds

    async def join(self, http: aiohttp.ClientSession) -> None:
        """Open the join link, connect to /live with the session cookie, then sync."""
        cookie = await fetch_cookie(http, self.url, self.token)
        headers = {"Cookie": cookie, "Origin": self.url}
        self.sio = LiveSocket(NAMESPACE, self.job.timeout)
        self.sio.handlers["op"] = self.on_op
        self.sio.on_close = self.on_disconnect
        try:
            await self.sio.connect(http, self.url, headers,
                                   auth={"meeting": self.meeting_id, "view": "device"})
        except SocketError as exc:
            raise JoinError(str(exc)) from exc
        await self.sync()
        self.joined = True

    async def sync(self) -> None:
        """Ask for the snapshot, as the page does right after connecting."""
        answer = await self.sio.call("sync", {"last_seq": None})
        if not isinstance(answer, dict) or not answer.get("ok"):
            code = answer.get("code") if isinstance(answer, dict) else answer
            raise JoinError(f"sync refused: {code}")
        self.snapshot = answer.get("snapshot") or {}
        if self.snapshot.get("lobby"):
            raise JoinError("sync answered with the lobby: participant not admitted")
        self.last_seq = answer.get("seq")

    def on_op(self, op: dict[str, Any]) -> None:
        """Time a benchmark op on arrival; count holes, repeats and ops out of order."""
        received_at = now_ns()
        seq = op.get("seq")
        if isinstance(seq, int) and isinstance(self.last_seq, int):
            if seq > self.last_seq + 1:
                self.tally.seq_gaps += 1
            elif seq <= self.last_seq:
                self.tally.out_of_order += 1
            self.last_seq = max(self.last_seq, seq)
        sent_at = op_sent_at(op.get("op_id"))
        if sent_at is not None:
            if op["op_id"] in self.received:
                self.tally.duplicates += 1
            else:
                self.received[op["op_id"]] = received_at - sent_at

    def on_disconnect(self, *_reason: Any) -> None:
        """Count disconnections the benchmark did not ask for."""
        if not self.leaving:
            self.tally.disconnects += 1

    async def leave(self) -> None:
        """Disconnect without counting it as a failure."""
        self.leaving = True
        if self.sio is not None:
            await self.sio.close()


class Writer(Member):
    """The participant who edits the plan's strengths, waiting for each acknowledgement."""

    def __init__(self, job: Job, meeting: dict, tally: Tally, process: int = 0) -> None:
        super().__init__(job, meeting["meeting_id"], meeting["tokens"][0], tally, process)
        self.plan_id = meeting["plan_id"]
        self.version = 0
        self.value = ""
        self.acked: list[str] = []

    async def sync(self) -> None:
        """Sync, then start from the stored text and its version."""
        await super().sync()
        strengths = self.snapshot.get("plan", {}).get("fields", {}).get("strengths", {})
        self.version = strengths.get("version", 0)
        self.value = strengths.get("value", "")

    async def write(self, schedule: Schedule) -> None:
        """Edit at the job's rate from start_at until measure_until, never two at once."""
        period = int(1e9 / self.job.rate)
        # Spread the meetings over the period so their edits do not arrive in bursts.
        next_at = schedule.start_at + int((self.meeting_id * 0.6180339887) % 1 * period)
        number = 0
        while next_at < schedule.measure_until:
            await sleep_until(next_at)
            await self.edit(number, schedule)
            number += 1
            next_at += period
            behind = now_ns() - next_at
            if behind > period:  # an acknowledgement took longer than a period: skip, no burst
                self.tally.skipped += behind // period
                next_at += behind // period * period

    async def edit(self, number: int, schedule: Schedule) -> None:
        """Send one edit based on the last acknowledged version and settle its answer."""
        sent_at = now_ns()
        op_id = f"{OP_PREFIX}-{self.meeting_id}-{number}-{sent_at}"
        value = strengths_text(number, self.job.value_chars)
        payload = {"op_id": op_id, "entity": "plan", "id": self.plan_id, "field": "strengths",
                   "base_version": self.version, "base": self.value, "value": value}
        self.tally.sent += 1
        try:
            answer = await self.sio.call("edit", payload)
        except SocketError as exc:
            self.tally.ack_errors[type(exc).__name__] += 1
            return
        ack_ns = now_ns() - sent_at
        if not isinstance(answer, dict) or not answer.get("ok"):
            self.refuse(answer)
            return
        self.version = answer.get("version", self.version + 1)
        self.value = value
        if schedule.measured(sent_at):
            self.tally.acks += 1
            self.tally.ack_ns.append(ack_ns)
            self.acked.append(op_id)

    def refuse(self, answer: Any) -> None:
        """Count a refused edit; after a conflict, go on from the stored text."""
        code = answer.get("code", "unknown") if isinstance(answer, dict) else "malformed"
        self.tally.ack_errors[code] += 1
        if code == "conflict":
            self.version = answer.get("version", self.version)
            self.value = answer.get("theirs", self.value)
