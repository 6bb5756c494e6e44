"""Recognise glossary terms in running text with one precompiled regular expression.

Forms are compiled into a character trie, so the engine follows one branch per character
instead of trying hundreds of alternatives at every position. Greedy optional branches make
the longest form win; the word-boundary guards stop matches inside longer words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .terms import Match, Term

_END = ""  # trie key marking that a form ends at this node
_SPACE = " "  # stands for any run of whitespace in the text


def is_exact_case(form: str) -> bool:
    """Tell whether a form is an abbreviation matched by case ("SoL", "BUP", "SIP:en")."""
    return any(char.isupper() for char in form[1:])


def case_variants(form: str) -> set[str]:
    """Return the spellings an exact-case form is matched in: as written and in capitals."""
    return {form, form.upper()}


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return " ".join(text.split())


class Recogniser:
    """Find the forms of one language's terms in text."""

    def __init__(self, terms: Iterable[Term], lang: str) -> None:
        self.exact: dict[str, str] = {}
        self.folded: dict[str, str] = {}
        for term in terms:
            for form in term.text(lang).all_forms():
                self._add(normalise_space(form), term.id)
        self.pattern = compile_pattern(self.exact, self.folded)

    def _add(self, form: str, term_id: str) -> None:
        if is_exact_case(form):
            for variant in case_variants(form):
                self.exact[variant] = term_id
        else:
            self.folded[form.lower()] = term_id

    def find(self, text: str) -> list[Match]:
        """Return the non-overlapping matches in text order, longest form first."""
        matches = []
        for found in self.pattern.finditer(text):
            key = normalise_space(found.group())
            term_id = self.exact.get(key) or self.folded.get(key.lower())
            if term_id is not None:
                matches.append(Match(term_id, found.start(), found.end(), found.group()))
        return matches


def compile_pattern(exact: Iterable[str], folded: Iterable[str]) -> re.Pattern[str]:
    """Build the whole-word pattern: exact-case forms first, the rest case-insensitive."""
    branches = []
    if exact:
        branches.append(f"(?-i:{trie_regex(build_trie(exact))})")
    if folded:
        branches.append(trie_regex(build_trie(folded)))
    if not branches:
        return re.compile(r"(?!)")
    return re.compile(rf"(?<!\w)(?:{'|'.join(branches)})(?!\w)", re.IGNORECASE)


def build_trie(forms: Iterable[str]) -> dict:
    """Build a nested-dict character trie of the forms."""
    root: dict = {}
    for form in forms:
        node = root
        for char in form:
            node = node.setdefault(char, {})
        node[_END] = {}
    return root


def trie_regex(node: dict) -> str:
    """Turn a trie node into a regular expression that prefers the longest path."""
    ends_here = _END in node
    branches = [
        (r"\s+" if char == _SPACE else re.escape(char)) + trie_regex(child)
        for char, child in sorted(node.items())
        if char != _END
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if ends_here:
        # A greedy optional group tries the longer continuation first and falls back.
        return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"
    return body
