"""Logging that keeps secrets and personal data out of log files."""

from __future__ import annotations

import logging
import re

from flask import Flask

_JOIN_PATH = re.compile(r"/j/[A-Za-z0-9_\-]+")


class RedactJoinLinks(logging.Filter):
    """Replace join tokens in logged request lines: a token in a log is a key left lying around."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/j/" in message:
            record.msg = _JOIN_PATH.sub("/j/[redacted]", message)
            record.args = None
        return True


def init_app(app: Flask) -> None:
    """Attach the redacting filter to the loggers that write request lines."""
    redact = RedactJoinLinks()
    for name in ("werkzeug", "engineio.server", "socketio.server", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactJoinLinks) for f in logger.filters):
            logger.addFilter(redact)
