"""Friendly, translated error pages; never a stack trace for something a user typed."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _page(title: str, text: str, status: int):
    return render_template("error.html", title=title, text=text), status


def handle_http(err: HTTPException):
    """Render an HTTP error in the reader's language."""
    if err.code == 404:
        return _page(_("Page not found"),
                     _("The page does not exist, or you do not have access to it."), 404)
    if err.code == 429:
        return _page(_("Too many attempts"),
                     _("Wait a minute and try again."), 429)
    if err.code == 413:
        return _page(_("Too much data"), _("What you sent is too large."), 413)
    return _page(_("Something went wrong"), _("The request could not be handled."), err.code or 400)


def handle_csrf(_err: CSRFError):
    """Explain an expired or missing form token without technical words."""
    return _page(_("The form has expired"),
                 _("Go back, reload the page and try again."), 400)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
