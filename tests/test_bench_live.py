"""The live benchmark's command works end to end and keeps the interface others rely on.

Only the shape and the counts are checked here; timings are for the benchmark to print.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"p50_ms", "p95_ms", "p99_ms", "max_ms", "delivered", "expected", "server_cpu_percent",
        "server_rss_mb", "meetings", "participants", "rate"}


def test_live_benchmark_delivers_every_edit_and_ends_with_its_json_line():
    done = subprocess.run(
        [sys.executable, "bench/live_latency.py", "--meetings", "2", "--participants", "3",
         "--rate", "5", "--duration", "1", "--warmup", "0.5", "--drain", "3", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= result.keys()
    assert (result["meetings"], result["participants"]) == (2, 3)
    assert result["connected"] == result["connections"] == 6
    assert result["expected"] == result["acks"] * 2 > 0
    assert result["delivered"] == result["expected"]
    assert result["errors"] == 0 and result["seq_gaps"] == 0 and result["disconnects"] == 0
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
