"""sip-meeting: run SIP meetings around a child, writing one shared plan live.

The package imports nothing else when it is imported, so that `sip-meeting serve` can let
gevent patch the standard library before Flask, SQLAlchemy or psycopg are loaded
(docs/decisions/0006).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Create the application (see app.py)."""
    from .app import create_app as build

    return build(test_config)
