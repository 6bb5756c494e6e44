"""What the server stores from a value a browser sent: text cleaned, limits kept."""

from __future__ import annotations

import pytest

from sip_meeting import fields as F

TEXT, LINE = F.SCHEMA["plan"]["strengths"], F.SCHEMA["plan"]["lead_person"]

CLEAN_CASES = [
    (TEXT, "Rad ett\r\nRad två\rRad tre", "Rad ett\nRad två\nRad tre"),
    (TEXT, "Kolumn\tett\n", "Kolumn\tett\n"),
    (TEXT, "Jag vill\x00 \x07gå\x1b[31m hem\x7f", "Jag vill gå[31m hem"),
    (TEXT, "Åsa\u2028Öberg – “citat”", "Åsa\u2028Öberg – “citat”"),
    (LINE, "  Anna\tBerg\r\n", "Anna Berg"),
    (LINE, "Karin\r\nEk", "Karin Ek"),
    (LINE, "Karin\x07Ek", "KarinEk"),
    (TEXT, "", ""),
]


@pytest.mark.parametrize(("field", "value", "stored"), CLEAN_CASES)
def test_text_is_stored_without_control_characters(field, value, stored):
    assert F.clean(field, value) == stored


@pytest.mark.parametrize(("field", "value", "error"), [
    (TEXT, "x" * 4001, "too_long"),
    (LINE, "x" * 201, "too_long"),
    (TEXT, 42, "not_text"),
    (LINE, None, "not_text"),
])
def test_bad_text_is_refused(field, value, error):
    with pytest.raises(F.InvalidValue) as refused:
        F.clean(field, value)
    assert refused.value.args[0] == error


def test_control_characters_do_not_count_towards_the_limit():
    assert F.clean(LINE, "\x00" * 300 + "Anna") == "Anna"
