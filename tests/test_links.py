"""Personal join links: long, random, stored hashed, revocable and expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sip_meeting import planning
from sip_meeting.db import atomic, utcnow
from sip_meeting.models import Meeting, Participant
from sip_meeting.security import hash_token


def test_token_is_long_random_and_only_its_hash_is_stored(make_meeting, make_participant, query):
    meeting = make_meeting()
    _, token = make_participant(meeting)
    _, other = make_participant(meeting, name="Ahmed")
    assert len(token) >= 43 and token != other  # 32 random bytes, url-safe
    stored = query(lambda s: [p.token_hash for p in s.scalars(select(Participant))])
    assert hash_token(token) in stored and token not in stored


def test_valid_link_opens_the_invitation_without_the_token_in_the_address(client, make_meeting,
                                                                          make_participant):
    meeting = make_meeting()
    _, token = make_participant(meeting)
    response = client.get(f"/j/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/m/{meeting.id}"
    page = client.get(f"/m/{meeting.id}/invitation").get_data(as_text=True)
    assert "Välkommen, Sara Berg." in page


def _same_friendly_page(client, token: str) -> None:
    response = client.get(f"/j/{token}")
    assert response.status_code == 404
    assert "Länken fungerar inte" in response.get_data(as_text=True)


def test_unknown_link_gets_friendly_page(client, make_meeting):
    make_meeting()
    _same_friendly_page(client, "x" * 43)


def test_revoked_link_is_refused_and_session_ends(app, client, make_meeting, make_participant):
    meeting = make_meeting()
    participant, token = make_participant(meeting)
    client.get(f"/j/{token}")
    with app.app_context(), atomic() as session:
        p = session.get(Participant, participant.id)
        planning.revoke_link(session, p.meeting.chair, p)
    _same_friendly_page(client, token)
    assert client.get(f"/m/{meeting.id}").status_code == 404


def test_new_link_replaces_the_old_one(app, client, make_meeting, make_participant):
    meeting = make_meeting()
    participant, old = make_participant(meeting)
    with app.app_context(), atomic() as session:
        p = session.get(Participant, participant.id)
        new = planning.issue_link(session, p.meeting.chair, p)
    _same_friendly_page(client, old)
    assert client.get(f"/j/{new}").status_code == 302


@pytest.mark.parametrize("closed_days_ago,works", [(None, True), (29, True), (31, False)])
def test_link_expires_configured_days_after_close(app, client, make_meeting, make_participant,
                                                  closed_days_ago, works):
    meeting = make_meeting()
    _, token = make_participant(meeting)
    if closed_days_ago is not None:
        with app.app_context(), atomic() as session:
            m = session.get(Meeting, meeting.id)
            m.status, m.closed_at = "closed", utcnow() - timedelta(days=closed_days_ago)
    if works:
        assert client.get(f"/j/{token}").status_code == 302
    else:
        _same_friendly_page(client, token)


def test_token_of_one_meeting_is_useless_for_another(client, make_meeting, make_participant):
    first, second = make_meeting(child="Alva"), make_meeting(child="Nils")
    _, token = make_participant(first)
    client.get(f"/j/{token}")
    assert client.get(f"/m/{first.id}").status_code == 200
    assert client.get(f"/m/{second.id}").status_code == 404
    assert client.get(f"/m/{second.id}/invitation.ics").status_code == 404
    assert client.get(f"/meetings/{second.id}").status_code == 302  # chair pages need login


def test_chair_can_revoke_and_reissue_from_the_meeting_page(client, make_chair, login,
                                                            make_meeting, make_participant):
    make_chair()
    login()
    meeting = make_meeting()
    participant, token = make_participant(meeting)
    base = f"/meetings/{meeting.id}/participants/{participant.id}"
    client.post(f"{base}/revoke")
    response = client.post(f"{base}/link")
    body = response.get_data(as_text=True)
    from conftest import extract_token

    new = extract_token(body)
    assert new != token and "<svg" in body
    client.post("/logout")
    _same_friendly_page(client, token)
    assert client.get(f"/j/{new}").status_code == 302


def test_join_link_is_not_written_to_the_log(caplog):
    import logging

    from sip_meeting.logs import RedactJoinLinks

    logger = logging.getLogger("werkzeug")
    logger.addFilter(RedactJoinLinks())
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - "GET /j/%s HTTP/1.1" 302 -', "127.0.0.1", "A" * 43)
    assert "A" * 43 not in caplog.text and "/j/[redacted]" in caplog.text
