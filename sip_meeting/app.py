"""The application factory: configuration, then each part, then the routes."""

from __future__ import annotations

import os

from flask import Flask, Request, abort
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
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
    app.session_interface = _OncePerEnvironSessionInterface()
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
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=app.config["ALLOWED_ORIGINS"],
        # Each socket's events run in order, not each in a task of its own.
        async_handlers=app.config["SOCKETIO_ASYNC_HANDLERS"],
    )
    # Registered after init_app so that it binds to this app's server (and wins over any
    # namespace a previous app of the same process registered).
    socketio.on_namespace(LiveNamespace(app, "/live"))
    _match_socket_path(app)
    return app


def _match_socket_path(app: Flask) -> None:
    """Give the Socket.IO path a URL rule, so that socket events' request contexts match it.

    Every socket event runs in a request context built from the socket's handshake, and Flask
    matches its path against the URL map. Without a rule the match raises NotFound, and the
    exception's traceback ties the context, its request and the whole call stack into a
    reference cycle: about 80 objects per event that only the garbage collector frees, whose
    full passes then stop every meeting of the process for tens of milliseconds. The
    Socket.IO middleware answers this path before Flask, so the view is never reached.
    """
    def answered_by_socketio() -> None:
        abort(404)

    # The handshake over polling, and the one that opens a WebSocket.
    app.add_url_rule("/socket.io/", "socketio", answered_by_socketio, strict_slashes=False)
    app.add_url_rule("/socket.io/", "socketio", answered_by_socketio, strict_slashes=False,
                     websocket=True)


class _OncePerEnvironSessionInterface(SecureCookieSessionInterface):
    """Verify and decode a session cookie once per WSGI environ, not once per request context.

    A socket's events each run in a request context built from the socket's handshake, so the
    same cookie was checked and decoded again for every event, only for Flask-SocketIO to use
    the copy it made at the socket's first event. The handshake's environ lives as long as the
    socket; an ordinary request has an environ of its own and opens its session once anyway.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        environ = request.environ
        if "sip_meeting.session" not in environ:
            environ["sip_meeting.session"] = super().open_session(app, request)
        return environ["sip_meeting.session"]
