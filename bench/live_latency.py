"""Measure how fast a live edit reaches the other participants of a meeting.

python bench/live_latency.py --meetings N --participants M --rate R --duration S [--json]
    [--processes P --redis-url redis://…] [--database sqlite|postgresql]

Starts the real server (`sip-meeting serve`, production mode, a fresh instance folder and
database) with N live meetings of M admitted participants, then drives it from separate load
processes: in every meeting one participant edits the plan's strengths R times a second and
the M-1 others time each edit from its send to their receipt of the broadcast `op`.
With --processes P, P servers share the database and a Redis message queue, each on its own
port, and every meeting's participants are spread over them.
After a warm-up, S seconds are measured. With --json the last line is one JSON object.
Only 127.0.0.1 is contacted; the servers and the instance folder are removed at the end.
Exit status: 0 measured, 1 the server did not start, 2 nothing could be measured.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from _live_client import Job, Schedule, now_ns
from _live_load import run_worker
from _live_report import merge_counts, print_report, print_search_line, summarise
from _live_server import (
    DEFAULT_SERVER_CMD,
    DiskMeter,
    MachineMeter,
    Meter,
    Server,
    ServerError,
    empty_database,
    free_port,
    on_cores,
    prepare,
    reference_ms,
    server_env,
)

CONNECTIONS_PER_WORKER = 150
MAX_SEARCH_RUNS = 8
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class LoadError(RuntimeError):
    """The load processes failed before anything could be measured."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=1, help="live meetings (default 1)")
    parser.add_argument("--participants", type=int, default=12,
                        help="participants per meeting, the writer included (default 12)")
    parser.add_argument("--rate", type=float, default=5.0,
                        help="edits per second in each meeting (default 5)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="measured seconds (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--drain", type=float, default=5.0,
                        help="seconds to wait for the last receipts after the window")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--workers", type=int, default=0,
                        help=f"load processes (default one per {CONNECTIONS_PER_WORKER} "
                             "connections, at most one per core)")
    parser.add_argument("--value-chars", type=int, default=200,
                        help="length of the edited text (default 200)")
    parser.add_argument("--database-url", default=None,
                        help="run against this database instead of a fresh SQLite file; "
                             "use a throwaway database, the benchmark adds rows to it")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default=None,
                        help="postgresql: the throwaway database of --database-url, else of "
                             "SIP_MEETING_TEST_DATABASE_URL, its schema emptied before each "
                             "run so that every run starts from the same empty tables")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes sharing the database and a Redis message "
                             "queue, each on its own port (default 1)")
    parser.add_argument("--redis-url", default=None,
                        help="the servers' Socket.IO message queue (default with --processes "
                             "above 1: SIP_MEETING_TEST_REDIS_URL, else "
                             f"{DEFAULT_REDIS_URL}); every run takes a channel of its own")
    parser.add_argument("--server-cmd", default=DEFAULT_SERVER_CMD,
                        help="server command with {host}, {port}, {bin} and {python} "
                             f"(default: {DEFAULT_SERVER_CMD!r})")
    parser.add_argument("--port", type=int, default=0,
                        help="the first server's port, the next ones follow (default: free "
                             "ones)")
    parser.add_argument("--server-log", type=Path, default=None,
                        help="keep the server's output in this file (the second process's in "
                             "FILE.2, and so on)")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let the server and the load processes share every core (by "
                             "default the server keeps to the first half of the cores and the "
                             "load processes to the rest, as if they ran on other machines)")
    parser.add_argument("--timeout", type=float, default=15.0,
                        help="seconds to wait for one connection or acknowledgement")
    parser.add_argument("--find-max", type=float, default=None, metavar="P99_MS",
                        help="instead of one run, search the most meetings whose p99 stays "
                             "within P99_MS with every receipt delivered, starting from "
                             f"--meetings (doubling, then halving the gap; at most "
                             f"{MAX_SEARCH_RUNS} runs)")
    args = parser.parse_args(argv)
    if min(args.meetings, args.rate, args.duration, args.processes) <= 0 \
            or args.participants < 2:
        parser.error("need at least one meeting, two participants, one process and a positive "
                     "rate and duration")
    args.empty_database = args.database == "postgresql"
    if args.database == "postgresql":
        args.database_url = args.database_url or os.environ.get("SIP_MEETING_TEST_DATABASE_URL")
        if not args.database_url or not args.database_url.startswith("postgresql"):
            parser.error("--database postgresql needs a PostgreSQL --database-url or "
                         "SIP_MEETING_TEST_DATABASE_URL")
    elif args.database == "sqlite" and args.database_url:
        parser.error("--database sqlite runs on a fresh SQLite file: leave out --database-url")
    if args.processes > 1 and not args.redis_url:
        args.redis_url = os.environ.get("SIP_MEETING_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    return args


def split_cores(args: argparse.Namespace) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
    """Return the cores of each server process and of the load side; () where not pinned.

    Participants' devices are other machines: the load processes must not take the server's
    core from it, nor wait for it. Without the split, the scheduler often woke a reader on
    the server's core, where it waited for the server's next pause. So the servers keep to
    the first half of the cores, shared out between the processes, and the load to the rest.
    When there are more processes than half the cores (two on a 2-core machine), each
    process keeps to one core of its own, round the cores, and the load runs on every core:
    a machine serving several processes has no core to spare for anything else.
    """
    processes = args.processes
    cores = tuple(sorted(os.sched_getaffinity(0)))
    if not args.pin or len(cores) < 2:
        return [()] * processes, ()
    half = len(cores) // 2
    if processes > half:
        return [(cores[index % len(cores)],) for index in range(processes)], ()
    share = half // processes
    return [cores[index * share:(index + 1) * share] for index in range(processes)], \
        cores[half:]


def worker_count(args: argparse.Namespace, load_cores: int) -> int:
    """Return how many load processes to start."""
    if args.workers > 0:
        return min(args.workers, args.meetings)
    wanted = math.ceil(args.meetings * args.participants / CONNECTIONS_PER_WORKER)
    return max(1, min(wanted, load_cores or os.cpu_count() or 1, args.meetings))


def make_jobs(args: argparse.Namespace, urls: list[str], meetings: list[dict],
              cpus: tuple[int, ...]) -> list[Job]:
    """Share the meetings out round-robin, each meeting whole in one load process."""
    workers = worker_count(args, len(cpus))
    return [Job(urls=urls, meetings=meetings[index::workers], rate=args.rate,
                value_chars=args.value_chars, timeout=args.timeout, cpus=cpus)
            for index in range(workers)]


def make_schedule(args: argparse.Namespace) -> Schedule:
    """Fix the shared instants of the run, starting half a second from now."""
    start_at = now_ns() + 500_000_000
    measure_from = start_at + int(args.warmup * 1e9)
    measure_until = measure_from + int(args.duration * 1e9)
    return Schedule(start_at, measure_from, measure_until, measure_until + int(args.drain * 1e9))


class LoadGenerators:
    """The load processes and the pipes the parent paces them through."""

    def __init__(self, jobs: list[Job]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.procs = []
        for job in jobs:
            parent, child = context.Pipe()
            proc = context.Process(target=run_worker, args=(job, child), daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)

    def gather(self, kind: str, timeout: float) -> list[dict]:
        """Wait for one message of this kind from every process."""
        deadline = time.monotonic() + timeout
        answers = []
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            try:
                if not pipe.poll(max(deadline - time.monotonic(), 0)):
                    raise LoadError(f"a load process sent no {kind!r} within {timeout:.0f} s")
                got, payload = pipe.recv()
            except EOFError as exc:
                raise LoadError(f"a load process ended (exit code {proc.exitcode})") from exc
            if got != kind:
                raise LoadError(f"a load process sent {got!r} instead of {kind!r}")
            answers.append(payload)
        return answers

    def send(self, message: object) -> None:
        """Send the same message to every process."""
        for pipe in self.pipes:
            pipe.send(message)

    def pids(self) -> list[int]:
        """Return the process ids, for measuring their CPU."""
        return [proc.pid for proc in self.procs]

    def stop(self) -> None:
        """Let the processes disconnect and end, then end the stragglers."""
        for pipe in self.pipes:
            try:
                pipe.send("stop")
            except OSError:
                pass  # that process has already gone
        for proc in self.procs:
            proc.join(12)
            if proc.is_alive():
                proc.terminate()
                proc.join(3)
            if proc.is_alive():
                proc.kill()
                proc.join(3)


def watch(servers: list[Server], load_pids: list[int], schedule: Schedule,
          folder: Path) -> dict:
    """Measure servers' and load CPU, the servers' memory and the disk over the window."""
    meters = [Meter(server.proc.pid) for server in servers]
    loads = [Meter(pid) for pid in load_pids]
    machine, disk = MachineMeter(), DiskMeter(folder)
    time.sleep(max(schedule.measure_from - now_ns(), 0) / 1e9)
    for meter in (*meters, *loads, machine, disk):
        meter.start()
    while (remaining := (schedule.measure_until - now_ns()) / 1e9) > 0:
        time.sleep(min(remaining, 0.5))
        for meter in meters:
            meter.sample()
    disk_report = disk.stop()
    load_cpu = [meter.cpu_percent() for meter in loads]
    each_cpu = [meter.cpu_percent() for meter in meters]
    server_cpu, machine_cpu = sum(each_cpu), machine.cpu_percent()
    return {"server_cpu_percent": round(server_cpu, 1),
            "server_process_cpu_percent": [round(cpu, 1) for cpu in each_cpu],
            "server_rss_mb": round(sum(meter.rss_max for meter in meters) / 2**20, 1),
            "server_process_rss_mb": [round(meter.rss_max / 2**20, 1) for meter in meters],
            "server_idle_rss_mb": round(sum(server.idle_rss for server in servers) / 2**20, 1),
            "server_rss_grown_bytes": sum(meter.rss_max for meter in meters)
            - sum(server.idle_rss for server in servers),
            "server_threads": sum(meter.threads_max for meter in meters),
            "loadgen_cpu_percent": round(sum(load_cpu), 1),
            "loadgen_cpu_max_percent": round(max(load_cpu), 1),
            "machine_cpu_percent": round(machine_cpu, 1),
            "steal_cpu_percent": round(machine.steal_percent(), 1),
            "other_cpu_percent": round(max(machine_cpu - server_cpu - sum(load_cpu), 0), 1),
            **disk_report}


def drive(args: argparse.Namespace, servers: list[Server], loads: LoadGenerators) -> dict:
    """Wait for every participant to join, run the schedule and build the report."""
    ready = loads.gather("ready", timeout=60 + 0.1 * args.meetings * args.participants)
    if not any(part["connected"] for part in ready):
        causes = merge_counts([part["join_errors"] for part in ready])
        raise LoadError(f"no participant could join: {causes}")
    schedule = make_schedule(args)
    loads.send(schedule)
    usage = watch(servers, loads.pids(), schedule, servers[0].log.parent)
    results = loads.gather("done", timeout=args.drain + 2 * args.timeout + 15)
    report = summarise(args, results, usage)
    database = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    report.update(async_mode=servers[0].async_mode(), database=database,
                  message_queue=args.redis_url.split(":")[0] if args.redis_url else None,
                  server_cmd=shlex.join(servers[0].cmd))
    return report


def run(args: argparse.Namespace) -> dict:
    """Prepare a fresh instance, serve it, load it and return the report; always clean up."""
    instance = Path(tempfile.mkdtemp(prefix="sip-live-bench-"))
    servers: list[Server] = []
    loads = None
    process_cpus, load_cpus = split_cores(args)
    reference = reference_ms(process_cpus[0])
    # This process only paces and measures. It returns to all its cores afterwards, or the
    # next run of a --find-max search would see one core and pin nothing.
    with on_cores(load_cpus):
        try:
            if args.empty_database:
                empty_database(args.database_url)
            env = server_env(instance, args.database_url, args.redis_url)
            meetings = prepare(env, instance, args.meetings, args.participants)
            for index, cpus in enumerate(process_cpus):
                # Each one started before the next port is chosen, so no two pick the same.
                port = args.port + index if args.port else free_port()
                servers.append(Server(args.server_cmd, port, env, instance / log_name(index),
                                      cpus=cpus))
                servers[-1].start()
            loads = LoadGenerators(make_jobs(args, [server.url for server in servers],
                                             meetings, load_cpus))
            report = drive(args, servers, loads)
            report.update(processes=args.processes,
                          server_cpus=sorted({core for cpus in process_cpus for core in cpus}),
                          server_process_cpus=[list(cpus) for cpus in process_cpus],
                          load_cpus=list(load_cpus), cpu_reference_ms=reference)
            return report
        finally:
            if loads is not None:
                loads.stop()
            for server in servers:
                server.stop()
            for index in range(len(servers)):
                log = instance / log_name(index)
                if args.server_log and log.exists():
                    suffix = f".{index + 1}" if index else ""
                    shutil.copyfile(log, f"{args.server_log}{suffix}")
            shutil.rmtree(instance, ignore_errors=True)


def log_name(index: int) -> str:
    """Return the file name of a server process's output in the instance folder."""
    return "server.log" if index == 0 else f"server-{index + 1}.log"


def within(report: dict, limit_ms: float) -> bool:
    """Tell whether a run kept p99 within the limit, everyone connected, every edit delivered
    once and in order."""
    return (report["p99_ms"] is not None and report["p99_ms"] <= limit_ms
            and report["delivered"] == report["expected"]
            and report["connected"] == report["connections"]
            and report["duplicates"] == report["out_of_order"] == report["seq_gaps"] == 0)


def find_max(args: argparse.Namespace) -> dict:
    """Find the most meetings within --find-max: double until a run fails, then bisect."""
    good, bad, meetings, runs = 0, None, args.meetings, []
    for _ in range(MAX_SEARCH_RUNS):
        report = run(argparse.Namespace(**{**vars(args), "meetings": meetings}))
        print_search_line(report, within(report, args.find_max))
        runs.append(report)
        if within(report, args.find_max):
            good = meetings
        else:
            bad = meetings
        if bad is not None and bad - good <= max(1, good // 10):
            break
        meetings = meetings * 2 if bad is None else (good + bad) // 2
    return {"p99_limit_ms": args.find_max, "max_meetings": good,
            "participants": args.participants, "rate": args.rate, "runs": runs}


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; return the exit status."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # so that the cleanup in run() happens
    try:
        report = find_max(args) if args.find_max is not None else run(args)
    except (ServerError, LoadError) as exc:
        print(f"live_latency: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 1 if isinstance(exc, ServerError) else 2
    except KeyboardInterrupt:
        print("live_latency: interrupted; server stopped and instance folder removed",
              file=sys.stderr)
        return 130
    if args.find_max is None:
        print_report(report)
    else:
        print(f"Most meetings of {args.participants} with p99 within {args.find_max:g} ms at "
              f"{args.rate:g} edits/s: {report['max_meetings']}")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
