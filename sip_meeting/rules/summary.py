"""What the plan view needs beside the findings: the close, overrides, accepted conditions,
completeness."""

from __future__ import annotations

import dataclasses
from typing import Any

from .conditions import find_spans
from .core import Finding, Rules
from .sections import CLOSED

# The plan-level items of the completeness meter, each satisfied when none of its rules has a
# finding: the law's four items (actions, each action's principal, what others do, the lead)
# and what makes a meeting's plan work.
PLAN_ITEMS = (("lead_principal",), ("lead_person",),
              ("consent", "consent_expired", "consent_withdrawn"),
              ("followup_date", "followup_not_after", "followup_too_far"),
              ("child_participation",), ("strengths",), ("goals",), ("actions",),
              ("others_part",))
# Each open action adds four items: what, who, when, and the principal that answers for it.
ACTION_ITEMS = (("action_what",), ("action_who", "who_unnamed"), ("action_when",),
                ("action_principal",))
# What no reason can set aside: a plan without a single action is no plan. A meeting that
# makes none ends as "no plan made", with a reason, and freezes no version.
NOT_OVERRIDABLE = frozenset({"actions"})


def close_severities(findings: list[Finding], rules: Rules) -> list[Finding]:
    """Return the findings, in the same order, with the severities they have at the close."""
    out = []
    for f in findings:
        severity = rules.severity(f.rule, at_close=True)
        out.append(f if severity == f.severity else dataclasses.replace(f, severity=severity))
    return out


def is_overridden(finding: Finding, overrides: list[dict[str, Any]] | None) -> bool:
    """Return True when the chair set this finding's item aside with a reason.

    An override names one item: an action (its `item_id`), or, with `item_id` null, one
    plan-level item. It never reaches the same rule on another item.
    """
    if finding.rule in NOT_OVERRIDABLE:
        return False
    return any(o.get("rule") == finding.rule and o.get("item_id") == finding.item_id
               and str(o.get("reason") or "").strip() for o in overrides or [])


def blocking(findings: list[Finding], overrides: list[dict[str, Any]] | None) -> list[Finding]:
    """Return the blockers that still stop the plan from closing after the chair's overrides."""
    return [f for f in findings if f.severity == "blocker" and not is_overridden(f, overrides)]


def close_blockers(at_close: list[Finding], overrides: list[dict[str, Any]] | None
                   ) -> list[dict[str, Any]]:
    """List what stops the close, each as a finding's dict that says whether it may be set aside.

    `at_close` are the findings with their close severities. The console shows this list as
    the meeting goes on, and a refused close answers with the same list.
    """
    return [{**f.to_dict(), "overridable": f.rule not in NOT_OVERRIDABLE}
            for f in blocking(at_close, overrides)]


def accepted_conditions(snapshot: dict[str, Any], rules: Rules | None = None) -> list[dict]:
    """List the actions whose condition or hedge was accepted with a fallback, for the plan."""
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
                   if s.rule in ("conditional", "hedge")]
        accepted.append({"action_id": action.get("id"), "what": what,
                         "phrase": phrases[0] if phrases else "", "fallback": fallback})
    return accepted


def completeness(snapshot: dict[str, Any], findings: list[Finding],
                 blockers: int | None = None) -> dict[str, int]:
    """Count the plan's satisfied legal and plan items as a percent, and the open findings.

    A finding set aside with a reason counts as satisfied. `blockers`, when given, is the
    number of things that stop the close (close_blockers), shown instead of the blockers
    among `findings`.
    """
    overrides = snapshot.get("overrides") or []
    live = [f for f in findings if not is_overridden(f, overrides)]
    rules_hit = {f.rule for f in live}
    items = [not rules_hit.intersection(group) for group in PLAN_ITEMS]
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
        "blockers": counts["blocker"] if blockers is None else blockers,
        "warnings": counts["warning"],
        "advice": counts["advice"],
        "overridden": len(findings) - len(live),
    }
