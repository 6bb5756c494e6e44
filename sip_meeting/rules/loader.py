"""Read the rule data files, merge a municipality's override over them, validate, compile."""

from __future__ import annotations

import os
import re
import string
import tomllib
from pathlib import Path
from typing import Any

from .core import LANGS, PLACEHOLDERS, SEVERITIES, RuleError, Rules, RuleText
from .text import build_detector, phrase_pattern

DATA_DIR = Path(__file__).parent / "data"

RULE_IDS = (
    "action_what", "action_who", "who_unnamed", "who_role", "action_when", "date_past",
    "date_format", "vague_time", "vague_who", "conditional", "hedge", "action_principal",
    "action_goal", "load_family", "load_party", "dependency_order", "lead_principal",
    "lead_person", "consent", "consent_expired", "consent_withdrawn", "followup_date",
    "followup_not_after", "followup_too_far", "child_participation", "strengths", "goals",
    "actions", "others_part",
)
POSINT, PHRASES, REGEXES, SEVERITY, LANGTEXT = "posint", "phrases", "regexes", "sev", "langtext"
_MATCH_RULES = {k: REGEXES for k in ("not_after_word", "not_after_near", "not_after_verb",
                                      "not_after_phrase", "not_before")}
_RULE_SPEC = {"severity": SEVERITY, "severity_at_close": SEVERITY, "message": LANGTEXT,
              "suggestion": LANGTEXT}
SCHEMA: dict[str, Any] = {
    "thresholds": {"family": POSINT, "party": POSINT},
    "rules": {rule: _RULE_SPEC for rule in RULE_IDS},
    "words": {k: PHRASES for k in ("vague_what", "vague_who", "organisations", "roles",
                                   "vague_time", "family_roles")},
    "hedge": {"phrases": PHRASES, "not_after": REGEXES, "not_before": REGEXES},
    "conditional": {"plain": PHRASES, "om": PHRASES, "if": PHRASES, "clause": PHRASES,
                    "inverted": PHRASES, "om_rules": _MATCH_RULES, "if_rules": _MATCH_RULES},
    "grammar": {k: PHRASES for k in ("sv_finite", "sv_not_verbs", "sv_subjects",
                                     "sv_prepositions", "adverbial_starts", "sv_clause_stops",
                                     "sv_subordinators", "en_finite", "en_subjects")},
}
_OPTIONAL = {"severity_at_close"}


def load_rules(override_path: str | os.PathLike[str] | None = None) -> Rules:
    """Load the built-in rules, merge a municipality's file or folder over them, and compile."""
    files = _toml_files(DATA_DIR)
    if override_path is not None:
        files += _toml_files(Path(override_path))
    merged: dict[str, Any] = {}
    for path in files:
        data = _read(path)
        _check(data, SCHEMA, path, "")
        _merge(merged, data)
    sources = ", ".join(str(p) for p in files)
    _check_complete(merged, SCHEMA, sources, "")
    return _compile(merged, tuple(str(p) for p in files))


def _toml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    if path.is_file():
        return [path]
    raise RuleError(f"rules file {path}: no such file or directory")


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"rules file {path}: {exc}") from exc


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    # Tables merge key by key; a list or a value replaces the earlier one whole.
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _check(data: Any, spec: Any, path: Path, where: str) -> None:
    if isinstance(spec, dict):
        if not isinstance(data, dict):
            raise RuleError(f"rules file {path}: {where} must be a table")
        for key, value in data.items():
            name = f"{where}.{key}" if where else key
            if key not in spec:
                raise RuleError(f"rules file {path}: unknown key {name}")
            _check(value, spec[key], path, name)
        return
    problem = _value_problem(data, spec)
    if problem:
        raise RuleError(f"rules file {path}: {where} {problem}")


def _value_problem(data: Any, kind: str) -> str:
    if kind == POSINT:
        ok = isinstance(data, int) and not isinstance(data, bool) and data > 0
        return "" if ok else "must be a positive integer"
    if kind == SEVERITY:
        return "" if data in SEVERITIES else f"must be one of {', '.join(SEVERITIES)}"
    if kind == LANGTEXT:
        return _langtext_problem(data)
    if not isinstance(data, list) or not all(isinstance(x, str) and x.strip() for x in data):
        return "must be a list of non-empty strings"
    if kind == REGEXES:
        for item in data:
            try:
                re.compile(item)
            except re.error as exc:
                return f"has a bad regular expression {item!r}: {exc}"
    return ""


def _langtext_problem(data: Any) -> str:
    if not isinstance(data, dict):
        return "must be a table of languages"
    missing = [lang for lang in LANGS if not isinstance(data.get(lang), str) or not data[lang]]
    if missing:
        return f"is missing language {', '.join(missing)}"
    extra = sorted(set(data) - set(LANGS))
    if extra:
        return f"has unknown language {', '.join(extra)}"
    for text in data.values():
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            return f"has a bad placeholder: {exc}"
        if names - PLACEHOLDERS:
            return f"has unknown placeholder {', '.join(sorted(names - PLACEHOLDERS))}"
    return ""


def _check_complete(data: dict[str, Any], spec: dict[str, Any], sources: str, where: str) -> None:
    for key, sub in spec.items():
        name = f"{where}.{key}" if where else key
        if key not in data:
            if key in _OPTIONAL:
                continue
            raise RuleError(f"rules file {sources}: missing {name}")
        if isinstance(sub, dict):
            _check_complete(data[key], sub, sources, name)


def _compile(data: dict[str, Any], sources: tuple[str, ...]) -> Rules:
    texts = {
        rule: RuleText(
            severity=spec["severity"],
            severity_at_close=spec.get("severity_at_close", spec["severity"]),
            message=dict(spec["message"]),
            suggestion=dict(spec["suggestion"]),
        )
        for rule, spec in data["rules"].items()
    }
    words = {k: frozenset(_norm(w) for w in v) for k, v in data["words"].items()}
    return Rules(
        thresholds=dict(data["thresholds"]),
        texts=texts,
        words=words,
        detector=build_detector(data),
        vague_time=phrase_pattern(data["words"]["vague_time"]),
        sources=sources,
    )


def _norm(text: str) -> str:
    return " ".join(text.lower().split())
