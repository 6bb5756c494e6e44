"""Register the blueprints and what every template needs."""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

from . import (
    admin,
    auth,
    chair,
    glossary_views,
    handover,
    invitations,
    labels,
    oidc,
    retention_views,
    room,
    sharing,
    staff_invites,
    stats_views,
    versions_views,
)
from .i18n import format_local_date, format_when
from .models import Participant


class DatabaseInt(IntegerConverter):
    """An id in a URL: a larger number than the database holds is simply not found."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Attach every blueprint and the template helpers."""
    app.url_map.converters["int"] = DatabaseInt
    app.register_blueprint(auth.bp)
    app.register_blueprint(oidc.bp)
    app.register_blueprint(chair.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(room.bp)
    app.register_blueprint(glossary_views.bp)
    app.register_blueprint(handover.bp)
    app.register_blueprint(versions_views.bp)
    app.register_blueprint(stats_views.bp)
    app.register_blueprint(retention_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(staff_invites.bp)
    labels.init_app(app)
    glossary_views.init_app(app)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["audit_value"] = audit_value
    app.jinja_env.filters["format_date"] = format_short_date
    app.jinja_env.globals["family_first"] = family_first
    app.after_request(add_security_headers)


def format_short_date(value) -> str:
    """Format a day briefly in the reader's language ("5 feb. 2027", "5 Feb 2027")."""
    return format_local_date(value, "medium")


def audit_value(value) -> str:
    """Show a value from the audit history as plain text."""
    if value is None:
        return "–"
    if isinstance(value, dict):
        return "; ".join(f"{v}" for v in value.values() if v not in (None, ""))
    return str(value)


def family_first(participants: list[Participant]) -> list[Participant]:
    """Order participants with the family first, as the meeting does when presenting."""
    return sorted(participants, key=lambda p: (not p.is_family, p.position))


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# Browsers keep https for a year, on every subdomain, once a production page said so.
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE = "no-store"


def add_security_headers(response):
    """Keep pages self-contained: no third-party content, no framing, no referrer leaks.

    Nothing but the static files is kept in a cache: pages, documents and calendar files
    carry the child's plan and personal links, and a shared or borrowed computer must not
    show them again from its cache. A view that serves public reference data may mark its
    response ``public`` (the glossary's JSON does) and keeps it.
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static" and not response.cache_control.public:
        response.headers["Cache-Control"] = NO_STORE
    if current_app.config["MODE"] == "production" and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
