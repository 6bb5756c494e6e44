"""The load side of bench/live_latency.py: one process driving many participants over asyncio.

The parent paces every load process through its pipe: each joins its participants and says
"ready", receives the Schedule, writes and receives until the window and the drain are over,
sends its Tally back as "done", and leaves when the parent says "stop".
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from _live_client import Job, JoinError, Member, Schedule, Tally, Writer, describe, now_ns


class Room:
    """The participants of one meeting; the first writes, the others receive.

    With several server processes the participants are spread over them on purpose, the
    n-th of meeting m on process (m + n) mod N: every meeting then has readers on the
    writer's process and on the others, and the writers themselves are spread too.
    """

    def __init__(self, job: Job, meeting: dict, tally: Tally) -> None:
        count, first = len(job.urls), meeting["meeting_id"]
        self.writer = Writer(job, meeting, tally, first % count)
        self.readers = [Member(job, first, token, tally, (first + position) % count)
                        for position, token in enumerate(meeting["tokens"][1:], start=1)]
        self.members: list[Member] = [self.writer, *self.readers]

    def expected(self, elsewhere: bool = False) -> int:
        """Return how many receipts the acknowledged, measured edits call for (only those of
        readers on another process than the writer's, if `elsewhere`)."""
        return len(self.writer.acked) * len(self._readers(elsewhere))

    def latencies(self, elsewhere: bool = False) -> list[int]:
        """Return the latency of every receipt of an acknowledged, measured edit."""
        return [reader.received[op_id] for op_id in self.writer.acked
                for reader in self._readers(elsewhere) if op_id in reader.received]

    def _readers(self, elsewhere: bool) -> list[Member]:
        if not elsewhere:
            return self.readers
        return [reader for reader in self.readers if reader.process != self.writer.process]


class Worker:
    """One load process: joins its participants, waits for the schedule, drives, reports."""

    def __init__(self, job: Job, conn: Connection) -> None:
        self.job = job
        self.conn = conn
        self.tally = Tally()
        self.rooms = [Room(job, meeting, self.tally) for meeting in job.meetings]
        self.members = [member for room in self.rooms for member in room.members]
        self.tally.connections = len(self.members)

    async def run(self) -> None:
        """Go through the phases the parent process paces."""
        # One HTTP session carries every socket of this process; closing it at the end closes
        # whatever a slow server left open. Cookies travel as headers, never in a jar.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         cookie_jar=aiohttp.DummyCookieJar()) as http:
            await self.join_all(http)
            self.conn.send(("ready", {"connected": self.tally.connected,
                                      "join_errors": dict(self.tally.join_errors)}))
            schedule = await self.receive()
            if isinstance(schedule, Schedule):
                with collector_paused():
                    await self.drive(schedule)
                self.conn.send(("done", self.results()))
                # Leave only when the parent says every process is done: the server's work
                # for hundreds of goodbyes would otherwise delay the edits others still time.
                await self.receive()
            await self.leave_all()

    async def join_all(self, http: aiohttp.ClientSession) -> None:
        """Join every participant, a few at a time as a ramp, counting failures by cause."""
        gate = asyncio.Semaphore(self.job.connect_concurrency)

        async def join(member: Member) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(member.join(http), self.job.timeout * 2)
                except Exception as exc:  # counted and reported; one failure must not stop all
                    self.tally.join_errors[str(exc) if isinstance(exc, JoinError)
                                           else describe(exc)] += 1
                else:
                    self.tally.connected += 1

        await asyncio.gather(*(join(member) for member in self.members))

    async def receive(self) -> object:
        """Wait for the parent's next message without blocking the event loop."""
        try:
            while not await asyncio.to_thread(self.conn.poll, 0.5):
                pass
            return self.conn.recv()
        except (EOFError, OSError):  # the parent has gone
            return None

    async def drive(self, schedule: Schedule) -> None:
        """Write until the window closes, then wait for the last receipts or the drain limit."""
        writers = [room.writer for room in self.rooms if room.writer.joined]
        await asyncio.gather(*(writer.write(schedule) for writer in writers))
        while now_ns() < schedule.drain_until:
            if sum(len(room.latencies()) for room in self.rooms) >= self.expected():
                break
            await asyncio.sleep(0.05)

    def expected(self) -> int:
        """Return the receipts this process expects."""
        return sum(room.expected() for room in self.rooms)

    def results(self) -> dict[str, Any]:
        """Return the tally as plain data for the parent."""
        tally = self.tally
        tally.latencies_ns = [ns for room in self.rooms for ns in room.latencies()]
        tally.delivered = len(tally.latencies_ns)
        tally.expected = self.expected()
        tally.cross_expected = sum(room.expected(elsewhere=True) for room in self.rooms)
        tally.cross_delivered = sum(len(room.latencies(elsewhere=True)) for room in self.rooms)
        data = dict(vars(tally))
        for key in ("join_errors", "ack_errors"):
            data[key] = dict(data[key])
        return data

    async def leave_all(self) -> None:
        """Disconnect everyone, bounded in time."""
        leaving = [member.leave() for member in self.members if member.sio is not None]
        try:
            await asyncio.wait_for(asyncio.gather(*leaving, return_exceptions=True), 10)
        except TimeoutError:
            pass


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep this process's garbage collector out of the timings while the edits run.

    Each participant stands for a device of its own; one process holding hundreds of them
    grows a heap that no phone has, and a full collection of it (80-140 ms at 480
    participants) stopped every reader of the process at once and was timed as latency.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def run_worker(job: Job, conn: Connection) -> None:
    """Entry point of a load process."""
    if job.cpus:
        os.sched_setaffinity(0, job.cpus)
    try:
        asyncio.run(Worker(job, conn).run())
    except KeyboardInterrupt:
        pass
    finally:
        conn.close()
