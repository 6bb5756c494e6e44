"""Plain data types for the glossary: terms, their texts and recognised matches."""

from __future__ import annotations

from dataclasses import dataclass, field

LANGS = ("sv", "en")
ORGANISATIONS = ("municipality", "region", "school", "insurance", "other")


class GlossaryError(Exception):
    """Raised when the glossary data cannot be loaded; the message names file and problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class TermText:
    """One language's words and explanations for a term."""

    headword: str
    forms: tuple[str, ...]
    synonyms: tuple[str, ...]
    explanation: str
    question: str

    def all_forms(self) -> tuple[str, ...]:
        """Return the headword, its forms and the synonyms, headword first."""
        return (self.headword, *self.forms, *self.synonyms)


@dataclass(frozen=True, slots=True)
class Source:
    """Where the law says something about a term; kept as data so it is easy to correct."""

    law: str
    section: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    """A glossary entry in both languages, with its meaning per kind of organisation."""

    id: str
    sv: TermText
    en: TermText
    meanings: dict[str, dict[str, str]] = field(default_factory=dict)
    related: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    file: str = ""

    def text(self, lang: str) -> TermText:
        """Return the texts in the given language ("sv" or "en")."""
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
        return self.sv if lang == "sv" else self.en

    def meaning(self, organisation: str, lang: str) -> str | None:
        """Return what the term means in one kind of organisation, if that differs."""
        return self.meanings.get(organisation, {}).get(lang)


@dataclass(frozen=True, slots=True)
class Match:
    """A recognised term: character offsets into the text and the text as written there."""

    term: str
    start: int
    end: int
    form: str

    def as_dict(self) -> dict[str, str | int]:
        """Return the match as a JSON-ready mapping."""
        return {"term": self.term, "start": self.start, "end": self.end, "form": self.form}
