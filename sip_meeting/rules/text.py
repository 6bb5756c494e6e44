"""Tokens, phrase patterns and the compiled text detector built from the data files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN_RE = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
# Punctuation that ends a clause; the first four also end a sentence.
SENTENCE_ENDS = frozenset(".!?…")
BREAKS = SENTENCE_ENDS | frozenset(",;:()[]–—\"”“")


@dataclass(frozen=True)
class Tok:
    """A word or punctuation mark with its offsets in the text."""

    text: str
    low: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """Return True for a word, False for punctuation."""
        return self.text[0].isalnum() or self.text[0] == "_"


def tokenize(text: str) -> list[Tok]:
    """Split text into words and punctuation marks, keeping offsets."""
    return [Tok(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def phrase_pattern(phrases: list[str]) -> re.Pattern[str]:
    """Compile phrases into one case-insensitive whole-word pattern, longest first."""
    unique = sorted({" ".join(p.split()) for p in phrases if p.strip()}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in unique)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _any_of(regexes: list[str]) -> str:
    return "|".join(f"(?:{r})" for r in regexes)


@dataclass(frozen=True)
class MatchRules:
    """When a marker word is not a condition: words before it and words after it."""

    after_word: re.Pattern[str]
    after_near: re.Pattern[str]
    after_verb: re.Pattern[str]
    after_phrase: re.Pattern[str]
    before: re.Pattern[str]

    @classmethod
    def build(cls, spec: dict[str, list[str]]) -> MatchRules:
        """Compile the five lists of one marker's exceptions."""
        return cls(
            after_word=re.compile(_any_of(spec["not_after_word"])),
            after_near=re.compile(_any_of(spec["not_after_near"])),
            after_verb=re.compile(_any_of(spec["not_after_verb"])),
            after_phrase=re.compile(rf"(?:^|\s)(?:{_any_of(spec['not_after_phrase'])})$"),
            before=re.compile(_any_of(spec["not_before"])),
        )


@dataclass(frozen=True)
class Grammar:
    """Small closed word classes used to recognise clauses."""

    sv_finite: frozenset[str]
    sv_not_verbs: frozenset[str]
    sv_subjects: frozenset[str]
    sv_prepositions: frozenset[str]
    adverbial_starts: frozenset[str]
    sv_clause_stops: frozenset[str]
    sv_subordinators: frozenset[str]
    en_finite: frozenset[str]
    en_subjects: frozenset[str]


@dataclass(frozen=True)
class Detector:
    """Everything the text rules need, compiled once when the rules are loaded."""

    hedge: re.Pattern[str]
    hedge_not_after: re.Pattern[str]
    hedge_not_before: re.Pattern[str]
    plain: re.Pattern[str]
    om: re.Pattern[str]
    if_: re.Pattern[str]
    clause: re.Pattern[str]
    inverted: frozenset[str]
    om_rules: MatchRules
    if_rules: MatchRules
    grammar: Grammar


def build_detector(data: dict[str, Any]) -> Detector:
    """Compile the detector from merged, validated rule data."""
    cond = data["conditional"]
    lower = {k: frozenset(w.lower() for w in v) for k, v in data["grammar"].items()}
    return Detector(
        hedge=phrase_pattern(data["hedge"]["phrases"]),
        hedge_not_after=re.compile(_any_of(data["hedge"]["not_after"])),
        hedge_not_before=re.compile(_any_of(data["hedge"]["not_before"])),
        plain=phrase_pattern(cond["plain"]),
        om=phrase_pattern(cond["om"]),
        if_=phrase_pattern(cond["if"]),
        clause=phrase_pattern(cond["clause"]),
        inverted=frozenset(w.lower() for w in cond["inverted"]),
        om_rules=MatchRules.build(cond["om_rules"]),
        if_rules=MatchRules.build(cond["if_rules"]),
        grammar=Grammar(**lower),
    )


def sv_finite(tok: Tok, g: Grammar, initial: bool = False) -> bool:
    """Guess whether a Swedish word is a finite verb, from a list and then from its ending."""
    w = tok.low
    if w in g.sv_finite:
        return True
    if w in g.sv_not_verbs or not w.isalpha() or len(w) < 4:
        return False
    if tok.text[0].isupper() and not initial:
        return False  # a capital inside a sentence is a name or an abbreviation
    if w.endswith(("ande", "ende", "ningar", "eringar")):
        return False  # nouns and participles: "boende", "mående", "funderingar"
    if w.endswith(("ar", "er", "ir", "år", "är", "ör", "yr", "ade", "dde", "tte")):
        return True
    # Passive forms: "beviljas", "erbjuds", "följs", "skrivs", "läggs", "avslås", "utförs".
    passive = (w.endswith(("as", "ds", "js", "vs", "gs", "ls", "tts", "ås", "örs", "ärs"))
               and w != "förstås")
    return passive and not w.endswith(("nas", "ans"))


def sv_subject(tok: Tok, g: Grammar) -> bool:
    """Guess whether a Swedish word can start a subject: pronoun, name or definite noun."""
    if not tok.is_word:
        return False
    if tok.low in g.sv_subjects or tok.text[0].isupper():
        return True
    w = tok.low
    if w in g.sv_not_verbs or len(w) < 5:
        return False
    # Definite nouns ("skolan", "rektorn") and their genitives ("barnets behov").
    return w.endswith(("en", "et", "an", "na", "orn")) or (
        len(w) >= 6 and w.endswith(("ens", "ets", "ans", "nas", "orns")))


def en_subject(tok: Tok, g: Grammar) -> bool:
    """Guess whether an English word can start a subject."""
    return tok.is_word and (tok.low in g.en_subjects or tok.text[0].isupper())
