"""Reports of bench/live_latency.py: the figures from the load processes, for people and JSON."""

from __future__ import annotations

import argparse
import math
import os

from _live_server import DiskMeter


def percentile(ordered: list[int], share: float) -> float | None:
    """Return the nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    if not ordered:
        return None
    rank = max(math.ceil(share / 100 * len(ordered)) - 1, 0)
    return round(ordered[rank] / 1e6, 3)


def merge_counts(parts: list[dict]) -> dict[str, int]:
    """Add up per-process counters of failures by cause."""
    total: dict[str, int] = {}
    for part in parts:
        for key, count in part.items():
            total[key] = total.get(key, 0) + count
    return total


def summarise(args: argparse.Namespace, results: list[dict], usage: dict) -> dict:
    """Combine the load processes' tallies and the usage into the report."""
    latencies = sorted(ns for part in results for ns in part["latencies_ns"])
    acks = sorted(ns for part in results for ns in part["ack_ns"])
    total = {key: sum(part[key] for part in results)
             for key in ("connections", "connected", "sent", "skipped", "acks", "expected",
                         "delivered", "seq_gaps", "disconnects", "duplicates", "out_of_order",
                         "cross_expected", "cross_delivered")}
    ack_errors = merge_counts([part["ack_errors"] for part in results])
    join_errors = merge_counts([part["join_errors"] for part in results])
    usage = dict(usage)
    grown = usage.pop("server_rss_grown_bytes", None)
    return {
        "meetings": args.meetings, "participants": args.participants, "rate": args.rate,
        "duration_s": args.duration, "warmup_s": args.warmup,
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99), "max_ms": percentile(latencies, 100),
        "mean_ms": round(sum(latencies) / len(latencies) / 1e6, 3) if latencies else None,
        "delivered": total["delivered"], "expected": total["expected"],
        "edits_sent": total["sent"], "edits_skipped": total["skipped"], "acks": total["acks"],
        "ack_p50_ms": percentile(acks, 50), "ack_p99_ms": percentile(acks, 99),
        "ack_max_ms": percentile(acks, 100),
        "errors": sum(ack_errors.values()) + sum(join_errors.values()) + total["disconnects"],
        "ack_errors": ack_errors, "join_errors": join_errors,
        "connections": total["connections"], "connected": total["connected"],
        "seq_gaps": total["seq_gaps"], "disconnects": total["disconnects"],
        "duplicates": total["duplicates"], "out_of_order": total["out_of_order"],
        "cross_process_expected": total["cross_expected"],
        "cross_process_delivered": total["cross_delivered"],
        **usage,
        # What each connected participant adds to the servers' memory: the most they held in
        # the window less what they held idle, before anyone joined.
        "server_rss_kb_per_participant": round(grown / 1024 / total["connected"], 1)
        if grown is not None and total["connected"] else None,
        # CPU the server spent per edit, all of its work included: it moves far less than the
        # latencies when other processes share the machine.
        "server_cpu_ms_per_edit": round(usage["server_cpu_percent"] * 10 * args.duration
                                        / total["acks"], 2) if total["acks"] else None,
        "loadgen_workers": len(results), "cores": os.cpu_count(),
    }


def print_report(report: dict) -> None:
    """Print the report for a person."""
    def ms(key: str) -> str:
        return "-" if report[key] is None else f"{report[key]:.2f} ms"

    print(f"Live latency: {report['meetings']} meetings x {report['participants']} participants, "
          f"{report['rate']:g} edits/s per meeting, {report['duration_s']:g} s measured "
          f"(async mode {report['async_mode'] or '?'}, {report['database']})")
    print(f"  connected       {report['connected']} of {report['connections']}"
          + (f"  failures: {report['join_errors']}" if report["join_errors"] else ""))
    print(f"  edits           {report['edits_sent']} sent, {report['acks']} acknowledged in the "
          f"window, {report['edits_skipped']} skipped"
          + (f", refused: {report['ack_errors']}" if report["ack_errors"] else ""))
    print(f"  acknowledgement p50 {ms('ack_p50_ms')}  p99 {ms('ack_p99_ms')}  "
          f"max {ms('ack_max_ms')}")
    print(f"  delivered       {report['delivered']} of {report['expected']} receipts, "
          f"{report['seq_gaps']} sequence gaps, {report['out_of_order']} out of order, "
          f"{report['duplicates']} twice, {report['disconnects']} disconnections")
    if report.get("processes", 1) > 1:
        print(f"  across processes {report['cross_process_delivered']} of "
              f"{report['cross_process_expected']} receipts reached a participant on another "
              f"process than the writer's (message queue {report['message_queue']})")
    print(f"  latency         p50 {ms('p50_ms')}  p95 {ms('p95_ms')}  p99 {ms('p99_ms')}  "
          f"max {ms('max_ms')}  (send to another participant's op)")
    per_edit = report["server_cpu_ms_per_edit"]
    processes = report.get("processes", 1)
    print(f"  server          {processes} process{'es' if processes > 1 else ''}, "
          f"CPU {report['server_cpu_percent']:.0f} % of a core"
          + (f" ({per_edit:.2f} ms per edit)" if per_edit is not None else "")
          + (f", by process {report['server_process_cpu_percent']} %" if processes > 1 else "")
          + f", {report['server_threads']} threads")
    per_participant = report["server_rss_kb_per_participant"]
    print(f"  server memory   RSS {report['server_rss_mb']:.0f} MB, idle "
          f"{report['server_idle_rss_mb']:.0f} MB"
          + (f", {per_participant:.0f} KB per connected participant"
             if per_participant is not None else ""))
    print(f"  load generator  CPU {report['loadgen_cpu_percent']:.0f} % over "
          f"{report['loadgen_workers']} processes (busiest {report['loadgen_cpu_max_percent']:.0f}"
          f" %), {report['cores']} cores")
    if report.get("server_cpus"):
        print(f"  cores           server processes on {report['server_process_cpus']}, load "
              f"processes on {report['load_cpus'] or 'every core'}")
    print(f"  machine         CPU {report['machine_cpu_percent']:.0f} % of "
          f"{100 * (report['cores'] or 1)} %, of which other processes "
          f"{report['other_cpu_percent']:.0f} % and the host's other guests (steal) "
          f"{report['steal_cpu_percent']:.0f} %; reference loop {report['cpu_reference_ms']} ms")
    print(f"  disk            slowest 32 KiB sync {report['disk_sync_max_ms']} ms, "
          f"{report['disk_syncs_slow']} over {DiskMeter.SLOW_MS:g} ms")
    if report["loadgen_cpu_max_percent"] > 85:
        print("  warning: a load process was nearly saturated; latencies include its queueing")
    if report["other_cpu_percent"] > 20:
        print("  warning: other processes used the CPU too; latencies include waiting for them")


def print_search_line(report: dict, passed: bool) -> None:
    """Print one run of a --find-max search on one line."""
    p99 = "-" if report["p99_ms"] is None else f"{report['p99_ms']:.2f}"
    print(f"{report['meetings']:>5} meetings  p50 {report['p50_ms'] or 0:.2f} ms  p99 {p99} ms  "
          f"delivered {report['delivered']}/{report['expected']}  "
          f"server CPU {report['server_cpu_percent']:.0f} % "
          f"({report['server_cpu_ms_per_edit']} ms/edit)  "
          f"load CPU {report['loadgen_cpu_max_percent']:.0f} %  "
          f"others {report['other_cpu_percent']:.0f} %  {'ok' if passed else 'over'}",
          flush=True)
