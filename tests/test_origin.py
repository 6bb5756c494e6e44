"""Live connections from another site are refused by the real server."""

from __future__ import annotations

import pytest
import requests
import socketio


def _connect(server, origin: str) -> socketio.Client:
    http = requests.Session()
    http.get(server.join_links["Sara Berg"], allow_redirects=False)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client = socketio.Client(reconnection=False)
    # Long-polling, so the Origin header given here is the only one sent.
    client.connect(server.url, namespaces=["/live"], transports=["polling"], wait_timeout=5,
                   headers={"Cookie": cookie, "Origin": origin},
                   auth={"meeting": server.meeting_id, "view": "device"})
    return client


def test_same_origin_connects_and_another_site_is_refused(live_server):
    client = _connect(live_server, live_server.url)
    assert client.connected
    client.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(live_server, "http://evil.example")
