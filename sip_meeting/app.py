"""The application factory: configuration, then each part, then the routes."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access, annotations, cli, db, errors, i18n, logs, views
from .config import load_config
from .events import LiveNamespace
from .extensions import csrf, limiter, socketio


def create_app(test_config: dict | None = None) -> Flask:
    """Create the application: configuration, then each part, then the routes."""
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "SIP_MEETING_INSTANCE_PATH")
    app = Flask("sip_meeting", instance_relative_config=True, instance_path=instance)
    load_config(app, test_config)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logs.init_app(app)
    db.init_app(app)
    annotations.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        cors_allowed_origins=app.config["ALLOWED_ORIGINS"],
        # Each socket's events run in order, not each in a task of its own.
        async_handlers=app.config["SOCKETIO_ASYNC_HANDLERS"],
    )
    # Registered after init_app so that it binds to this app's server (and wins over any
    # namespace a previous app of the same process registered).
    socketio.on_namespace(LiveNamespace(app, "/live"))
    return app
