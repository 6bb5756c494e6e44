"""The public glossary: search, the list from A to Ö, one page per term and its JSON.

The glossary is public information, so these pages need no login. The data is loaded once at
start-up; a broken glossary file stops the application with a message naming the file.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .glossary import LANGS, ORGANISATIONS, Glossary, Term, load_glossary
from .glossary.search import fold
from .i18n import current_language

bp = Blueprint("glossary", __name__, url_prefix="/glossary")

EXTENSION = "sip_glossary"
MAX_QUERY = 100
MAX_SUGGESTIONS = 5
MIN_SUGGESTION_RATIO = 0.67
JSON_CACHE = "public, max-age=3600"
ORGANISATION_LABELS = {
    "municipality": _l("Municipality"),
    "region": _l("Region"),
    "school": _l("School"),
    "insurance": _l("Social Insurance Agency"),
    "other": _l("Other organisation"),
}
# Swedish sorts å, ä and ö after z, in that order.
SWEDISH_LAST = {"å": "z\u0001", "ä": "z\u0002", "ö": "z\u0003"}


def init_app(app: Flask) -> None:
    """Load the glossary once; raise GlossaryError, naming the file, when the data is wrong."""
    app.extensions[EXTENSION] = load_glossary(app.config.get("GLOSSARY_PATH"))


def get_glossary() -> Glossary:
    """Return the glossary the application loaded at start-up."""
    return current_app.extensions[EXTENSION]


def reader_language() -> str:
    """Return the reader's language as a glossary language code."""
    lang = current_language()
    return lang if lang in LANGS else LANGS[0]


def other_language(lang: str) -> str:
    """Return the glossary's other language."""
    return next(code for code in LANGS if code != lang)


def sort_key(headword: str, lang: str) -> str:
    """Return a key that orders headwords as a dictionary in that language does."""
    text = headword.casefold()
    if lang == "sv":
        text = "".join(SWEDISH_LAST.get(char, char) for char in text)
    return fold(text)


def initial(headword: str, lang: str) -> str:
    """Return the letter a headword is listed under."""
    first = headword[:1].casefold()
    if not (lang == "sv" and first in SWEDISH_LAST):
        first = fold(first)[:1] or first
    return first.upper()


def letter_groups(glossary: Glossary, lang: str) -> list[tuple[str, list[Term]]]:
    """Return every term in dictionary order, grouped under its first letter."""
    groups: dict[str, list[Term]] = {}
    ordered = sorted(glossary.terms.values(), key=lambda t: sort_key(t.text(lang).headword, lang))
    for term in ordered:
        groups.setdefault(initial(term.text(lang).headword, lang), []).append(term)
    return list(groups.items())


def suggest_terms(glossary: Glossary, query: str, lang: str) -> list[Term]:
    """Return terms spelt a little like the query, for when the search found nothing."""
    wanted = fold(query)
    if len(wanted) < 3:
        return []
    scores: dict[str, float] = {}
    for term in glossary.terms.values():
        for code in LANGS:
            # A word from the reader's own language wins a tie.
            bonus = 0.01 if code == lang else 0.0
            for key in map(fold, term.text(code).all_forms()):
                ratio = max(SequenceMatcher(None, wanted, key).ratio(),
                            SequenceMatcher(None, wanted, key[: len(wanted)]).ratio())
                if ratio >= MIN_SUGGESTION_RATIO:
                    scores[term.id] = max(ratio + bonus, scores.get(term.id, 0.0))
    best = sorted(scores, key=lambda term_id: (-scores[term_id], term_id))
    return [glossary.terms[term_id] for term_id in best[:MAX_SUGGESTIONS]]


def related_terms(glossary: Glossary, term: Term) -> list[Term]:
    """Return the terms a term refers to, skipping any that are not in the glossary."""
    return [glossary.terms[i] for i in term.related if i in glossary.terms]


def meanings(term: Term, lang: str) -> list[dict[str, str]]:
    """Return the term's meaning per kind of organisation, in the order organisations are listed."""
    return [
        {"org": org, "label": str(ORGANISATION_LABELS[org]), "text": text}
        for org in ORGANISATIONS
        if (text := term.meaning(org, lang))
    ]


def term_payload(glossary: Glossary, term: Term, lang: str) -> dict:
    """Return one term in one language as the live meeting pages read it."""
    text = term.text(lang)
    with force_locale(lang):
        term_meanings = meanings(term, lang)
    return {
        "id": term.id,
        "headword": text.headword,
        "explanation": text.explanation,
        "question": text.question,
        "meanings": term_meanings,
        "related": [{"id": r.id, "headword": r.text(lang).headword}
                    for r in related_terms(glossary, term)],
        "sources": [{"law": s.law, "section": s.section, "note": s.note} for s in term.sources],
    }


@bp.get("")
def index():
    """Show the search box with its results, or every term from A to Ö."""
    glossary, lang = get_glossary(), reader_language()
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    results = glossary.search(query, lang) if query else []
    suggestions = suggest_terms(glossary, query, lang) if query and not results else []
    return render_template(
        "glossary/index.html", query=query, results=results, suggestions=suggestions,
        groups=letter_groups(glossary, lang), lang=lang, other=other_language(lang),
    )


@bp.get("/<term_id>")
def term(term_id: str):
    """Show one term: its explanation, its meaning per organisation and the question to ask."""
    glossary, lang = get_glossary(), reader_language()
    found = glossary.get(term_id)
    if found is None:
        abort(404)
    return render_template(
        "glossary/term.html", term=found, text=found.text(lang), lang=lang,
        other=other_language(lang),
        meanings=meanings(found, lang), related=related_terms(glossary, found),
    )


@bp.get("/<term_id>.json")
def term_json(term_id: str):
    """Return one term as JSON in the language asked for (?lang=sv|en), or the reader's."""
    glossary = get_glossary()
    found = glossary.get(term_id)
    if found is None:
        return jsonify(error="unknown term"), 404
    lang = request.args.get("lang", "")
    response = jsonify(term_payload(glossary, found, lang if lang in LANGS else reader_language()))
    response.headers["Cache-Control"] = JSON_CACHE
    if lang not in LANGS:
        response.vary.add("Accept-Language")  # the language came from the browser
    return response
