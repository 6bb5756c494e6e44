"""The plan's history reads as people's words: names and labels, never the stored codes."""

from __future__ import annotations

import html
import re

import pytest

# What the database holds and a reader must never see on its own in a cell.
RAW = {"draft", "open", "live", "closed", "municipality", "region", "family", "oral", "written",
       "guardian", "professional", "planned", "decided", "short", "long", "issued", "revoked",
       "True", "False", "None"}


def _rows(page: str) -> list[list[str]]:
    """The history table's rows as lists of cell texts, each line of a cell on its own."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        rows.append(["\n".join(line.strip() for line in html.unescape(
            re.sub(r"<[^>]+>", "\n", c)).splitlines() if line.strip()) for c in cells])
    return rows


def _lines(rows: list[list[str]]) -> set[str]:
    return {line.strip() for row in rows for cell in row for line in cell.splitlines()
            if line.strip()}


@pytest.fixture
def history(live):
    """A meeting where people were let in, an action named someone who was then removed."""
    live.start()
    sara = live.join()
    per = live.join("Per Holm", role="professional", principal="municipality")
    action = sara.op("add_item", entity="action", values={"what": "Ringa skolan"})["id"]
    for field, value in (("responsible_participant_id", per.participant_id),
                         ("principal", "municipality"), ("due_date", "2027-02-05")):
        assert sara.op("edit", entity="action", id=action, field=field, base_version=0,
                       base=None if field.endswith("_id") else "", value=value)["ok"]
    mine = sara.op("add_item", entity="action", values={"what": "Boka tid hos BUP"})["id"]
    assert sara.op("edit", entity="action", id=mine, field="responsible_participant_id",
                   base_version=0, base=None, value=sara.participant_id)["ok"]
    consent = sara.op("add_item", entity="consent", values={"given_by": "Sara Berg"})["id"]
    assert sara.op("edit", entity="consent", id=consent, field="form", base_version=0,
                   base="", value="oral")["ok"]
    assert live.chair.op("set_step", step=1)["ok"]
    removed = live.chair.http.post(
        f"/meetings/{live.meeting.id}/participants/{per.participant_id}/remove")
    assert removed.status_code == 302

    def read(lang: str = "sv") -> tuple[str, list[list[str]]]:
        live.chair.http.post("/language", data={"lang": lang})
        page = live.chair.http.get(f"/plans/{live.meeting.plan_id}/history")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return text, _rows(text)

    return read, {"sara": sara.participant_id, "per": per.participant_id, "action": action,
                  "consent": consent}


def test_names_and_labels_instead_of_codes(history):
    read, ids = history
    page, rows = read("sv")
    lines = _lines(rows)
    assert not RAW & lines, RAW & lines
    assert not {str(n) for n in ids.values()} & lines           # no ids on their own
    assert "(#" not in page and "→" not in page
    # The responsible person by name; someone removed since is said to be so.
    responsible = {(r[2].splitlines()[-1], r[3], r[4]) for r in rows
                   if r[2].startswith("Ansvarig person")}
    assert ("Åtgärd 2: Boka tid hos BUP", "–", "Sara Berg") in responsible
    assert ("Åtgärd 1: Ringa skolan", "–", "Borttagen deltagare") in responsible
    assert ("Åtgärd 1: Ringa skolan", "Borttagen deltagare", "–") in responsible
    assert ["Inte längre inbjuden\nBorttagen deltagare"] == [
        r[2] for r in rows if r[2].startswith("Inte längre inbjuden")]
    # Choices, dates, statuses and steps in words.
    assert {"Kommun", "Muntligt", "5 februari 2027", "Pågår", "Aktuell situation",
            "Med i mötet"} <= lines
    assert any(line.startswith("Åtgärd 1: Ringa skolan") for line in lines)
    assert "Sara Berg" in {r[1] for r in rows}


def test_the_history_speaks_english_too(history):
    _page, rows = history[0]("en")
    lines = _lines(rows)
    assert not RAW & lines
    assert {"Municipality", "Oral", "In progress", "Removed participant"} <= lines
