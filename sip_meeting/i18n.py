"""Locale selection and locale-aware formatting."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from babel import dates
from flask import Flask, current_app, g, request, session
from flask_babel import format_time, get_locale, to_user_timezone
from flask_babel import gettext as _

from .extensions import babel

# The locale each language's dates are written in. English is written as in Britain
# ("5 February 2027"), day before month as in Swedish, not as in the United States.
DATE_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def select_locale() -> str:
    """Choose the locale: the person's own choice, then the browser's, then Swedish."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") or getattr(g, "preferred_locale", None)
    if chosen in languages:
        return chosen
    if request:
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """Return the active language code ("sv" or "en")."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def date_locale(lang: str | None = None) -> str:
    """Return the locale dates are written in for a language (the current one by default)."""
    lang = lang or current_language()
    return DATE_LOCALES.get(lang, lang)


def format_local_date(value: date | datetime, width: str = "long") -> str:
    """Format a day in the reader's language: "5 februari 2027", "5 February 2027".

    A moment (datetime) is first taken in Swedish local time; a naive one is read as UTC.
    Call it inside a request or inside ``flask_babel.force_locale``.
    """
    if isinstance(value, datetime):
        value = to_user_timezone(value)
    return dates.format_date(value, width, locale=date_locale())


def format_when(value) -> str:
    """Format a meeting time in Swedish local time for the reader's locale."""
    return _("%(date)s at %(time)s", date=format_local_date(value, "full"),
             time=format_time(value, "HH:mm"))


def slug(value: object, limit: int = 40) -> str:
    """Return a part of a file name: lower-case ASCII letters and digits joined by hyphens."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def file_name(pattern: str, **parts: object) -> str:
    """Fill a translated file name ("kallelse-%(child)s-%(date)s.ics") with safe parts.

    Names, days and numbers become lower-case ASCII words joined by hyphens ("Åsa Öberg" as
    "asa-oberg"), so that the name survives every browser, mail program and file system; an
    empty part leaves no stray hyphen.
    """
    name = pattern % {key: slug(value) for key, value in parts.items()}
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    name = re.sub(r"-{2,}", "-", name).replace("-.", ".")
    return name.strip("-.") or "sip"


def init_app(app: Flask) -> None:
    """Configure Flask-Babel with our locale selector and expose helpers to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = current_language
