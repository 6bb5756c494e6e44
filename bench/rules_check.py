"""Time check_plan on a realistic 40-action plan: python bench/rules_check.py [--json]."""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sip_meeting.rules import check_plan, load_rules  # noqa: E402

TEXTS = [
    "Mentor ringer hem om hen inte kommer till skolan.",
    "Specialpedagogen ger stöd i läxläsning vid behov.",
    "Handläggaren ansöker om korttidsvistelse och ger besked om beslutet.",
    "Kommer hen inte till träningen skickar fysioterapeuten en ny tid.",
    "BUP undersöker om hen har svårt att sova och föreslår åtgärder snarast.",
    "Skolan köper in ett rättstavningsprogram och lär hen att använda det.",
    "The teacher checks if the exercises are too hard, and adapts them if needed.",
    "Koordinatorn hjälper familjen att ansöka om bostadsanpassning före sommaren.",
]


def build_plan(n_actions: int = 40) -> dict:
    """Build a plan snapshot with n_actions actions of varied, realistic wording."""
    people = [{"id": i, "name": f"Person {i}", "organisation": org, "role": role,
               "principal": principal}
              for i, (org, role, principal) in enumerate([
                  ("Familjen", "guardian", "family"), ("Skolan", "professional", "municipality"),
                  ("BUP", "professional", "region"), ("Socialtjänsten", "professional",
                                                      "municipality"),
                  ("Habiliteringen", "professional", "region")], start=1)]
    # Every action's text differs (a plan does not repeat itself), so that no text's check
    # is remembered from another action's.
    actions = [{"id": 100 + i, "what": f"{TEXTS[i % len(TEXTS)]} Steg {i + 1} av planen.",
                "responsible_participant_id":
                1 + i % 5, "responsible": "", "organisation": "", "principal": "region",
                "due_date": f"2031-{1 + i % 12:02d}-15", "decision_date": "", "when_note": "",
                "status": "planned", "goal_id": 1, "depends_on_id": 100 + i - 1 if i else None,
                "family_part": "", "condition_fallback": ""} for i in range(n_actions)]
    return {"participants": people, "goals": [{"id": 1, "kind": "long", "text": "Mål"}],
            "sections": {"lead_principal": "region", "strengths": "Hen är nyfiken."},
            "actions": actions, "consents": [], "overrides": []}


def timed(runs: int, check) -> tuple[float, float]:
    """Return the mean and p95 milliseconds of `runs` calls of check()."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.fmean(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    """Run the benchmark and print mean and p95 milliseconds per evaluation.

    Twice: with every text new to the rule set (its remembered span hits cleared before each
    run: the first check of a plan, and the target), and with texts it has seen before (a live
    meeting checks its plan again after each pause in writing, mostly unchanged).
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    rules = load_rules()
    plan = build_plan()
    today = datetime.date(2030, 1, 1)
    check_plan(plan, rules, today=today)  # warm up

    def check_new_texts() -> None:
        rules.span_memory.clear()
        check_plan(plan, rules, today=today)

    mean, p95 = timed(args.runs, check_new_texts)
    check_plan(plan, rules, today=today)
    again_mean, again_p95 = timed(args.runs, lambda: check_plan(plan, rules, today=today))
    print(f"check_plan, {len(plan['actions'])} actions, {args.runs} runs: "
          f"mean {mean:.2f} ms, p95 {p95:.2f} ms; "
          f"texts seen before: mean {again_mean:.2f} ms, p95 {again_p95:.2f} ms")
    if args.json:
        print(json.dumps({"actions": len(plan["actions"]), "runs": args.runs,
                          "mean_ms": round(mean, 3), "p95_ms": round(p95, 3),
                          "again_mean_ms": round(again_mean, 3),
                          "again_p95_ms": round(again_p95, 3)}))


if __name__ == "__main__":
    main()
