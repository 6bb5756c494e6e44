"""Load the glossary from its TOML files and answer questions about it."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from pathlib import Path

from .recognition import Recogniser
from .search import SearchIndex
from .terms import LANGS, GlossaryError, Match, Term
from .validation import check_collection, check_file


def default_glossary_path() -> Path:
    """Return the folder of glossary files at the top of the repository."""
    return Path(__file__).resolve().parent.parent.parent / "glossary"


class Glossary:
    """The loaded terms, with recognition in running text and a forgiving search."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.terms: dict[str, Term] = {term.id: term for term in terms}
        self._recognisers = {lang: Recogniser(self.terms.values(), lang) for lang in LANGS}
        self._index = SearchIndex(self.terms.values())

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, term_id: str) -> Term | None:
        """Return the term with this id, or None."""
        return self.terms.get(term_id)

    def find(self, text: str, lang: str) -> list[Match]:
        """Return every term in text as whole words, longest first, without overlaps."""
        return self._recogniser(lang).find(text)

    def search(self, query: str, lang: str, limit: int = 10) -> list[Term]:
        """Return the terms that best match what a person typed, best first."""
        self._recogniser(lang)
        return [self.terms[term_id] for term_id in self._index.rank(query, lang)[:limit]]

    def _recogniser(self, lang: str) -> Recogniser:
        try:
            return self._recognisers[lang]
        except KeyError:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}") from None


def glossary_files(path: str | os.PathLike[str] | None) -> list[Path]:
    """Return the TOML files at path: a single file or every *.toml in a folder."""
    root = Path(path) if path is not None else default_glossary_path()
    if not root.exists():
        return []
    if root.is_dir():
        return sorted(root.glob("*.toml"))
    return [root]


def read_terms(path: str | os.PathLike[str] | None) -> tuple[list[str], list[Term]]:
    """Read and check every glossary file; return all problems and the sound terms."""
    files = glossary_files(path)
    if not files:
        where = path if path is not None else default_glossary_path()
        return [f"{where}: no glossary file (*.toml) found there"], []
    problems: list[str] = []
    terms: list[Term] = []
    for file in files:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            problems.append(f"{file.name}: cannot read: {error}")
            continue
        file_problems, file_terms = check_file(file.name, data)
        problems += file_problems
        terms += file_terms
    return problems + check_collection(terms), terms


def check_glossary(path: str | os.PathLike[str] | None = None) -> list[str]:
    """Return every problem in the glossary data as a message; empty when it is sound."""
    return read_terms(path)[0]


def load_glossary(path: str | os.PathLike[str] | None = None) -> Glossary:
    """Load and validate the glossary; raise GlossaryError listing every problem."""
    problems, terms = read_terms(path)
    if problems:
        raise GlossaryError(problems)
    return Glossary(terms)
