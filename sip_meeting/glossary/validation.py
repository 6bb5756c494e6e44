"""Check raw glossary data (as read from TOML) and turn it into terms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .terms import LANGS, ORGANISATIONS, Source, Term, TermText

MAX_EXPLANATION_WORDS = 40
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A form must begin and end with a letter or digit so that whole-word matching is well defined.
FORM_PATTERN = re.compile(r"\w(?:.*\w)?", re.DOTALL)
TERM_KEYS = {"id", "sv", "en", "meanings", "related", "sources"}
TEXT_KEYS = {"headword", "forms", "synonyms", "explanation", "question"}
SOURCE_KEYS = {"law", "section", "note"}


def form_key(form: str) -> str:
    """Return the key under which two spellings of a form count as the same."""
    return " ".join(form.split()).lower()


def check_file(name: str, data: dict[str, Any]) -> tuple[list[str], list[Term]]:
    """Check one parsed file; return its problems and the terms that passed."""
    problems = [f"{name}: unknown top-level key {key!r}" for key in data if key != "term"]
    raw_terms = data.get("term", [])
    if not isinstance(raw_terms, list):
        return [*problems, f"{name}: 'term' must be an array of tables ([[term]])"], []
    terms = []
    for index, raw in enumerate(raw_terms, start=1):
        term_problems, term = check_term(name, index, raw)
        problems.extend(term_problems)
        if term is not None:
            terms.append(term)
    return problems, terms


def check_term(name: str, index: int, raw: Any) -> tuple[list[str], Term | None]:
    """Check one [[term]] table and build the term if it is sound."""
    if not isinstance(raw, dict):
        return [f"{name}: term #{index} is not a table"], None
    term_id = raw.get("id")
    if not isinstance(term_id, str) or not ID_PATTERN.fullmatch(term_id):
        where = f"{name}: term #{index}"
        return [f"{where}: 'id' must be an ascii slug like 'extra-anpassningar'"], None
    where = f"{name}: term {term_id!r}"
    problems = [f"{where}: unknown key {key!r}" for key in raw if key not in TERM_KEYS]
    texts = {}
    for lang in LANGS:
        lang_problems, texts[lang] = check_text(f"{where} [{lang}]", raw.get(lang))
        problems.extend(lang_problems)
    meaning_problems, meanings = check_meanings(where, raw.get("meanings", {}))
    related_problems, related = check_string_list(where, "related", raw.get("related", []))
    source_problems, sources = check_sources(where, raw.get("sources", []))
    problems += meaning_problems + related_problems + source_problems
    if term_id in related:
        problems.append(f"{where}: lists itself as related")
    if problems:
        return problems, None
    term = Term(term_id, texts["sv"], texts["en"], meanings, tuple(related), sources, name)
    return [], term


def check_text(where: str, raw: Any) -> tuple[list[str], TermText | None]:
    """Check one language block of a term."""
    if raw is None:
        return [f"{where}: missing language block"], None
    if not isinstance(raw, dict):
        return [f"{where}: must be a table"], None
    problems = [f"{where}: unknown key {key!r}" for key in raw if key not in TEXT_KEYS]
    values = {}
    for key in ("headword", "explanation", "question"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: {key!r} is missing or empty")
        values[key] = value if isinstance(value, str) else ""
    forms_problems, forms = check_string_list(where, "forms", raw.get("forms", []))
    synonym_problems, synonyms = check_string_list(where, "synonyms", raw.get("synonyms", []))
    problems += forms_problems + synonym_problems
    problems += check_forms(where, [values["headword"], *forms, *synonyms])
    words = len(values["explanation"].split())
    if words > MAX_EXPLANATION_WORDS:
        limit = MAX_EXPLANATION_WORDS
        problems.append(f"{where}: explanation has {words} words; keep it to {limit} or fewer")
    if problems:
        return problems, None
    text = TermText(
        values["headword"], tuple(forms), tuple(synonyms), values["explanation"], values["question"]
    )
    return [], text


def check_forms(where: str, forms: Iterable[str]) -> list[str]:
    """Check that every form can be matched as whole words."""
    return [
        f"{where}: form {form!r} must begin and end with a letter or digit"
        for form in forms
        if form and not FORM_PATTERN.fullmatch(form)
    ]


def check_string_list(where: str, key: str, raw: Any) -> tuple[list[str], list[str]]:
    """Check that a value is a list of non-empty strings."""
    if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
        return [f"{where}: {key!r} must be a list of non-empty strings"], []
    return [], list(raw)


def check_meanings(where: str, raw: Any) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Check the per-organisation meanings: known organisations, both languages."""
    if not isinstance(raw, dict):
        return [f"{where}: 'meanings' must be a table"], {}
    problems = []
    meanings = {}
    for organisation, texts in raw.items():
        if organisation not in ORGANISATIONS:
            known = ", ".join(ORGANISATIONS)
            problems.append(f"{where}: unknown organisation {organisation!r} (use {known})")
            continue
        if not isinstance(texts, dict) or set(texts) != set(LANGS):
            problems.append(f"{where}: meaning for {organisation!r} needs exactly 'sv' and 'en'")
            continue
        if not all(isinstance(text, str) and text.strip() for text in texts.values()):
            problems.append(f"{where}: meaning for {organisation!r} has an empty text")
            continue
        meanings[organisation] = dict(texts)
    return problems, meanings


def check_sources(where: str, raw: Any) -> tuple[list[str], tuple[Source, ...]]:
    """Check the legal sources: each needs a law; section and note are optional text."""
    if not isinstance(raw, list):
        return [f"{where}: 'sources' must be an array of tables ([[term.sources]])"], ()
    problems = []
    sources = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("law"), str) or not item["law"]:
            problems.append(f"{where}: source #{number} needs a 'law'")
            continue
        unknown = [key for key in item if key not in SOURCE_KEYS]
        bad = [key for key in SOURCE_KEYS if key in item and not isinstance(item[key], str)]
        problems += [f"{where}: source #{number} has unknown key {key!r}" for key in unknown]
        problems += [f"{where}: source #{number} {key!r} must be text" for key in bad]
        if not unknown and not bad:
            sources.append(Source(item["law"], item.get("section", ""), item.get("note", "")))
    return problems, tuple(sources)


def check_collection(terms: list[Term]) -> list[str]:
    """Check what spans terms: unique ids, forms claimed once, related terms that exist."""
    problems = []
    seen: dict[str, Term] = {}
    for term in terms:
        if term.id in seen:
            problems.append(
                f"{term.file}: term {term.id!r} is also defined in {seen[term.id].file}"
            )
        seen.setdefault(term.id, term)
    for term in terms:
        problems += [
            f"{term.file}: term {term.id!r}: related term {related!r} does not exist"
            for related in term.related
            if related not in seen
        ]
    for lang in LANGS:
        problems += check_unique_forms(terms, lang)
    return problems


def check_unique_forms(terms: list[Term], lang: str) -> list[str]:
    """Report every form that two different terms claim in the same language."""
    owners: dict[str, Term] = {}
    problems = []
    for term in terms:
        for form in term.text(lang).all_forms():
            owner = owners.setdefault(form_key(form), term)
            if owner.id != term.id:
                problems.append(
                    f"{term.file}: term {term.id!r} [{lang}]: form {form!r} is already claimed"
                    f" by term {owner.id!r} ({owner.file})"
                )
    return problems
