"""WSGI entry point: `app` for servers that import one."""

from sip_meeting import create_app

app = create_app()
