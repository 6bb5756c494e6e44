"""The server's side of a plan's dates: year-month-day within the plan's span, said plainly."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from sip_meeting import fields as F
from sip_meeting.live_messages import error_message


def test_the_schema_tells_the_browser_the_span():
    assert F.SCHEMA["action"]["due_date"].describe() == {
        "type": "date", "min": "2000-01-01", "max": "2100-12-31"}


@pytest.mark.parametrize("value", ["2027-W06-5", "20270205", "2027-2-5", "２０２７-02-05",
                                   "2027-02-30", "2027-02-0", 20270205])
def test_only_a_calendar_day_written_year_month_day_is_a_date(value):
    with pytest.raises(F.InvalidValue) as refused:
        F.clean(F.DATE, value)
    assert refused.value.args[0] == "bad_date"


@pytest.mark.parametrize("value", ["0002-02-05", "0202-02-05", "1999-12-31", "2101-01-01"])
def test_a_year_outside_the_span_is_refused_with_the_span(app, value):
    with pytest.raises(F.InvalidValue) as refused:
        F.clean(F.DATE, value)
    key, params = refused.value.args
    assert key == "date_range"
    with app.test_request_context(), force_locale("sv"):
        assert error_message(key, **params) == (
            "Välj ett datum mellan 1 januari 2000 och 31 december 2100.")


def test_the_ends_of_the_span_and_clearing_are_accepted():
    assert F.clean(F.DATE, "2000-01-01") == date(2000, 1, 1)
    assert F.clean(F.DATE, "2100-12-31") == date(2100, 12, 31)
    assert F.clean(F.DATE, "") is None
