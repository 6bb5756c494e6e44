"""The `sip-meeting` commands that others rely on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from sip_meeting import planning
from sip_meeting.db import atomic
from sip_meeting.demo import DEMO_EMAIL, seed_demo
from sip_meeting.models import Chair, Meeting, Participant, Plan


def test_demo_is_idempotent_and_prints_working_links(runner, client, query):
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "Demo created." in first.output and "already present" in second.output
    links = [line.split()[-1] for line in first.output.splitlines() if "Join link" in line]
    assert len(links) == 5
    assert links == [line.split()[-1] for line in second.output.splitlines()
                     if "Join link" in line]
    # Alva's scheduled meeting; Nils's closed first meeting and his booked follow-up
    assert query(lambda s: s.scalar(select(func.count(Meeting.id)))) == 3
    assert query(lambda s: s.scalar(select(func.count(Participant.id)))) == 15
    token = links[0].rsplit("/", 1)[1]
    assert client.get(f"/j/{token}").status_code == 302


def test_demo_has_a_closed_meeting_frozen_as_version_one(runner, query):
    from sip_meeting.models import PlanVersion

    runner.invoke(args=["demo"])
    statuses = query(lambda s: [(m.plan.child_name, m.kind, m.status)
                                for m in s.scalars(select(Meeting).order_by(Meeting.id))])
    assert statuses == [("Alva", "first", "draft"), ("Nils", "first", "closed"),
                        ("Nils", "followup", "draft")]
    version = query(lambda s: s.scalar(select(PlanVersion)))
    closed_at = query(lambda s: s.scalar(select(Meeting.closed_at).where(
        Meeting.status == "closed")))
    assert version.number == 1 and len(version.snapshot["actions"]) == 4
    # dated by the meeting that closed ten days before the demo was made, not by today
    assert version.created_at == closed_at
    assert datetime.fromisoformat(version.snapshot["frozen_at"]) == closed_at
    assert [c["action_id"] for c in version.snapshot["accepted_conditions"]]
    assert version.snapshot["consents"] and version.snapshot["sections"]["followup_date"]


def test_demo_has_five_participants_of_different_kinds(runner, query):
    runner.invoke(args=["demo"])
    people = query(lambda s: [(p.role, p.principal) for p in s.scalars(
        select(Participant).where(Participant.meeting_id == 1))])
    assert {r for r, _ in people} >= {"guardian", "professional"}
    assert {p for _, p in people} >= {"family", "municipality", "region"}


@pytest.mark.parametrize("today", [date(2026, 11, 23) + timedelta(days=n) for n in range(7)],
                         ids=lambda d: d.strftime("%A"))
def test_demo_meetings_fall_on_working_days_whatever_day_it_is_created(app, query, today):
    with app.app_context():
        with atomic() as session:
            seed_demo(session, app.config["SECRET_KEY"], today=today)
    days = query(lambda s: [m.starts_at.astimezone(planning.STOCKHOLM).date()
                            for m in s.scalars(select(Meeting))]
                 + [p.followup_date for p in s.scalars(select(Plan))
                    if p.followup_date is not None])
    assert len(days) == 4
    assert [d for d in days if d.weekday() >= 5] == []


def test_demo_chair_can_log_in(runner, client):
    output = runner.invoke(args=["demo"]).output
    password = output.split("password: ")[1].split()[0]
    response = client.post("/login", data={"email": DEMO_EMAIL, "password": password})
    assert response.status_code == 302


def test_meetings_json_lists_every_meeting(runner, make_meeting):
    meeting = make_meeting()
    result = runner.invoke(args=["meetings", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows == [{"id": meeting.id, "plan_id": meeting.plan_id, "child_name": "Alva",
                     "status": "draft", "starts_at": meeting.starts_at.isoformat()}]


def test_create_chair(runner, query):
    result = runner.invoke(args=["create-chair", "New@Example.se", "--name", "Ny"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert query(lambda s: s.scalar(select(Chair.email))) == "new@example.se"
    again = runner.invoke(args=["create-chair", "new@example.se"],
                          input="a long enough password\na long enough password\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_chair_refuses_short_password(runner, query):
    result = runner.invoke(args=["create-chair", "x@example.se"], input="short\nshort\n")
    assert result.exit_code != 0
    assert query(lambda s: s.scalar(select(func.count(Chair.id)))) == 0


def test_installed_command_migrates_seeds_and_lists(tmp_path):
    """Run the real console script against a new instance folder, as `make run` does."""
    exe = Path(sys.executable).with_name("sip-meeting")
    env = {**os.environ, "SIP_MEETING_INSTANCE_PATH": str(tmp_path)}
    env.pop("SIP_MEETING_DATABASE_URL", None)
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([exe, *args], env=env, check=True, capture_output=True, timeout=60)
    listed = subprocess.run([exe, "meetings", "--json"], env=env, check=True,
                            capture_output=True, text=True, timeout=60)
    rows = json.loads(listed.stdout)
    assert sorted((r["child_name"], r["status"]) for r in rows) == [
        ("Alva", "draft"), ("Nils", "closed"), ("Nils", "draft")]
    assert (tmp_path / "sip_meeting.sqlite").exists() and (tmp_path / "secret_key").exists()


def test_demo_family_link_opens_the_closed_plan(runner, client):
    output = runner.invoke(args=["demo"]).output
    link = [line.split()[-1] for line in output.splitlines() if "Family link" in line][0]
    response = client.get(link.split("localhost")[-1].replace("http://127.0.0.1:5000", ""))
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert page.status_code == 200 and "Nils" in page.get_data(as_text=True)
    assert client.get("/m/2/plan.docx").status_code == 200


def test_serve_runs_on_gevent_and_answers(live_server):
    """The shipped server patches for gevent first, then serves pages (see __main__.py)."""
    assert requests.get(f"{live_server.url}/login", timeout=5).status_code == 200
    assert "(async mode gevent)" in live_server.output()


@pytest.mark.parametrize(("argv", "mode", "patches"), [
    (["sip-meeting", "serve"], None, True),
    (["sip-meeting", "serve", "--port", "5001"], "gevent", True),
    (["sip-meeting", "serve"], "threading", False),
    (["sip-meeting", "demo"], None, False),
    (["sip-meeting"], None, False),
])
def test_only_serving_with_gevent_patches_the_standard_library(monkeypatch, argv, mode, patches):
    from sip_meeting.__main__ import serving_with_gevent

    if mode is None:
        monkeypatch.delenv("SIP_MEETING_SOCKETIO_ASYNC_MODE", raising=False)
    else:
        monkeypatch.setenv("SIP_MEETING_SOCKETIO_ASYNC_MODE", mode)
    assert serving_with_gevent(argv) is patches


def test_serve_refuses_gevent_chosen_where_it_cannot_patch_first(tmp_path):
    """gevent chosen in config.py is read too late to patch: say where to choose it."""
    from sip_meeting import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SOCKETIO_ASYNC_MODE": "gevent",
                      "INSTANCE_PATH": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "SIP_MEETING_SOCKETIO_ASYNC_MODE" in result.output


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path):
    """Another program listens on the port: one clear line and a failing exit, no traceback."""
    exe = Path(sys.executable).with_name("sip-meeting")
    env = {**os.environ, "SIP_MEETING_INSTANCE_PATH": str(tmp_path),
           "SIP_MEETING_SECRET_KEY": "busy-port-test"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Serving on" not in done.stdout and "Traceback" not in done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0]
