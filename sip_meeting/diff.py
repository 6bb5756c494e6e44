"""What changed between two frozen versions of a plan, in a form a reader can follow.

Both inputs are version snapshots (see ``versions.py``). Goals, actions and consents are
matched by id, so an edited action shows up as changed, not as removed and added again.
Long texts also get a word-level inline diff, so a reader sees what changed inside a
paragraph. Values stay as stored (choice keys, ISO dates); the page translates them.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

# Texts at least this long (in either version) get an inline word diff...
LONG_TEXT = 40
# ...unless so little is kept that before and after side by side read better.
MIN_KEPT = 0.4
# Fields that are bookkeeping, not content: never reported.
IGNORED = {"id", "position"}
# An action's responsible person is compared by name: participants are new in every meeting,
# so their ids differ between versions even when the person is the same. Their role follows
# the person and is missing from older versions.
ACTION_IGNORED = IGNORED | {"responsible_participant_id", "responsible", "responsible_role"}
# Reference fields of an action, shown by what they point to.
ACTION_REFS = {"goal_id": ("goals", "text"), "depends_on_id": ("actions", "what")}
ITEM_NAMES = {"goals": "text", "actions": "what", "consents": "given_by"}
# Words and punctuation marks, each with the whitespace before it.
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
_SPACE = re.compile(r"\s*")


def diff_versions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Describe what changed from version `old` to version `new` of the same plan."""
    result = {
        "old_version": old.get("version"),
        "new_version": new.get("version"),
        "sections": diff_fields(old.get("sections") or {}, new.get("sections") or {}),
        "goals": diff_items(old.get("goals") or [], new.get("goals") or [], "text"),
        "actions": _diff_actions(old, new),
        "consents": diff_items(old.get("consents") or [], new.get("consents") or [],
                               "given_by"),
        "accepted_conditions": _diff_conditions(old.get("accepted_conditions") or [],
                                                new.get("accepted_conditions") or []),
        "explanations": _diff_explanations(old.get("explanations") or [],
                                           new.get("explanations") or []),
    }
    result["unchanged"] = not result["sections"] and not any(
        any(result[key].values())
        for key in ("goals", "actions", "consents", "accepted_conditions", "explanations")
    )
    return result


def diff_fields(old: dict[str, Any], new: dict[str, Any],
                ignore: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """List the fields whose value differs, in the newer version's order, with before/after."""
    names = list(new) + [name for name in old if name not in new]
    changes = []
    for name in names:
        if name in IGNORED or name in ignore:
            continue
        before, after = _norm(old.get(name)), _norm(new.get(name))
        if before != after:
            changes.append(field_change(name, before, after))
    return changes


def field_change(name: str, before: Any, after: Any) -> dict[str, Any]:
    """Describe one changed field; long texts carry an inline word diff in ``words``."""
    return {"field": name, "before": before, "after": after, "words": word_diff(before, after)}


def word_diff(before: Any, after: Any) -> list[dict[str, str]] | None:
    """Diff two long texts word by word; None for short, new or rewritten texts and choices.

    Returns segments ``{"op": "equal" | "delete" | "insert", "text": ...}`` whose "equal" and
    "insert" texts, joined, give the new text, and whose "equal" and "delete" texts give the
    old one (up to whitespace around changed words).
    """
    if not (isinstance(before, str) and isinstance(after, str) and before and after):
        return None
    if max(len(before), len(after)) < LONG_TEXT:
        return None
    old_tokens, new_tokens = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in old_tokens],
                                      [t.strip() for t in new_tokens], autojunk=False)
    if matcher.ratio() < MIN_KEPT:
        return None
    segments: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, inserted = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        if op == "equal":
            _append(segments, "equal", inserted)
            continue
        if inserted:
            # The space before a new word is not itself new: keep it outside the mark.
            space = _SPACE.match(inserted).group()
            if space and (not removed or removed.startswith(space)):
                _append(segments, "equal", space)
                removed, inserted = removed[len(space):], inserted[len(space):]
        _append(segments, "delete", removed)
        _append(segments, "insert", inserted)
    return segments


def diff_items(old: list[dict[str, Any]], new: list[dict[str, Any]], name_field: str,
               ignore: set[str] | frozenset[str] = frozenset()) -> dict[str, list]:
    """Match list items by id and report those added, removed and changed (field by field)."""
    old_by_id = {item.get("id"): item for item in old}
    new_ids = {item.get("id") for item in new}
    added, changed = [], []
    for item in new:
        before = old_by_id.get(item.get("id"))
        if before is None:
            added.append(item)
            continue
        fields = diff_fields(before, item, ignore)
        if fields:
            changed.append({"id": item.get("id"), "name": _norm(item.get(name_field)),
                            "item": item, "fields": fields})
    removed = [item for item in old if item.get("id") not in new_ids]
    return {"added": added, "removed": removed, "changed": changed}


def _diff_actions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list]:
    """Diff actions; references are shown by name and a status change is called out apart."""
    old_actions = [_resolve_refs(a, old) for a in old.get("actions") or []]
    new_actions = [_resolve_refs(a, new) for a in new.get("actions") or []]
    result = diff_items(old_actions, new_actions, "what", ACTION_IGNORED)
    for change in result["changed"]:
        status = next((f for f in change["fields"] if f["field"] == "status"), None)
        change["status"] = status and {"before": status["before"], "after": status["after"]}
        change["fields"] = [f for f in change["fields"] if f["field"] != "status"]
    result["status_changes"] = [
        {"id": c["id"], "name": c["name"], **c["status"]} for c in result["changed"]
        if c["status"]
    ]
    return result


def _resolve_refs(action: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """Replace an action's goal and dependency ids with what they point to in that version."""
    out = dict(action)
    for field, (collection, name_field) in ACTION_REFS.items():
        ref = action.get(field)
        if ref is None or ref == "":
            out[field] = ""
            continue
        target = next((item for item in snapshot.get(collection) or []
                       if item.get("id") == ref), None)
        out[field] = _norm(target.get(name_field)) if target else f"#{ref}"
    return out


def _diff_conditions(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list]:
    """Report accepted conditions (an "if" with a fallback) that appeared or went away."""
    old_ids = {c.get("action_id") for c in old}
    new_ids = {c.get("action_id") for c in new}
    return {"added": [c for c in new if c.get("action_id") not in old_ids],
            "removed": [c for c in old if c.get("action_id") not in new_ids]}


def _diff_explanations(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list]:
    """Report word explanations agreed since the older version (and any no longer there)."""
    def key(e: dict[str, Any]) -> tuple[str, str]:
        return (_norm(e.get("word")), _norm(e.get("text")))

    old_keys, new_keys = {key(e) for e in old}, {key(e) for e in new}
    return {"added": [e for e in new if key(e) not in old_keys],
            "removed": [e for e in old if key(e) not in new_keys]}


def _append(segments: list[dict[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1]["op"] == op:
        segments[-1]["text"] += text
    else:
        segments.append({"op": op, "text": text})


def _norm(value: Any) -> Any:
    """Treat a missing value and an empty one alike."""
    return "" if value is None else value
