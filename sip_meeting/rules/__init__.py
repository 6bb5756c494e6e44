"""The plan-rule engine: kind questions a good chair would ask about a SIP plan.

Pure code: plain data in, plain data out. It imports neither Flask nor the models, and no
other sip_meeting module. Word lists, patterns, thresholds, severities and every message in
Swedish and English live in TOML files under ``data/``; a municipality may override any part
with its own file or folder of files (``load_rules(path)``), merged table by table over the
built-in data (a list or a value replaces the built-in one whole).

The plan snapshot, the contract with the rest of the app (strings are "" when empty, dates
are ISO "YYYY-MM-DD" or "")::

    {
      "participants": [{"id": 1, "name": "Sara", "organisation": "Skolan",
                        "role": "guardian|child|relative|professional|coordinator|"
                                "interpreter|chair|observer",
                        "principal": "municipality|region|other|family"}],
      "sections": {"questions": str, "situation_works": str, "situation_difficult": str,
                   "child_voice": str,
                   "child_participation": "present|part|heard_before|views_brought|"
                                          "not_taking_part|",
                   "child_views_brought_by": str, "child_told_by": str, "strengths": str,
                   "lead_principal": "municipality|region|", "lead_person": str,
                   "contact_between": str, "followup_date": str, "followup_form": str,
                   "followup_convener": str, "others_part": "none|"},
      "goals": [{"id": 3, "kind": "long|short", "text": str}],
      "actions": [{"id": 7, "what": str, "responsible_participant_id": int | None,
                   "responsible": str, "organisation": str,
                   "principal": "municipality|region|other|family|", "due_date": str,
                   "decision_date": str, "when_note": str,
                   "status": "planned|decided|ongoing|done|cancelled", "goal_id": int | None,
                   "depends_on_id": int | None, "family_part": str,
                   "condition_fallback": str, "carried_over": bool}],
      "consents": [{"id": 2, "given_by": str, "form": "oral|written|", "given_at": str,
                    "organisations": str, "information": str, "exclusions": str,
                    "valid_until": str, "withdrawn_at": str, "withdrawn_scope": str}],
      "overrides": [{"rule": "followup_date", "reason": str, "item_id": int | None}],
    }

Missing keys are read as empty. ``sections.others_part`` is "none" when the meeting recorded
that no one but the municipality and the region has a part; an action's ``carried_over`` is
true when an earlier, frozen version of the plan already held it; a consent may also carry
``valid_until``, ``withdrawn_at`` and ``withdrawn_scope``.

The day: ``check_plan``'s ``today`` is the meeting's day. A consent must hold on it (not
expired, not wholly withdrawn), and the follow-up must come after it, within
``followup_months``.

Done and cancelled actions: one carried over from an earlier version gets no findings; one
added in this meeting is still asked who and when.

Overrides: ``check_plan`` always reports every finding, so the chair still sees what was
overridden. With ``at_close`` (or through ``close_severities``) each finding has its close
severity. ``close_blockers(findings, overrides)`` lists what still stops the close: the
blockers an override does not set aside. An override names one item: the rule and the
action's ``item_id``, or ``item_id`` null for one plan-level item; it never reaches the same
rule on another action. Rules in ``NOT_OVERRIDABLE`` (a plan without any action) cannot be
set aside. ``completeness`` counts what was set aside as satisfied.

Completeness: the percent of satisfied items out of nine plan items (lead principal, lead
person, consent, follow-up date, child participation, strengths, at least one goal, at least
one action, what others than the municipality and the region do) plus four per open action
(what, who, when, principal); an item is satisfied when no finding of its rules remains.
"""

from __future__ import annotations

import functools

from .core import Finding, RuleError, Rules
from .lint import lint_text
from .loader import RULE_IDS, load_rules
from .plan import check_plan
from .summary import (
    NOT_OVERRIDABLE,
    accepted_conditions,
    blocking,
    close_blockers,
    close_severities,
    completeness,
    is_overridden,
)


@functools.cache
def default_rules() -> Rules:
    """Return the built-in rule set, loaded once."""
    return load_rules()


__all__ = [
    "NOT_OVERRIDABLE",
    "RULE_IDS",
    "Finding",
    "RuleError",
    "Rules",
    "accepted_conditions",
    "blocking",
    "check_plan",
    "close_blockers",
    "close_severities",
    "completeness",
    "default_rules",
    "is_overridden",
    "lint_text",
    "load_rules",
]
