"""A server killed mid-meeting loses no acknowledged edit; clients carry on after restart."""

from __future__ import annotations

import re

import requests
import socketio


def _chair_session(server) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{server.url}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    http.post(f"{server.url}/login", data={"csrf_token": token, "email": server.chair_email,
                                           "password": server.chair_password})
    return http


def _participant_session(server, name: str) -> requests.Session:
    http = requests.Session()
    http.get(server.join_links[name], allow_redirects=False)
    return http


def _socket(server, http: requests.Session, view: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client.connect(server.url, namespaces=["/live"], headers={"Cookie": cookie},
                   auth={"meeting": server.meeting_id, "view": view}, transports=["websocket"],
                   wait_timeout=10)
    return client


def _call(client: socketio.Client, event: str, payload: dict) -> dict:
    return client.call(event, payload, namespace="/live", timeout=10)


def test_killed_server_keeps_every_acknowledged_edit(live_server):
    chair_http = _chair_session(live_server)
    sara_http = _participant_session(live_server, "Sara Berg")
    sara = _socket(live_server, sara_http, "device")
    chair = _socket(live_server, chair_http, "console")
    assert _call(chair, "start", {"op_id": "start"})["ok"]
    assert _call(chair, "admit", {"op_id": "admit", "participant_id": "all"})["ok"]
    snap = _call(sara, "sync", {"last_seq": None})["snapshot"]
    plan_id = snap["meeting"]["plan_id"]
    acked, value, version = [], "", 0
    for n in range(40):
        value = f"{value} Mening {n}.".strip()
        answer = _call(sara, "edit", {"op_id": f"e{n}", "entity": "plan", "id": plan_id,
                                      "field": "strengths", "base_version": version,
                                      "base": "", "value": value})
        assert answer["ok"], answer
        version = answer["version"]
        acked.append(_call(sara, "add_item", {"op_id": f"a{n}", "entity": "action",
                                              "values": {"what": f"Åtgärd {n}"}})["id"])
    live_server.stop(hard=True)  # SIGKILL: no clean shutdown
    live_server.start()
    sara = _socket(live_server, sara_http, "device")  # the same browser reconnects
    state = _call(sara, "sync", {"last_seq": None})["snapshot"]
    assert state["plan"]["fields"]["strengths"] == {"value": value, "version": version}
    assert [a["id"] for a in state["actions"]] == acked
    # the meeting carries on where it was
    answer = _call(sara, "edit", {"op_id": "after", "entity": "plan", "id": plan_id,
                                  "field": "strengths", "base_version": version, "base": value,
                                  "value": value + " Efter omstart."})
    assert answer["ok"] and answer["version"] == version + 1
    # a resend of an edit acknowledged before the crash is recognised, not applied twice
    again = _call(sara, "add_item", {"op_id": "a39", "entity": "action",
                                     "values": {"what": "Åtgärd 39"}})
    assert again["id"] == acked[-1]
    sara.disconnect()


def test_nobody_shows_as_connected_after_a_crash_once_they_have_left(live_server):
    chair_http = _chair_session(live_server)
    sara_http = _participant_session(live_server, "Sara Berg")
    sara = _socket(live_server, sara_http, "device")
    chair = _socket(live_server, chair_http, "console")
    assert _call(chair, "start", {"op_id": "start"})["ok"]
    assert _call(chair, "admit", {"op_id": "admit", "participant_id": "all"})["ok"]
    before = _call(chair, "sync", {"last_seq": None})["snapshot"]["participants"]
    assert any(p["name"] == "Sara Berg" and p["connected"] for p in before)

    live_server.stop(hard=True)  # SIGKILL: no socket is told, no row is cleaned up
    for client in (sara, chair):
        client.disconnect()
    live_server.start()

    chair = _socket(live_server, chair_http, "console")
    after = _call(chair, "sync", {"last_seq": None})["snapshot"]["participants"]
    assert [p["name"] for p in after if p["connected"]] == []
    chair.disconnect()
