"""The server side of bench/live_latency.py: instance folder, seeding, process and its usage."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DEFAULT_SERVER_CMD = "{bin}/sip-meeting serve --host {host} --port {port}"
OWN_SETTINGS = ("SIP_MEETING_INSTANCE_PATH", "SIP_MEETING_MODE", "SIP_MEETING_SECRET_KEY",
                "SIP_MEETING_DATABASE_URL", "FLASK_APP")


class ServerError(RuntimeError):
    """The server could not be prepared or did not start."""


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(instance: Path, database_url: str | None,
               redis_url: str | None = None) -> dict[str, str]:
    """Return the environment of production-mode servers on a fresh instance folder.

    With a Redis URL the servers share it as their Socket.IO message queue, on a channel of
    this run's own, so that runs beside each other on one Redis do not hear each other.
    Other SIP_MEETING_* settings pass through, e.g. SIP_MEETING_SOCKETIO_ASYNC_MODE.
    """
    env = {key: value for key, value in os.environ.items() if key not in OWN_SETTINGS}
    env.update(SIP_MEETING_INSTANCE_PATH=str(instance), SIP_MEETING_MODE="production",
               SIP_MEETING_SECRET_KEY="bench-" + secrets.token_hex(32), PYTHONUNBUFFERED="1")
    if database_url:
        env["SIP_MEETING_DATABASE_URL"] = database_url
    if redis_url:
        env.update(SIP_MEETING_SOCKETIO_MESSAGE_QUEUE=redis_url,
                   SIP_MEETING_SOCKETIO_CHANNEL="sip-live-bench-" + secrets.token_hex(6))
    return env


def empty_database(url: str) -> None:
    """Drop and recreate the public schema of a throwaway PostgreSQL database.

    Every run of a comparison then starts from the same empty tables. Fails rather than
    waits if someone else holds the database.
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        raise ServerError(f"could not empty the benchmark's database: {exc}") from exc
    finally:
        engine.dispose()


def _run(cmd: list[str], env: dict[str, str], log: Path, timeout: float) -> None:
    """Run one preparation command, failing with the tail of its output."""
    with log.open("ab") as out:
        try:
            done = subprocess.run(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ServerError(f"{shlex.join(cmd)} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise ServerError(f"{shlex.join(cmd)} failed:\n{tail(log)}")


def prepare(env: dict[str, str], instance: Path, meetings: int, participants: int) -> list[dict]:
    """Migrate the database and seed the live meetings; return their ids and join tokens."""
    log = instance / "setup.log"
    _run([str(BIN / "sip-meeting"), "db", "upgrade"], env, log, timeout=120)
    out = instance / "seeded.json"
    _run([sys.executable, str(HERE / "_live_setup.py"), str(out), "--meetings", str(meetings),
          "--participants", str(participants)], env, log, timeout=60 + meetings * participants)
    return json.loads(out.read_text())["meetings"]


def tail(path: Path, lines: int = 30) -> str:
    """Return the last lines of a log file, or nothing if it is missing."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Server:
    """One server process started from a command template, in its own process group."""

    def __init__(self, template: str, port: int, env: dict[str, str], log: Path,
                 cpus: tuple[int, ...] = ()) -> None:
        self.cpus = cpus  # cores the server and every thread it starts keep to; () = any
        self.cmd = shlex.split(template.format(bin=BIN, python=sys.executable, host=HOST,
                                               port=port))
        self.url = f"http://{HOST}:{port}"
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.idle_rss = 0  # bytes resident once it answered, before anyone joined

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it answers HTTP, or raise ServerError."""
        with self.log.open("ab") as out:
            pin = (lambda: os.sched_setaffinity(0, self.cpus)) if self.cpus else None
            self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=pin)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"the server exited with {self.proc.returncode}:\n"
                                  f"{tail(self.log)}")
            if self._answers():
                # What the server holds before anyone joins, once its start-up has settled:
                # the base that the memory per connected participant is measured from.
                time.sleep(0.5)
                self.idle_rss = Meter(self.proc.pid).rss_now()
                return
            time.sleep(0.1)
        raise ServerError(f"the server did not answer within {timeout:.0f} s:\n{tail(self.log)}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/j/-", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer, a 404 included, means it is serving
        except OSError:
            return False

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server's process group: politely, then by force."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def async_mode(self) -> str:
        """Return the async mode the server announced, if it did."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        for line in lines:
            if "(async mode " in line:
                return line.rsplit("(async mode ", 1)[1].rstrip(")")
        return ""


class Meter:
    """CPU and memory of a process and its children over a measurement window."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.started = 0.0
        self.cpu_at_start = 0.0
        self.rss_max = 0
        self.threads_max = 0

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _cpu(self) -> float:
        total = 0.0
        for proc in self._tree():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def start(self) -> None:
        """Open the window."""
        self.started = time.monotonic()
        self.cpu_at_start = self._cpu()
        self.sample()

    def sample(self) -> None:
        """Record the resident memory and threads of the tree if the highest so far."""
        rss = threads = 0
        for proc in self._tree():
            try:
                rss += proc.memory_info().rss
                threads += proc.num_threads()
            except psutil.NoSuchProcess:
                continue
        self.rss_max = max(self.rss_max, rss)
        self.threads_max = max(self.threads_max, threads)

    def cpu_percent(self) -> float:
        """Return CPU use since start() in percent of one core (200 = two cores busy)."""
        return percent_of_a_core(self._cpu() - self.cpu_at_start, self.started)

    def rss_now(self) -> int:
        """Return the resident memory of the tree now, in bytes."""
        total = 0
        for proc in self._tree():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


class MachineMeter:
    """CPU use of the whole machine over a window, to tell whether others shared it."""

    def __init__(self) -> None:
        self.started = 0.0
        self.busy_at_start = 0.0
        self.steal_at_start = 0.0

    @staticmethod
    def _busy() -> float:
        times = psutil.cpu_times()
        idle = times.idle + getattr(times, "iowait", 0.0)
        return sum(times) - idle

    def start(self) -> None:
        """Open the window."""
        self.started = time.monotonic()
        self.busy_at_start = self._busy()
        self.steal_at_start = getattr(psutil.cpu_times(), "steal", 0.0)

    def cpu_percent(self) -> float:
        """Return busy CPU since start() in percent of one core, all processes together."""
        return percent_of_a_core(self._busy() - self.busy_at_start, self.started)

    def steal_percent(self) -> float:
        """Return the CPU a virtual machine's host gave to others since start(), in percent of
        one core (included in cpu_percent)."""
        steal = getattr(psutil.cpu_times(), "steal", 0.0) - self.steal_at_start
        return percent_of_a_core(steal, self.started)


class DiskMeter:
    """How long the disk took to make a small write durable, sampled through a window.

    SQLite with `synchronous=FULL` waits for such a sync in every commit, on the server's
    loop: a host whose disk sometimes takes 100 ms or more stalls every meeting for that long.
    A thread writes 32 KiB in the instance folder (beside an SQLite database) and syncs it
    every 50 ms, so that a long tail can be told apart from a change in the code.
    """

    SLOW_MS = 20.0

    def __init__(self, folder: Path) -> None:
        self.path = folder / "disk-probe"
        self.times_ms: list[float] = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._probe, daemon=True)

    def start(self) -> None:
        """Open the window."""
        self.thread.start()

    def stop(self) -> dict:
        """Close the window; return the slowest sync and how many took over SLOW_MS."""
        self.stop_event.set()
        self.thread.join()
        self.path.unlink(missing_ok=True)
        return {"disk_sync_max_ms": round(max(self.times_ms, default=0.0), 1),
                "disk_syncs_slow": sum(t > self.SLOW_MS for t in self.times_ms)}

    def _probe(self) -> None:
        block = b"\0" * 32768
        with open(self.path, "wb", buffering=0) as probe:
            while not self.stop_event.wait(0.05):
                probe.write(block)
                start = time.perf_counter()
                os.fdatasync(probe.fileno())
                self.times_ms.append((time.perf_counter() - start) * 1000)


def percent_of_a_core(cpu_seconds: float, since: float) -> float:
    """Return CPU seconds used since the monotonic instant `since` as percent of one core."""
    elapsed = time.monotonic() - since
    return 100.0 * cpu_seconds / elapsed if elapsed > 0 else 0.0


def reference_ms(cpus: tuple[int, ...]) -> float:
    """Time a fixed piece of pure Python (a million additions) on these cores, in ms.

    The median of five. It tells how fast the machine was just before a run, so that figures
    from different machines, or from one machine whose host was busy, can be compared.
    """
    with on_cores(cpus):
        times = []
        for _ in range(5):
            start, total = time.perf_counter(), 0
            for number in range(1_000_000):
                total += number
            times.append((time.perf_counter() - start) * 1000)
        return round(sorted(times)[2], 1)


@contextmanager
def on_cores(cpus: tuple[int, ...]) -> Iterator[None]:
    """Keep this process on these cores (where it was, if none) until the block ends."""
    before = os.sched_getaffinity(0)
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
