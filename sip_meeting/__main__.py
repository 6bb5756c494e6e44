"""The `sip-meeting` command: Flask's command line bound to this application."""

from __future__ import annotations

import os
import sys


def serving_with_gevent(argv: list[str]) -> bool:
    """Tell whether this command serves live meetings with gevent (the shipped async mode)."""
    mode = os.environ.get("SIP_MEETING_SOCKETIO_ASYNC_MODE", "gevent")
    return argv[1:2] == ["serve"] and mode == "gevent"


def main() -> None:
    """Run the sip-meeting command line."""
    if serving_with_gevent(sys.argv):
        # Before anything else is imported: sockets, locks, SMTP and psycopg then cooperate
        # with gevent's loop instead of blocking it.
        from gevent import monkey

        monkey.patch_all()
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(name="sip-meeting", create_app=create_app, help=__doc__)()


if __name__ == "__main__":
    main()
