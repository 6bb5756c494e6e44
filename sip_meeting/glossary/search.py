"""Forgiving search over headwords, forms and synonyms in both languages."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from .terms import LANGS, Term

MIN_PREFIX = 3
MIN_FUZZY_RATIO = 0.75
# Scores for how a query meets a key; a key in the wanted language and a headword rank higher.
EXACT, PREFIX, INFIX, FUZZY = 100.0, 70.0, 45.0, 60.0
HEADWORD_BONUS, OTHER_LANGUAGE_PENALTY = 5.0, 8.0


def fold(text: str) -> str:
    """Lower-case, drop diacritics ("vårdplan" -> "vardplan") and collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("-", " ").split())


@dataclass(frozen=True, slots=True)
class Key:
    """One searchable spelling of a term."""

    text: str
    term_id: str
    lang: str
    headword: bool


class SearchIndex:
    """Rank terms against a query typed by a person."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.keys: list[Key] = []
        for term in terms:
            for lang in LANGS:
                text = term.text(lang)
                self.keys.append(Key(fold(text.headword), term.id, lang, True))
                self.keys += [
                    Key(fold(form), term.id, lang, False) for form in text.all_forms()[1:]
                ]

    def rank(self, query: str, lang: str) -> list[str]:
        """Return the ids of matching terms, best first."""
        wanted = fold(query)
        if not wanted:
            return []
        best: dict[str, float] = {}
        for key in self.keys:
            score = score_key(wanted, key.text)
            if score <= 0:
                continue
            score += HEADWORD_BONUS if key.headword else 0.0
            score -= 0.0 if key.lang == lang else OTHER_LANGUAGE_PENALTY
            best[key.term_id] = max(score, best.get(key.term_id, 0.0))
        return sorted(best, key=lambda term_id: (-best[term_id], term_id))


def score_key(query: str, key: str) -> float:
    """Score how well a folded query meets one folded key; 0 means no match."""
    if query == key:
        return EXACT
    if len(query) >= MIN_PREFIX and key.startswith(query):
        # A prefix covering more of the key is a better guess.
        return PREFIX + 20.0 * len(query) / len(key)
    if len(query) >= MIN_PREFIX and f" {query}" in f" {key}":
        return INFIX + 10.0 * len(query) / len(key)
    matcher = SequenceMatcher(None, query, key, autojunk=False)
    if matcher.real_quick_ratio() < MIN_FUZZY_RATIO or matcher.quick_ratio() < MIN_FUZZY_RATIO:
        return 0.0
    ratio = matcher.ratio()
    if ratio >= MIN_FUZZY_RATIO:
        return FUZZY * ratio + 20.0 * (ratio - MIN_FUZZY_RATIO)
    return 0.0
