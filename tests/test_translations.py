"""Every message is translated; the interface switches language completely."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGS = Path(__file__).parent.parent / "sip_meeting" / "translations"


def _read(path: Path, locale: str | None = None):
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_catalog_is_complete_and_not_fuzzy(lang):
    catalog = _read(CATALOGS / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    template = _read(CATALOGS / "messages.pot")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    missing = {m.id for m in template if m.id} - {m.id for m in catalog if m.id}
    problems += [f"missing from catalog: {m!r}" for m in sorted(map(str, missing))]
    assert problems == []


def test_catalog_covers_every_message_in_the_code(tmp_path):
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = Path(__file__).parent.parent
    with open(root / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = {msg[2] if isinstance(msg[2], str) else msg[2][0]
             for msg in extract_from_dir(root, method_map, options_map, keywords=keywords)
             if not str(msg[0]).startswith((".venv", "tests"))}
    template = {m.id if isinstance(m.id, str) else m.id[0]
                for m in _read(CATALOGS / "messages.pot") if m.id}
    assert found - template == set(), "run `make extract-messages` and translate"


@pytest.mark.parametrize("header,expected", [
    ("sv-SE,sv;q=0.9", "Logga in som mötesledare"),
    ("en-GB,en;q=0.9", "Log in as chair"),
    ("de-DE", "Logga in som mötesledare"),  # Swedish when nothing else fits
    ("", "Logga in som mötesledare"),
])
def test_browser_language_then_swedish(client, header, expected):
    body = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert expected in body


def test_language_switch_is_remembered(client):
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert "Log in as chair" in client.get("/login", headers={"Accept-Language": "sv"}).get_data(
        as_text=True)
    client.post("/language", data={"lang": "sv"})
    assert "Logga in" in client.get("/login").get_data(as_text=True)


def test_chair_preference_is_stored(client, make_chair, login, query):
    from sip_meeting.models import Chair

    make_chair()
    login()
    client.post("/language", data={"lang": "en"})
    assert query(lambda s: s.query(Chair).one().locale) == "en"
    assert "My meetings" in client.get("/").get_data(as_text=True)


def test_dates_are_formatted_for_the_locale(client, make_chair, login, make_meeting):
    make_chair()
    login()
    meeting = make_meeting()
    sv = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert " kl. 13:00" in sv
    client.post("/language", data={"lang": "en"})
    en = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert " at 13:00" in en
