"""What cannot be undone asks first: removing a participant and stopping a link.

Each is a page of its own with a form, so it works without JavaScript and by keyboard.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sip_meeting.models import Participant


@pytest.fixture
def invited(client, make_chair, login, make_meeting, make_participant):
    make_chair()
    login()
    meeting = make_meeting()
    participant, _token = make_participant(meeting, name="Karin Holm", role="professional",
                                           principal="municipality")
    return meeting, participant


def _forms_posting_to(page: str, path: str) -> list[str]:
    return re.findall(rf'<form method="post" action="{re.escape(path)}"', page)


@pytest.mark.parametrize("what,question,yes", [
    ("remove", "Ta bort Karin Holm från mötet?", "Ja, ta bort Karin Holm"),
    ("revoke", "Stoppa länken för Karin Holm?", "Ja, stoppa länken"),
])
def test_the_meeting_page_leads_to_a_question_not_straight_to_the_change(
        client, invited, query, what, question, yes):
    meeting, participant = invited
    path = f"/meetings/{meeting.id}/participants/{participant.id}/{what}"
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert _forms_posting_to(page, path) == []          # no button changes anything at once
    assert f'href="{path}"' in page

    asked = client.get(path)
    assert asked.status_code == 200
    body = asked.get_data(as_text=True)
    assert f"<h1>{question}</h1>" in body
    assert len(_forms_posting_to(body, path)) == 1
    assert re.search(rf'<button type="submit"[^>]*>{re.escape(yes)}</button>', body)
    assert f'href="/meetings/{meeting.id}#participants">Avbryt</a>' in body
    # Asking changed nothing.
    still = query(lambda s: s.get(Participant, participant.id))
    assert still is not None and still.token_revoked_at is None


def test_answering_yes_removes_and_stops(client, invited, query):
    meeting, participant = invited
    base = f"/meetings/{meeting.id}/participants/{participant.id}"
    assert client.post(f"{base}/revoke").status_code == 302
    assert query(lambda s: s.get(Participant, participant.id).token_revoked_at) is not None
    # With the link stopped there is nothing more to stop: the question is not asked.
    assert client.get(f"{base}/revoke").status_code == 302
    assert client.post(f"{base}/remove").status_code == 302
    assert query(lambda s: s.scalars(select(Participant)).all()) == []


def test_another_chairs_participant_is_not_found(client, make_chair, login, make_meeting,
                                                 make_participant):
    make_chair()
    login()
    other = make_meeting(chair=make_chair("other@example.se"))
    participant, _token = make_participant(other)
    for what in ("remove", "revoke"):
        url = f"/meetings/{other.id}/participants/{participant.id}/{what}"
        assert client.get(url).status_code == 404
