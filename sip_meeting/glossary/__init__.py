"""The glossary: words that mean different things in different organisations.

Pure code: plain data in, plain data out. It imports neither Flask nor the models.
"""

from __future__ import annotations

from .store import Glossary, check_glossary, default_glossary_path, load_glossary
from .terms import LANGS, ORGANISATIONS, GlossaryError, Match, Source, Term, TermText

__all__ = [
    "LANGS",
    "ORGANISATIONS",
    "Glossary",
    "GlossaryError",
    "Match",
    "Source",
    "Term",
    "TermText",
    "check_glossary",
    "default_glossary_path",
    "load_glossary",
]
