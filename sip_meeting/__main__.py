"""The `sip-meeting` command: Flask's command line bound to this application."""

from __future__ import annotations

from flask.cli import FlaskGroup

from . import create_app


def main() -> None:
    """Run the sip-meeting command line."""
    FlaskGroup(name="sip-meeting", create_app=create_app, help=__doc__)()


if __name__ == "__main__":
    main()
