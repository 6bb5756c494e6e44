"""The live benchmark's command works end to end and keeps the interface others rely on.

Only the shape and the counts are checked here; timings are for the benchmark to print.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"p50_ms", "p95_ms", "p99_ms", "max_ms", "delivered", "expected", "server_cpu_percent",
        "server_rss_mb", "meetings", "participants", "rate", "processes", "database",
        "server_process_cpu_percent", "server_rss_kb_per_participant", "server_idle_rss_mb"}


def run_benchmark(*options: str) -> dict:
    """Run the live benchmark briefly and return its JSON line."""
    done = subprocess.run(
        [sys.executable, "bench/live_latency.py", "--rate", "5", "--duration", "1",
         "--warmup", "0.5", "--drain", "3", "--json", *options],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_delivered_once_in_order(result: dict, connections: int, readers: int) -> None:
    """Every participant joined; every acknowledged edit reached every other one, once, in
    sequence order, and nobody was disconnected."""
    assert result["connected"] == result["connections"] == connections
    assert result["expected"] == result["acks"] * readers > 0
    assert result["delivered"] == result["expected"]
    assert result["duplicates"] == result["out_of_order"] == result["seq_gaps"] == 0
    assert result["errors"] == 0 and result["disconnects"] == 0


def test_live_benchmark_delivers_every_edit_and_ends_with_its_json_line():
    result = run_benchmark("--meetings", "2", "--participants", "3")
    assert KEYS <= result.keys()
    assert (result["meetings"], result["participants"]) == (2, 3)
    assert (result["processes"], result["database"], result["message_queue"]) == (1, "sqlite",
                                                                                  None)
    assert_delivered_once_in_order(result, connections=6, readers=2)
    assert result["server_idle_rss_mb"] > 0 and result["server_rss_kb_per_participant"] > 0
    assert result["cpu_reference_ms"] > 0 and result["steal_cpu_percent"] >= 0
    assert result["disk_sync_max_ms"] > 0 and result["disk_syncs_slow"] >= 0
    if len(os.sched_getaffinity(0)) >= 2:  # the server's cores are its own
        assert result["server_cpus"] and result["load_cpus"]
        assert not set(result["server_cpus"]) & set(result["load_cpus"])


def test_every_run_of_a_search_keeps_the_server_on_its_own_cores(monkeypatch):
    """A --find-max search starts a fresh server per run: each one must be pinned alike."""
    if len(os.sched_getaffinity(0)) < 2:
        return  # nothing is pinned on one core, so nothing can leak from one run to the next
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import live_latency

    pinned = []

    class FakeServer:
        url = "http://127.0.0.1:9"

        def __init__(self, *args, cpus, **kwargs):
            pinned.append(cpus)

        def start(self):
            pass

        def stop(self):
            pass

    monkeypatch.setattr(live_latency, "prepare", lambda *args: [])
    monkeypatch.setattr(live_latency, "Server", FakeServer)
    monkeypatch.setattr(live_latency, "LoadGenerators", lambda jobs: None)
    monkeypatch.setattr(live_latency, "drive", lambda args, server, loads: {})
    monkeypatch.setattr(live_latency, "reference_ms", lambda cpus: 1.0)
    before = os.sched_getaffinity(0)
    args = live_latency.parse_args(["--meetings", "2"])
    first, second = live_latency.run(args), live_latency.run(args)
    assert os.sched_getaffinity(0) == before
    assert pinned[0] and pinned[0] == pinned[1]
    assert first["server_cpus"] == second["server_cpus"] == list(pinned[0])


def test_two_server_processes_on_postgresql_deliver_every_edit_through_redis():
    """The production shape: two servers share PostgreSQL and a Redis message queue, and
    every meeting's participants are spread over both, so that most receipts cross from the
    writer's process to the other."""
    database_url = os.environ.get("SIP_MEETING_TEST_DATABASE_URL")
    redis_url = os.environ.get("SIP_MEETING_TEST_REDIS_URL")
    if not database_url or not redis_url:
        pytest.skip("set SIP_MEETING_TEST_DATABASE_URL and SIP_MEETING_TEST_REDIS_URL to run "
                    "the benchmark on PostgreSQL with two processes")
    # The database URL as given, rows added: --database postgresql would empty the schema,
    # which the session's PostgreSQL fixture migrated.
    result = run_benchmark("--meetings", "3", "--participants", "4", "--processes", "2",
                           "--database-url", database_url, "--redis-url", redis_url)
    assert (result["processes"], result["database"], result["message_queue"]) == (
        2, "postgresql", "redis")
    assert_delivered_once_in_order(result, connections=12, readers=3)
    # Of each meeting's three readers two sit on the other process than the writer's.
    assert result["cross_process_expected"] == result["acks"] * 2
    assert result["cross_process_delivered"] == result["cross_process_expected"]
    assert len(result["server_process_cpu_percent"]) == 2
    assert len(result["server_process_rss_mb"]) == 2


@pytest.mark.parametrize(("cores", "processes", "servers", "load"), [
    ({0, 1}, 1, [(0,)], (1,)),
    ({0, 1}, 2, [(0,), (1,)], ()),
    ({0, 1, 2, 3}, 1, [(0, 1)], (2, 3)),
    ({0, 1, 2, 3}, 2, [(0,), (1,)], (2, 3)),
])
def test_each_server_process_keeps_to_cores_of_its_own(monkeypatch, cores, processes, servers,
                                                        load):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import live_latency

    monkeypatch.setattr(live_latency.os, "sched_getaffinity", lambda pid: cores)
    args = live_latency.parse_args(["--processes", str(processes)])
    assert live_latency.split_cores(args) == (servers, load)
