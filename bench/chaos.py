"""Prove under faults that no acknowledged change to a live plan is lost, doubled or diverges.

python bench/chaos.py [--duration 240] [--kills 4] [--clients 20] [--database sqlite|postgresql]
                      [--rate 25] [--processes 2 [--redis-url URL]] [--json]

Starts the real server (`sip-meeting serve`, the demo seeded, on SQLite or on a fresh
PostgreSQL database of its own), lets the chair start the meeting and admit everyone, then
runs N devices (threads, each a browser tab of a participant, up to four tabs per participant)
that edit about thirty shared fields, add, remove and move goals, actions and consents at R
changes a second in all, each through an outbox like the browser's (bench/_chaos_client.py).
Meanwhile every device drops its connection abruptly every 2-4 s (often with a change on its
way) and the server is SIGKILLed and restarted K times. At the end every outbox drains, every
device catches up, and the database is read directly and compared with what every device was
told (bench/_chaos_check.py). Prints the counts; with --json the last line is one JSON object.
Exit status 0 when nothing was lost, duplicated, divergent or out of sequence, 1 otherwise,
2 when the run itself could not be made. Only 127.0.0.1 is contacted; every phase has a time
limit; the server, the folder and the database are removed at the end.

With --processes N (use PostgreSQL) N server processes of one deployment share the database
and a Redis channel of their own, as the README's deployment section runs them: each device
has a process of its own and goes to the next one when its own does not answer, as a proxy's
sticky routing does, and each kill takes one process down in turn while the others go on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "bench", ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _chaos_check import Verdict, evaluate, read_database, state_of  # noqa: E402
from _chaos_client import Connection, Device  # noqa: E402
from live_server import LiveServer  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEVICES_PER_PARTICIPANT = 4  # the server allows five sockets a participant: one spare
# With several processes a killed one's sockets still count until the others take it for dead
# (LIVE_SERVER_STALE_SECONDS): a device may then hold two, so each participant has two devices.
DEVICES_PER_PARTICIPANT_SEVERAL = 2
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SETUP_SECONDS = 120
START_SECONDS = 60  # a server process starts in 1-2 s, in 5-10 s on a machine busy elsewhere
FINAL_SECONDS = 30
FAILURES = ("lost", "duplicates", "divergent", "phantom_ops", "ids_reused", "undrained",
            "device_errors")  # and seq_contiguous false


@dataclass
class Options:
    """What a run does; the defaults are the command's."""

    duration: float = 60.0
    kills: int = 2
    clients: int = 20
    database: str = "sqlite"
    rate: float = 25.0
    drop_every: tuple[float, float] = (2.0, 4.0)
    drain: float = 60.0
    quiet_points: int = 2  # pauses in the load to check the database (and the end's look)
    seed: int | None = None
    pg_url: str | None = None
    workdir: Path | None = None  # kept; without it a temporary folder is made and removed
    events_per_second: float = 10.0  # per device, half the server's limit
    events_burst: float = 15.0
    processes: int = 1  # server processes; more than one share a Redis channel
    redis_url: str | None = None  # default SIP_MEETING_TEST_REDIS_URL, else 127.0.0.1:6379/0


@dataclass
class Control:
    """What every device reads: where the server is, the phase and the limits."""

    url: str
    meeting_id: int
    seed: int
    tag: str
    rate_per_device: float
    drop_every: tuple[float, float]
    events_per_second: float
    events_burst: float
    hard_deadline: float
    phase: str = "start"  # start, load, drain, final, done
    quiet: int = 0  # the number of the quiet moment being made (drain, final)
    urls: list[str] = field(default_factory=list)  # every server process, with several


@dataclass
class Faults:
    """What the run did to the server, and how long its parts took."""

    kills: int = 0
    restart_seconds: list[float] = field(default_factory=list)
    drain_seconds: list[float] = field(default_factory=list)
    looks_skipped: int = 0
    load_seconds: float = 0.0


class RunError(RuntimeError):
    """The run could not be made (the server or the database would not start)."""


# -- the database -----------------------------------------------------------------------------

def create_pg_database(base_url: str) -> tuple[str, str]:
    """Create a fresh PostgreSQL database next to base_url's; return its URL and name."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sip_chaos_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False), name


def drop_pg_database(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# -- setting the meeting up -------------------------------------------------------------------

def chair_cookie(server: LiveServer) -> str:
    """Log the demo chair in through the login form; return the session cookie."""
    with requests.Session() as http:
        page = http.get(f"{server.url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        http.post(f"{server.url}/login", timeout=10, data={
            "csrf_token": token, "email": server.chair_email,
            "password": server.chair_password})
        return _cookie(http)


def device_cookie(link: str) -> str:
    """Open a join link as a new browser does; return that browser's session cookie."""
    with requests.Session() as http:
        http.get(link, allow_redirects=False, timeout=10)
        return _cookie(http)


def _cookie(http: requests.Session) -> str:
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


def add_participants(server: LiveServer, database_url: str, instance: Path, count: int,
                     ) -> dict[str, str]:
    """Invite more writers to the demo meeting (before the server starts); return their links."""
    from sip_meeting import create_app, planning
    from sip_meeting.db import atomic, get_engine
    from sip_meeting.models import Meeting

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "chaos", "TESTING": True,
                      "INSTANCE_PATH": str(instance), "SOCKETIO_ASYNC_MODE": "threading"})
    links = {}
    with app.app_context():
        with atomic() as session:
            meeting = session.get(Meeting, server.meeting_id)
            for n in range(count):
                name = f"Deltagare {n + 1}"
                person = planning.add_participant(session, meeting.chair, meeting, name=name,
                                                  role="professional", principal="region")
                links[name] = f"{server.url}/j/{planning.issue_link(session, None, person)}"
        get_engine().dispose()
    return links


def open_meeting(server: LiveServer) -> dict[str, Any]:
    """The chair starts the meeting and admits every participant; return the seed state."""
    conn = Connection(lambda op: None)
    try:
        conn.connect(server.url, chair_cookie(server), server.meeting_id, "console")
        state = _ask(conn, "sync", {"last_seq": None})["snapshot"]
        if state["meeting"]["status"] != "live":
            _ask(conn, "start", {"op_id": f"chaos-start-{secrets.token_hex(3)}"}, True)
        for person in state["participants"]:
            if not person.get("admitted"):
                _ask(conn, "admit", {"op_id": f"chaos-admit-{secrets.token_hex(3)}",
                                     "participant_id": person["id"]}, True)
        snapshot = _ask(conn, "sync", {"last_seq": None})["snapshot"]
    finally:
        conn.close()
    fields, lists = state_of(snapshot)
    return {"seq": snapshot["seq"], "fields": fields, "lists": lists}


def _ask(conn: Connection, event: str, payload: dict[str, Any], must: bool = False) -> dict:
    answer = conn.emit(event, payload).wait(10)
    if answer is None or (must and not answer.get("ok")) or "ok" not in answer:
        raise RunError(f"the chair's {event} failed: {answer}")
    return answer


# -- the run ----------------------------------------------------------------------------------

def run(options: Options, progress: Any = None) -> dict[str, Any]:
    """Make one fault-injection run and return its report (see _chaos_check.evaluate)."""
    say = progress or (lambda text: None)
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    started = time.monotonic()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="sip-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    base_pg = pg_name = None
    servers: list[LiveServer] = []
    channel = f"sip-chaos-{secrets.token_hex(6)}"
    redis_url = None
    devices: list[Device] = []
    control: Control | None = None
    try:
        if options.database == "postgresql":
            base_pg = options.pg_url or os.environ.get("SIP_MEETING_TEST_DATABASE_URL") \
                or DEFAULT_PG_URL
            url, pg_name = create_pg_database(base_pg)
        elif options.database == "sqlite":
            url = f"sqlite:///{workdir / 'chaos.sqlite'}"
        else:
            raise RunError(f"unknown database {options.database!r}")
        instance = workdir / "instance"
        say(f"seeding the demo on {options.database}")
        env = {}
        if options.processes > 1:
            redis_url = options.redis_url or os.environ.get("SIP_MEETING_TEST_REDIS_URL") \
                or DEFAULT_REDIS_URL
            env = {"SIP_MEETING_SOCKETIO_MESSAGE_QUEUE": redis_url,
                   "SIP_MEETING_SOCKETIO_CHANNEL": channel,
                   "SIP_MEETING_RATELIMIT_STORAGE_URI": redis_url,
                   "SIP_MEETING_RATELIMIT_KEY_PREFIX": channel}
        server = LiveServer(instance, database_url=url, env=env)
        servers = [server] + [LiveServer.beside(server) for _ in range(options.processes - 1)]
        per_participant = DEVICES_PER_PARTICIPANT if options.processes == 1 \
            else DEVICES_PER_PARTICIPANT_SEVERAL
        links = list(server.join_links.values())
        missing = math.ceil(options.clients / per_participant) - len(links)
        if missing > 0:
            links += list(add_participants(server, url, instance, missing).values())
        for each in servers:
            _start(each, "the server did not start")
        seed_state = open_meeting(server)
        per_device = options.rate / max(options.clients, 1)
        control = Control(
            url=server.url, meeting_id=server.meeting_id, seed=seed,
            tag=secrets.token_hex(2), rate_per_device=per_device,
            drop_every=options.drop_every, events_per_second=options.events_per_second,
            events_burst=options.events_burst, urls=[s.url for s in servers],
            hard_deadline=time.monotonic() + SETUP_SECONDS + options.duration
            + (options.quiet_points + 1) * (options.drain + FINAL_SECONDS))
        devices = [Device(n, control, device_cookie(links[n % len(links)]))
                   for n in range(options.clients)]
        for device in devices:
            device.start()
        _wait_all([d.ready for d in devices], 60)
        if not all(d.ready.is_set() for d in devices):
            raise RunError(f"{sum(not d.ready.is_set() for d in devices)} devices never "
                           f"caught up: {_device_stats(devices)}")

        say(f"load: {options.clients} devices, {options.rate}/s, {options.kills} kills, "
            f"{options.duration:.0f} s")
        faults = Faults()
        verdict = Verdict()

        def look(final: bool) -> dict[str, Any]:
            """Pause the load, let everything settle, and check the database."""
            control.quiet += 1
            control.phase = "drain"
            begun = time.monotonic()
            settled = _wait_for(lambda: all(d.drained_for == control.quiet for d in devices),
                                options.drain)
            faults.drain_seconds.append(time.monotonic() - begun)
            control.phase = "final"
            settled = _wait_for(lambda: all(d.final_for == control.quiet for d in devices),
                                FINAL_SECONDS) and settled
            if not settled and not final:
                faults.looks_skipped += 1  # something still in flight: no fair verdict now
                return {}
            label = "end" if final else f"quiet point {control.quiet}"
            say(f"{label}: comparing with the database")
            db = read_database(url, server.meeting_id)
            records = [r for d in devices for r in list(d.ledger.values())]
            return evaluate(records, devices, seed_state, db, verdict, label, final)

        _inject(servers, options, faults, rng, control, say, look)
        load_seconds = faults.load_seconds
        say("draining every outbox")
        report = look(final=True)
        final_synced = sum(d.final_for == control.quiet for d in devices)
        control.phase = "done"
        for device in devices:
            device.join(timeout=10)
        report.update(verdict.counts())
        stats = _device_stats(devices)
        output = "\n".join(each.output() for each in servers)
        report.update(
            database=options.database, processes=options.processes,
            clients=options.clients, rate=options.rate,
            duration=round(load_seconds, 1),
            drain_seconds=[round(s, 1) for s in faults.drain_seconds],
            looks_skipped=faults.looks_skipped,
            wall_seconds=round(time.monotonic() - started, 1), seed=seed,
            kills=faults.kills, restart_seconds=[round(s, 2) for s in faults.restart_seconds],
            drops=stats.get("drops", 0), dropped_in_flight=stats.get("dropped_in_flight", 0),
            reconnects=stats.get("connects", 0) - options.clients,
            snapshot_syncs=stats.get("snapshot_syncs", 0),
            catch_up_syncs=stats.get("catch_up_syncs", 0), gaps=stats.get("gaps", 0),
            answer_timeouts=stats.get("answer_timeouts", 0),
            final_incremental=sum(d.final_incremental and d.final_for == control.quiet
                                  for d in devices),
            final_synced=final_synced,
            device_errors=sum(d.error is not None for d in devices),
            **_answer_times(devices),
            device_stats=stats,
            server_errors=server_errors(output),
        )
        report["server_tracebacks"] = sum(report["server_errors"].values())
        if report["device_errors"]:
            report["examples"]["device_errors"] = [
                f"device {d.n}: {d.error}" for d in devices if d.error][:8]
        if report["server_tracebacks"]:
            at = output.find("Traceback (most recent call last)")
            report["examples"]["server_traceback"] = [output[at:at + 1500]]
        report["ok"] = report["seq_contiguous"] and not any(report[k] for k in FAILURES)
        return report
    finally:
        if control is not None:
            control.phase = "done"
        for device in devices:
            device.join(timeout=5)
        for each in servers:
            each.stop(hard=True)
        if redis_url is not None:
            _forget_redis_keys(redis_url, channel)
        if pg_name is not None:
            drop_pg_database(base_pg, pg_name)
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _forget_redis_keys(redis_url: str, prefix: str) -> None:
    """Remove what the run's processes kept in Redis (the login limit's counters)."""
    import redis

    try:
        with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
            keys = list(client.scan_iter(match=f"*{prefix}*", count=500))
            if keys:
                client.delete(*keys)
    except redis.RedisError:
        pass  # they expire by themselves


def _inject(servers: list[LiveServer], options: Options, faults: Faults, rng: random.Random,
            control: Control, say: Any, look: Any) -> None:
    """Run the load: kill and restart a server process K times, look at quiet points between.

    With several processes the kills take each down in turn while the others go on.

    Kills fall at (i+1)/(K+1) of the load (give or take a fifth of the gap between two),
    quiet points at (j+1/2)/Q; the time a quiet point takes does not count as load.
    """
    gap = options.duration / (options.kills + 1)
    events = [(gap * (i + 1) + rng.uniform(-0.2, 0.2) * gap, "kill")
              for i in range(options.kills)]
    quiet = options.quiet_points
    events += [(options.duration * (j + 0.5) / quiet, "look") for j in range(quiet)]
    events.append((options.duration, "end"))
    control.phase = "load"
    begun, paused = time.monotonic(), 0.0
    for at, what in sorted(events):
        time.sleep(max(0.0, begun + paused + at - time.monotonic()))
        if what == "kill":
            down = time.monotonic()
            server = servers[faults.kills % len(servers)]
            server.stop(hard=True)  # SIGKILL: whatever was in flight is cut off
            faults.kills += 1
            time.sleep(rng.uniform(0.1, 1.0))
            _start(server, f"the server did not come back after kill {faults.kills}")
            faults.restart_seconds.append(time.monotonic() - down)
            which = f" (process {servers.index(server) + 1})" if len(servers) > 1 else ""
            say(f"kill {faults.kills}{which}: back after {faults.restart_seconds[-1]:.1f} s")
        elif what == "look":
            stopped = time.monotonic()
            look(final=False)
            paused += time.monotonic() - stopped
            control.phase = "load"
    faults.load_seconds = time.monotonic() - begun - paused


def _answer_times(devices: list[Device]) -> dict[str, float]:
    """How long changes waited for their answers (send to answer, on a live connection)."""
    times = sorted(t for d in devices for t in d.answer_ms)
    if not times:
        return {}
    def at(share: float) -> float:
        return round(times[min(len(times) - 1, int(share * len(times)))], 1)
    return {"answer_ms_p50": at(0.5), "answer_ms_p99": at(0.99), "answer_ms_max": at(1.0)}


def _start(server: LiveServer, failure: str) -> None:
    try:
        server.start(timeout=START_SECONDS)
    except RuntimeError as error:
        raise RunError(f"{failure}: {server.output()[-1500:]}") from error


def _wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def server_errors(output: str) -> dict[str, int]:
    """Count the server's tracebacks by their last line (a chained one counts once)."""
    found: Counter[str] = Counter()
    lines = output.splitlines()
    for n, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        end = n + 1
        while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
            end += 1
        last = lines[end] if end < len(lines) else "?"
        chained = any(following.startswith(("The above exception", "During handling"))
                      for following in lines[end + 1:end + 5])
        if not chained:
            found[last[:200]] += 1
    return dict(found.most_common())


def _wait_all(events: list[threading.Event], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for event in events:
        event.wait(max(0.0, deadline - time.monotonic()))


def _device_stats(devices: list[Device]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for device in devices:
        total.update(device.stats)
    return dict(sorted(total.items()))


# -- the command ------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds of load and faults (default 60)")
    parser.add_argument("--kills", type=int, default=2,
                        help="times the server is SIGKILLed and restarted (default 2)")
    parser.add_argument("--clients", type=int, default=20, help="devices (default 20)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=None,
                        help="a PostgreSQL server to create the run's database on (default "
                             "SIP_MEETING_TEST_DATABASE_URL, else postgres@127.0.0.1:5432)")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes sharing the database and a Redis channel (1)")
    parser.add_argument("--redis-url", default=None,
                        help="the Redis of several processes (default "
                             "SIP_MEETING_TEST_REDIS_URL, else redis://127.0.0.1:6379/0)")
    parser.add_argument("--rate", type=float, default=25.0,
                        help="changes a second, all devices together (default 25)")
    parser.add_argument("--drop-every", default="2-4",
                        help="seconds between a device's drops, as MIN-MAX; 0 for none")
    parser.add_argument("--drain", type=float, default=60.0,
                        help="longest wait for every outbox to empty (default 60 s)")
    parser.add_argument("--quiet-points", type=int, default=2,
                        help="pauses in the load to check the database as at the end (2)")
    parser.add_argument("--seed", type=int, default=None, help="the devices' random seed")
    parser.add_argument("--keep", type=Path, default=None,
                        help="a folder to run in and keep (the server's log, SQLite's file)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    return parser.parse_args(argv)


def _drop_every(text: str) -> tuple[float, float]:
    if text.strip() in ("0", ""):
        return (0.0, 0.0)
    low, _, high = text.partition("-")
    return (float(low), float(high or low))


def print_report(report: dict[str, Any]) -> None:
    refused = ", ".join(f"{k} {v}" for k, v in report["refused"].items()) or "none"
    lines = [
        f"database {report['database']}, {report['processes']} server process"
        f"{'es' if report['processes'] > 1 else ''}, {report['clients']} devices, "
        f"{report['duration']} s "
        f"of load at {report['rate']}/s (seed {report['seed']})",
        f"  kills {report['kills']} (back after {report['restart_seconds']} s), drops "
        f"{report['drops']} ({report['dropped_in_flight']} with a change in flight), "
        f"reconnects {report['reconnects']}",
        f"  sent {report['sent']} {report['sent_by_kind']}, resends {report['resends']}",
        f"  acknowledged {report['acked']} {report['acked_by_kind']} (merged "
        f"{report['merged']}, unchanged {report['unchanged']}, resends recognised "
        f"{report['resend_recognised']})",
        f"  refused {refused}; undrained {report['undrained']}",
        f"  answers p50 {report.get('answer_ms_p50')} ms, p99 {report.get('answer_ms_p99')} ms, "
        f"max {report.get('answer_ms_max')} ms; reloads {report['device_stats'].get('reloads', 0)}",
        f"  syncs: catch-up {report['catch_up_syncs']}, snapshot {report['snapshot_syncs']}, "
        f"gaps {report['gaps']}, answer timeouts {report['answer_timeouts']}, final "
        f"incremental {report['final_incremental']}/{report['final_synced']}",
        f"  LOST {report['lost']}  DUPLICATES {report['duplicates']}  DIVERGENT "
        f"{report['divergent']}  phantom ops {report['phantom_ops']}  ids reused "
        f"{report['ids_reused']}",
        f"  seq 1..{report['seq']} contiguous: {report['seq_contiguous']}; looks at the "
        f"database {report['looks']} (skipped {report['looks_skipped']}), drained in "
        f"{report['drain_seconds']} s; server tracebacks {report['server_tracebacks']} "
        f"{report['server_errors'] or ''}; {report['wall_seconds']} s in all",
    ]
    for kind, texts in report["examples"].items():
        lines.append(f"  {kind}:")
        lines += [f"    {t}" for t in texts]
    lines.append("OK" if report["ok"] else "FAILED")
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(duration=args.duration, kills=args.kills, clients=args.clients,
                      database=args.database, rate=args.rate,
                      drop_every=_drop_every(args.drop_every), drain=args.drain,
                      quiet_points=args.quiet_points, processes=args.processes,
                      redis_url=args.redis_url, seed=args.seed, pg_url=args.pg_url,
                      workdir=args.keep)
    try:
        report = run(options, progress=lambda text: print(text, file=sys.stderr, flush=True))
    except (RunError, OSError) as error:
        print(f"the run could not be made: {error}", file=sys.stderr)
        return 2
    print_report(report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
