"""Counts read right in both languages: "1 fråga", "2 frågor", never "1 frågor"."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from sip_meeting.db import atomic
from sip_meeting.live_messages import error_message
from sip_meeting.live_strings import live_strings
from sip_meeting.models import Meeting

# Texts whose number is a position or a share, not a count of things.
NOT_COUNTS = {"order.step_of", "plan.item.goal", "plan.item.action", "plan.item.consent",
              "plan.moved", "plan.item_option", "meter.percent"}


def _strings(app, lang: str) -> dict[str, str]:
    with app.test_request_context(), force_locale(lang):
        return live_strings()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_count_on_the_live_pages_has_both_forms(app, lang):
    strings = _strings(app, lang)
    counted = {key.rsplit(".", 1)[0] for key in strings if key.endswith(".one")}
    for key in counted:
        assert f"{key}.one" in strings and f"{key}.other" in strings, key
        assert key not in strings, key
    plain = {key for key, text in strings.items() if re.search(r"%\(n\)[sd]", text)
             and key.rsplit(".", 1)[0] not in counted}
    assert plain <= NOT_COUNTS, plain - NOT_COUNTS


@pytest.mark.parametrize("lang,key,one,other", [
    ("sv", "flag.count", "%(n)s fråga", "%(n)s frågor"),
    ("en", "flag.count", "%(n)s question", "%(n)s questions"),
    ("sv", "announce.changes", "%(n)s ändring i planen", "%(n)s ändringar i planen"),
    ("en", "announce.changes", "%(n)s change in the plan", "%(n)s changes in the plan"),
    ("sv", "meter.overridden", "%(n)s lagd åt sidan med skäl", "%(n)s lagda åt sidan med skäl"),
])
def test_the_forms_come_from_the_catalog(app, lang, key, one, other):
    strings = _strings(app, lang)
    assert (strings[f"{key}.one"], strings[f"{key}.other"]) == (one, other)


@pytest.mark.parametrize("lang,key,n,text", [
    ("sv", "too_many_items", 1, "Listan är full: högst 1 rad."),
    ("sv", "too_many_items", 30, "Listan är full: högst 30 rader."),
    ("en", "too_many_items", 1, "The list is full: at most 1 item."),
    ("en", "too_long", 1, "The text is too long: at most 1 character."),
    ("en", "too_long", 200, "The text is too long: at most 200 characters."),
])
def test_refusals_count_in_the_right_form(app, lang, key, n, text):
    with app.test_request_context(), force_locale(lang):
        assert error_message(key, max=n) == text


def test_a_meeting_of_one_minute_is_not_one_minutes(app, client, make_chair, login, make_meeting):
    make_chair()
    login()
    meeting = make_meeting()
    with app.app_context(), atomic() as session:
        session.execute(update(Meeting).where(Meeting.id == meeting.id)
                        .values(duration_minutes=1))
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "(1 minut)" in page and "1 minuter" not in page
