"""What the plan view needs beside the findings: overrides, accepted conditions, completeness."""

from __future__ import annotations

from typing import Any

from .conditions import find_spans
from .core import Finding, Rules
from .sections import CLOSED

# The plan-level items of the completeness meter, each satisfied when its rule has no finding.
PLAN_ITEMS = ("lead_principal", "lead_person", "consent", "followup_date", "child_participation",
              "strengths", "goals", "actions")
# Each open action adds three items: what, who and when.
ACTION_ITEMS = (("action_what",), ("action_who", "who_unnamed"), ("action_when",))


def is_overridden(finding: Finding, overrides: list[dict[str, Any]] | None) -> bool:
    """Return True when the chair overrode this blocker, with a reason, by rule (and item)."""
    for override in overrides or []:
        if override.get("rule") != finding.rule or not str(override.get("reason") or "").strip():
            continue
        if override.get("item_id") in (None, finding.item_id):
            return True
    return False


def blocking(findings: list[Finding], overrides: list[dict[str, Any]] | None) -> list[Finding]:
    """Return the blockers that still stop the plan from closing after the chair's overrides."""
    return [f for f in findings if f.severity == "blocker" and not is_overridden(f, overrides)]


def accepted_conditions(snapshot: dict[str, Any], rules: Rules | None = None) -> list[dict]:
    """List the actions whose condition was accepted with a fallback, for the plan document."""
    if rules is None:
        from . import default_rules  # the package builds and caches the built-in rule set

        rules = default_rules()
    accepted = []
    for action in snapshot.get("actions") or []:
        fallback = str(action.get("condition_fallback") or "").strip()
        if not fallback or action.get("status") == "cancelled":
            continue
        what = str(action.get("what") or "")
        phrases = [what[s.start:s.end] for s in find_spans(what, rules.detector)
                   if s.rule == "conditional"]
        accepted.append({"action_id": action.get("id"), "what": what,
                         "phrase": phrases[0] if phrases else "", "fallback": fallback})
    return accepted


def completeness(snapshot: dict[str, Any], findings: list[Finding]) -> dict[str, int]:
    """Count the plan's satisfied legal and plan items as a percent, and the open findings."""
    overrides = snapshot.get("overrides") or []
    live = [f for f in findings if not (f.severity == "blocker" and is_overridden(f, overrides))]
    rules_hit = {f.rule for f in live}
    items = [rule not in rules_hit for rule in PLAN_ITEMS]
    by_action: dict[Any, set[str]] = {}
    for f in live:
        if f.section == "actions":
            by_action.setdefault(f.item_id, set()).add(f.rule)
    for action in snapshot.get("actions") or []:
        if action.get("status") in CLOSED:
            continue
        hit = by_action.get(action.get("id"), set())
        items += [not hit.intersection(group) for group in ACTION_ITEMS]
    counts = {s: sum(1 for f in live if f.severity == s) for s in ("blocker", "warning", "advice")}
    return {
        "percent": 100 * sum(items) // len(items),
        "blockers": counts["blocker"],
        "warnings": counts["warning"],
        "advice": counts["advice"],
        "overridden": len(findings) - len(live),
    }
