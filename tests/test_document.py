"""The family's copy of the plan: a structured DOCX document and the same content as a page."""

from __future__ import annotations

import copy
import json
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import docx
import jsonschema
import pytest
from docx.oxml.ns import qn
from flask import render_template, session
from sqlalchemy import select

from sip_meeting import fields as F
from sip_meeting import labels
from sip_meeting.document import build_docx
from sip_meeting.models import PlanVersion

SCHEMA_PATH = Path(__file__).parent.parent / "docs" / "plan-version.schema.json"

ENGLISH_TITLES = [
    "About the meeting", "Who took part", "The meeting's questions", "The situation now",
    "The child's voice", "Strengths", "Goals", "Actions in the plan", "What the family does",
    "Conditions and what happens otherwise", "Consent", "Overall responsibility",
    "Contact between meetings", "Follow-up", "Words explained in the meeting",
    "Left open in the meeting, and why", "Follow-up of earlier actions",
]


def _action(id_: int, what: str, responsible: str, **values) -> dict:
    action = {name: "" for name in F.SCHEMA["action"]}
    action.update(id=id_, what=what, responsible=responsible, responsible_participant_id=None,
                  goal_id=None, depends_on_id=None, status="planned", responsible_name=responsible)
    action.update(values)
    return action


def make_snapshot(**changes) -> dict:
    """Build a version snapshot as versions.version_snapshot() writes it."""
    sections = {name: "" for name in F.SCHEMA["plan"]}
    sections.update(
        situation_works="Alva trivs med sin assistent.",
        situation_difficult="Morgnarna är svåra.\nHon kommer sent till skolan.",
        child_voice="Jag vill ha lugn på rasterna.", child_participation="part",
        child_views_brought_by="Karin Holm", child_told_by="Karin Holm",
        strengths="Nyfiken och envis.", lead_principal="municipality", lead_person="Karin Holm",
        contact_between="Ring Karin Holm på skolan.", followup_date="2027-06-10",
        followup_form="Möte på skolan", followup_convener="Karin Holm",
    )
    snap = {
        "format": "sip-meeting/plan-version/1",
        "plan_id": 4,
        "version": 3,
        "frozen_at": "2027-03-15T14:30:00+00:00",
        "child_name": "Alva",
        "meeting": {
            "id": 9, "kind": "followup", "starts_at": "2027-03-15T12:00:00+00:00",
            "duration_minutes": 90, "place": "Ekbackens skola", "video_link": "",
            "purpose": "Planera stödet i skolan",
            "questions": ["Hur kommer Alva till skolan i tid?", "Vem hjälper till på rasterna?"],
            "chair": "Eva Lund", "started_at": "2027-03-15T12:02:00+00:00",
            "closed_at": "2027-03-15T14:30:00+00:00",
        },
        "participants": [
            {"id": 1, "name": "Sara Berg", "organisation": "", "role": "guardian",
             "principal": "family", "language": "sv", "attendance": "present"},
            {"id": 2, "name": "Karin Holm", "organisation": "Ekbackens skola",
             "role": "professional", "principal": "municipality", "language": "sv",
             "attendance": "present"},
            {"id": 3, "name": "Omar Said", "organisation": "BUP Norr", "role": "professional",
             "principal": "region", "language": "en", "attendance": "absent"},
        ],
        "sections": sections,
        "goals": [{"id": 1, "kind": "long", "text": "Alva går i skolan hela dagar."},
                  {"id": 2, "kind": "short", "text": "Alva kommer i tid tre dagar i veckan."}],
        "actions": [
            _action(11, "Ordna skolskjuts", "Karin Holm", responsible_participant_id=2,
                    organisation="Ekbackens skola", principal="municipality",
                    due_date="2027-04-01", status="decided", goal_id=2,
                    family_part="Sara har Alva klar kl. 7.45."),
            _action(12, "Utreda sömnen", "Omar Said", responsible_participant_id=3,
                    organisation="BUP Norr", principal="region", decision_date="2027-05-20",
                    when_note="Besked per brev", status="planned",
                    condition_fallback="Karin ringer BUP den 21 maj.",
                    review_outcome="started", review_comment="Remissen är skickad."),
            _action(13, "Skriva ner morgonrutinen", "Sara Berg", responsible_participant_id=1,
                    principal="family", when_note="Varje söndag", status="ongoing"),
        ],
        "consents": [{"id": 1, "given_by": "Sara Berg", "form": "oral", "given_at": "2027-03-15",
                      "organisations": "Ekbackens skola, BUP Norr",
                      "information": "Skolsituationen och sömnen", "exclusions": "",
                      "valid_until": "2028-03-15"}],
        "overrides": [{"rule": "action_when", "item_id": 13, "reason": "Tas vid nästa möte",
                       "by": "Eva Lund", "at": "2027-03-15T14:29:00+00:00"}],
        "explanations": [{"word": "insats", "term_id": "insats",
                          "text": "Stöd som kommunen eller regionen beslutar om."}],
        "accepted_conditions": [{"action_id": 12, "what": "Utreda sömnen",
                                 "phrase": "", "fallback": "Karin ringer BUP den 21 maj."}],
    }
    snap.update(changes)
    return snap


def render(app, snapshot: dict, lang: str) -> docx.document.Document:
    with app.app_context():
        data = build_docx(snapshot, lang)
    return docx.Document(BytesIO(data))


def headings(doc, level: int) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    return "\n".join(parts)


def action_table(doc):
    return next(t for t in doc.tables if len(t.columns) == 6)


def test_english_document_has_every_part_in_order(app):
    doc = render(app, make_snapshot(), "en")
    assert headings(doc, 1) == ENGLISH_TITLES
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == ["The plan for Alva"]
    assert {"Present at the meeting", "Not present at the meeting", "Long-term goals",
            "Short-term goals", "Consent 1"} <= set(headings(doc, 2))
    assert doc.paragraphs[-1].text == ("This is version 3 of the plan, written down when the "
                                       "meeting ended on 15 March 2027.")


def test_swedish_document_has_the_same_structure_and_the_plan_data(app):
    doc = render(app, make_snapshot(), "sv")
    assert len(headings(doc, 1)) == len(ENGLISH_TITLES)
    text = all_text(doc)
    for expected in ("Alva", "Ekbackens skola", "Hur kommer Alva till skolan i tid?",
                     "Morgnarna är svåra.", "Jag vill ha lugn på rasterna.", "Nyfiken och envis.",
                     "Alva går i skolan hela dagar.", "Karin ringer BUP den 21 maj.",
                     "Stöd som kommunen eller regionen beslutar om.", "Tas vid nästa möte",
                     "Remissen är skickad.", "Ring Karin Holm på skolan.", "10 juni 2027"):
        assert expected in text


@pytest.mark.parametrize("lang,due,decision", [
    ("en", "By 1 April 2027", "Decision by 20 May 2027"),
    ("sv", "1 april 2027", "20 maj 2027"),
])
def test_every_action_says_what_who_and_when(app, lang, due, decision):
    doc = render(app, make_snapshot(), lang)
    rows = [[c.text for c in row.cells] for row in action_table(doc).rows[1:]]
    assert [(r[0], r[1]) for r in rows] == [("Ordna skolskjuts", "Karin Holm"),
                                            ("Utreda sömnen", "Omar Said"),
                                            ("Skriva ner morgonrutinen", "Sara Berg")]
    assert due in rows[0][3] and decision in rows[1][3] and "Besked per brev" in rows[1][3]
    assert "Varje söndag" in rows[2][3]
    assert rows[0][5] == "Sara har Alva klar kl. 7.45."
    assert "Ekbackens skola" in rows[0][2]


def test_english_labels_in_the_action_table(app):
    doc = render(app, make_snapshot(), "en")
    table = action_table(doc)
    assert [c.text for c in table.rows[0].cells] == [
        "What", "Who", "Organisation", "When", "Status", "What the child or the family does"]
    assert [row.cells[4].text for row in table.rows[1:]] == ["Decided", "Planned", "Ongoing"]
    assert "Municipality" in table.rows[1].cells[2].text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_table_has_a_repeating_header_row(app, lang):
    doc = render(app, make_snapshot(), lang)
    assert len(doc.tables) >= 4  # present, absent, actions, review
    for table in doc.tables:
        rows = table._tbl.tr_lst
        assert rows[0].trPr is not None and rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(r.trPr is None or r.trPr.find(qn("w:tblHeader")) is None for r in rows[1:])
        assert table._tbl.tblPr.find(qn("w:tblCaption")) is not None
        assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)


@pytest.mark.parametrize("lang,code", [("sv", "sv-SE"), ("en", "en-GB")])
def test_language_and_properties_are_set(app, lang, code):
    doc = render(app, make_snapshot(), lang)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(
        qn("w:lang")).get(qn("w:val")) == code
    props = doc.core_properties
    assert props.language == code
    assert "Alva" in props.title
    assert props.version == "3" and "3" in props.keywords
    assert props.created == props.modified == datetime(2027, 3, 15, 14, 30, tzinfo=UTC)
    assert props.author == "Eva Lund" and props.comments == ""
    assert doc.styles["Normal"].font.size.pt >= 12


def test_family_tasks_are_listed_apart(app):
    doc = render(app, make_snapshot(), "en")
    paragraphs = [p.text for p in doc.paragraphs]
    start = paragraphs.index("What the family does")
    end = paragraphs.index("Conditions and what happens otherwise")
    family = "\n".join(paragraphs[start + 1:end])
    assert "Sara har Alva klar kl. 7.45." in family and "Action: Ordna skolskjuts" in family
    assert "Skriva ner morgonrutinen" in family and "Utreda sömnen" not in family


def test_empty_parts_say_so_and_review_is_left_out(app):
    snap = make_snapshot(goals=[], actions=[], consents=[], overrides=[], explanations=[],
                         accepted_conditions=[], sections={n: "" for n in F.SCHEMA["plan"]})
    snap["meeting"]["questions"] = []
    doc = render(app, snap, "en")
    assert headings(doc, 1) == ENGLISH_TITLES[:-1]
    text = all_text(doc)
    assert text.count("Not filled in") >= 15
    for sentence in ("The family has no tasks of its own in this plan.",
                     "No action depends on a condition.", "Nothing was left open.",
                     "No words were explained in this meeting."):
        assert sentence in text
    assert not any(len(t.columns) == 6 for t in doc.tables)


def test_markup_and_control_characters_come_out_as_plain_text(app):
    snap = make_snapshot()
    snap["sections"]["child_voice"] = "<b>Jag</b> vill\x00 & <script>alert(1)</script>\x1b\x7f"
    snap["actions"][0]["what"] = "Ring\x0b <i>skolan</i>\ufffe"
    snap["child_name"] = "Alva\x08"
    with app.app_context():
        data = build_docx(snap, "en")
    doc = docx.Document(BytesIO(data))
    text = all_text(doc)
    assert "<b>Jag</b> vill & <script>alert(1)</script>" in text
    assert "Ring <i>skolan</i>" in text
    assert doc.core_properties.title == "The plan for Alva"
    xml = zipfile.ZipFile(BytesIO(data)).read("word/document.xml").decode()
    assert "&lt;b&gt;Jag&lt;/b&gt;" in xml and "<b>" not in xml


def test_page_shows_the_same_plan(app):
    labels.init_app(app)
    snap = make_snapshot()
    snap["sections"]["strengths"] = "<em>Modig</em>"
    with app.test_request_context("/"):
        session["lang"] = "en"
        html = render_template("plan/print.html", v=snap)
    for title in ENGLISH_TITLES:
        assert title.replace("'", "&#39;") in html
    assert html.count('<th scope="col">') >= 6 + 3 + 3 and "data-print" in html
    assert "&lt;em&gt;Modig&lt;/em&gt;" in html and "<em>Modig" not in html
    assert "Ordna skolskjuts" in html and "By 1 April 2027" in html
    assert "style=" not in html


def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_schema_describes_the_snapshot_and_rejects_a_wrong_one():
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(make_snapshot())
    broken = copy.deepcopy(make_snapshot())
    broken["actions"][0]["status"] = "maybe"
    assert not validator.is_valid(broken)
    del broken["actions"][0]["status"]
    assert not validator.is_valid(broken)


def test_schema_lists_every_field():
    defs = _schema()["$defs"]
    for entity, name in (("plan", "sections"), ("goal", "goal"), ("action", "action"),
                         ("consent", "consent")):
        assert set(F.SCHEMA[entity]) <= set(defs[name]["properties"]), entity


def test_document_of_a_meeting_closed_live(app, live, query):
    live.start()
    sara = live.join()
    karin = live.join("Karin Holm", "professional", "municipality", organisation="Skolan")
    plan_id = live.meeting.plan_id
    assert sara.op("edit", entity="plan", id=plan_id, field="strengths", base_version=0,
                   base="", value="Alva är nyfiken.")["ok"]
    assert karin.op("add_item", entity="action", values={
        "what": "Ordna skolskjuts", "responsible_participant_id": karin.participant_id,
        "organisation": "Skolan", "principal": "municipality", "due_date": "2027-04-01",
        "status": "decided"})["ok"]
    assert sara.op("add_item", entity="goal", values={"kind": "long",
                                                      "text": "Hela skoldagar"})["ok"]
    live.end()
    snapshot = query(lambda s: s.scalar(select(PlanVersion.snapshot)))
    jsonschema.validate(snapshot, _schema(), cls=jsonschema.Draft202012Validator)
    for lang in ("sv", "en"):
        doc = render(app, snapshot, lang)
        text = all_text(doc)
        assert "Alva är nyfiken." in text and "Hela skoldagar" in text
        row = [c.text for c in action_table(doc).rows[1].cells]
        assert row[:2] == ["Ordna skolskjuts", "Karin Holm"] and "2027" in row[3]
        assert doc.core_properties.version == "1"
    assert "Left open in the meeting, and why" in headings(render(app, snapshot, "en"), 1)


def test_page_leaves_out_the_review_when_there_is_none(app):
    labels.init_app(app)
    snap = make_snapshot(actions=[], accepted_conditions=[], overrides=[])
    with app.test_request_context("/"):
        session["lang"] = "en"
        html = render_template("plan/print.html", v=snap)
    assert "Follow-up of earlier actions" not in html
    assert "Not filled in" in html and "Nothing was left open." in html
