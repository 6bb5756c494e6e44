"""Locale selection and locale-aware formatting."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import format_date, format_time, get_locale
from flask_babel import gettext as _

from .extensions import babel


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


def format_when(value) -> str:
    """Format a meeting time in Swedish local time for the reader's locale."""
    return _("%(date)s at %(time)s", date=format_date(value, "full"),
             time=format_time(value, "HH:mm"))


def init_app(app: Flask) -> None:
    """Configure Flask-Babel with our locale selector and expose helpers to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = current_language
