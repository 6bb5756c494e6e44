"""The plan version as a Word document the family keeps: plain words, real structure.

The document has its language set, real heading styles, tables whose header row repeats on
every page, and its title, date and version in the file's properties, so that screen readers,
PDF converters and archives understand it. Every part of the plan has a heading; an empty part
says so instead of disappearing, except the review, which only a follow-up has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask_babel import force_locale
from flask_babel import gettext as _

from .labels import (
    SECTIONS,
    action_when,
    choice_label,
    field_label,
    format_day,
    format_moment,
    not_filled,
    role_label,
    section_title,
    version_day,
    version_line,
    version_view,
)

DOC_LANGUAGES = {"sv": "sv-SE", "en": "en-GB"}
FONT = "Arial"
INK = RGBColor(0x11, 0x11, 0x11)
HEADING_INK = RGBColor(0x0B, 0x53, 0x94)
# Characters XML 1.0 does not allow (tab and newline are kept; runs turn them into tabs and breaks).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def build_docx(snapshot: dict[str, Any], lang: str) -> bytes:
    """Write one frozen plan version as a DOCX document in `lang` ("sv" or "en")."""
    with force_locale(lang):
        doc = _new_document(DOC_LANGUAGES.get(lang, "sv-SE"))
        view = version_view(snapshot)
        doc.add_paragraph(_plain(_("The plan for %(child)s", child=snapshot["child_name"])),
                          style="Title")
        doc.add_paragraph(_("Coordinated individual plan (SIP)"), style="Subtitle")
        for key in SECTIONS:
            if key == "review" and not view["has_review"]:
                continue
            _heading(doc, section_title(key), 1)
            WRITERS[key](doc, snapshot, view)
        doc.add_paragraph(_("This is version %(n)s of the plan, written down when the meeting "
                            "ended on %(date)s.", n=snapshot["version"],
                            date=version_day(snapshot)))
        doc.sections[0].footer.paragraphs[0].text = version_line(snapshot)
        _set_properties(doc, snapshot, DOC_LANGUAGES.get(lang, "sv-SE"))
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _plain(text: Any) -> str:
    """Return text without characters a document cannot hold; markup stays visible as text."""
    text = "" if text is None else str(text)
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# --- the parts of the plan, in SECTIONS order ---------------------------------------------


def _meeting(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    m = v["meeting"]
    _field(doc, _("Child"), v["child_name"])
    _field(doc, _("When"), format_moment(m.get("starts_at")))
    _field(doc, _("Place"), m.get("place"))
    _field(doc, _("Chair"), m.get("chair"))
    _field(doc, _("Kind of meeting"), choice_label("meeting", "kind", m.get("kind", "")))
    _field(doc, _("Purpose of the meeting"), m.get("purpose"))
    _field(doc, _("Version of the plan"), version_line(v))


def _participants(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    for title, people, empty in ((_("Present at the meeting"), view["present"], not_filled()),
                                 (_("Not present at the meeting"), view["absent"],
                                  _("Everyone who was invited took part."))):
        _heading(doc, title, 2)
        rows = [(p["name"], p.get("organisation") or choice_label("participant", "principal",
                                                                  p.get("principal", "")),
                 role_label(p.get("role", ""))) for p in people]
        _table(doc, title, (_("Name"), _("Organisation"), _("Role")), rows, (6, 6, 5), empty)


def _questions(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    _bullets(doc, v["meeting"].get("questions") or [], not_filled())


def _situation(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    _plan_fields(doc, v, ("situation_works", "situation_difficult"))


def _child(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    s = v["sections"]
    _field(doc, field_label("plan", "child_voice"), s.get("child_voice"))
    _field(doc, field_label("plan", "child_participation"),
           choice_label("plan", "child_participation", s.get("child_participation", "")))
    _plan_fields(doc, v, ("child_views_brought_by", "child_told_by"))


def _strengths(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    _text(doc, v["sections"].get("strengths"))


def _goals(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    if not v.get("goals"):
        _text(doc, "")
        return
    for title, goals in ((_("Long-term goals"), view["long_goals"]),
                         (_("Short-term goals"), view["short_goals"])):
        if goals:
            _heading(doc, title, 2)
            _bullets(doc, [g["text"] for g in goals], not_filled())


def _actions(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    rows = []
    for a in v.get("actions") or []:
        principal = choice_label("action", "principal", a.get("principal", ""))
        rows.append((a["what"], a.get("responsible_name") or not_filled(),
                     "\n".join(x for x in (a.get("organisation"), principal) if x),
                     action_when(a), choice_label("action", "status", a.get("status", "")),
                     a.get("family_part", "")))
    headers = (_("What"), _("Who"), _("Organisation"), _("When"), _("Status"),
               field_label("action", "family_part"))
    _table(doc, section_title("actions"), headers, rows, (4.4, 2.6, 2.6, 2.6, 2.0, 2.8),
           not_filled())


def _family(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    if not view["family"]:
        _text(doc, _("The family has no tasks of its own in this plan."))
    for task in view["family"]:
        _bullet(doc, task["task"],
                task["action"] and _("Action: %(what)s", what=task["action"]),
                task["who"] and _("Responsible: %(name)s", name=task["who"]),
                task["part"] and _("What the family does: %(text)s", text=task["part"]),
                _("When: %(when)s", when=task["when"].replace("\n", ", ")))


def _conditions(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    if not v.get("accepted_conditions"):
        _text(doc, _("No action depends on a condition."))
    for c in v.get("accepted_conditions") or []:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(_plain(c["what"])).bold = True
        p.add_run("\n" + field_label("action", "condition_fallback")).italic = True
        p.add_run("\n" + _plain(c["fallback"]))


def _consent(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    if not v.get("consents"):
        _text(doc, "")
    for n, c in enumerate(v.get("consents") or [], 1):
        _heading(doc, _("Consent %(n)s", n=n), 2)
        _field(doc, field_label("consent", "given_by"), c.get("given_by"))
        _field(doc, field_label("consent", "form"), choice_label("consent", "form", c["form"]))
        _field(doc, field_label("consent", "given_at"), format_day(c.get("given_at")))
        for name in ("organisations", "information", "exclusions"):
            _field(doc, field_label("consent", name), c.get(name))
        _field(doc, field_label("consent", "valid_until"), format_day(c.get("valid_until")))
        if c.get("withdrawn_at") or c.get("withdrawn_by") or c.get("withdrawn_scope"):
            _heading(doc, _("The consent was withdrawn"), 3)
            _field(doc, field_label("consent", "withdrawn_at"), format_day(c.get("withdrawn_at")))
            _field(doc, field_label("consent", "withdrawn_by"), c.get("withdrawn_by"))
            _field(doc, field_label("consent", "withdrawn_scope"),
                   c.get("withdrawn_scope") or _("All of the consent"))


def _responsibility(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    s = v["sections"]
    _field(doc, field_label("plan", "lead_principal"),
           choice_label("plan", "lead_principal", s.get("lead_principal", "")))
    _plan_fields(doc, v, ("lead_person",))
    _heading(doc, field_label("plan", "others_part"), 2)
    if view["others"]:
        _bullets(doc, [f"{o['what']} ({o['who'] or not_filled()}, {o['principal']})"
                       for o in view["others"]], not_filled())
    elif s.get("others_part"):
        _text(doc, choice_label("plan", "others_part", s["others_part"]))
    else:
        _text(doc, "")


def _contact(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    _text(doc, v["sections"].get("contact_between"))


def _followup(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    s = v["sections"]
    _field(doc, field_label("plan", "followup_date"), format_day(s.get("followup_date")))
    _plan_fields(doc, v, ("followup_form", "followup_convener"))


def _explanations(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    if not v.get("explanations"):
        _text(doc, _("No words were explained in this meeting."))
    for e in v.get("explanations") or []:
        _field(doc, e["word"], e["text"])


def _overrides(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    if not view["overrides"]:
        _text(doc, _("Nothing was left open."))
    for o in view["overrides"]:
        _bullet(doc, o["what"], o["action"] and _("Action: %(what)s", what=o["action"]),
                _("Reason: %(reason)s", reason=o["reason"]),
                o["by"] and _("Decided by %(name)s", name=o["by"]))


def _bullet(doc, title: str, *lines: str | None) -> None:
    """Add a list item: its title in bold, then each given line below it."""
    p = doc.add_paragraph(style="List Bullet")
    p.add_run(_plain(title)).bold = True
    for line in lines:
        if line:
            p.add_run("\n" + _plain(line))


def _review(doc, v: dict[str, Any], view: dict[str, Any]) -> None:
    _plan_fields(doc, v, ("review_situation_change",))
    rows = [(a["what"], choice_label("action", "review_outcome", a.get("review_outcome", "")),
             a.get("review_comment", ""), a.get("condition_review", ""))
            for a in view["reviewed"]]
    headers = (_("What"), field_label("action", "review_outcome"),
               field_label("action", "review_comment"), field_label("action", "condition_review"))
    _table(doc, section_title("review"), headers, rows, (5, 3, 4.5, 4.5), not_filled())


WRITERS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], None]] = {
    "meeting": _meeting, "participants": _participants, "questions": _questions,
    "situation": _situation, "child": _child, "strengths": _strengths, "goals": _goals,
    "actions": _actions, "family": _family, "conditions": _conditions, "consent": _consent,
    "responsibility": _responsibility, "contact": _contact, "followup": _followup,
    "explanations": _explanations, "overrides": _overrides, "review": _review,
}


# --- building blocks ----------------------------------------------------------------------


def _heading(doc, text: str, level: int) -> None:
    doc.add_heading(_plain(text), level)


def _text(doc, text: Any) -> None:
    """Write a text as it was written, or say plainly that it is empty."""
    text = _plain(text).strip()
    if text:
        doc.add_paragraph(text)
    else:
        doc.add_paragraph().add_run(not_filled()).italic = True


def _field(doc, label: str, value: Any) -> None:
    """Write a label on its own line, kept with the value below it."""
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_after = Pt(0)
    p.add_run(_plain(label)).bold = True
    _text(doc, value)


def _plan_fields(doc, v: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        _field(doc, field_label("plan", name), v["sections"].get(name))


def _bullets(doc, items: list[str], empty: str) -> None:
    items = [_plain(i).strip() for i in items if _plain(i).strip()]
    if not items:
        doc.add_paragraph().add_run(empty).italic = True
    for item in items:
        doc.add_paragraph(item, style="List Bullet")


def _table(doc, caption: str, headers: tuple[str, ...], rows: list[tuple[str, ...]],
           widths: tuple[float, ...], empty: str) -> None:
    """Write a table whose first row is a header repeated on every page."""
    if not rows:
        doc.add_paragraph().add_run(empty).italic = True
        return
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    _table_caption(table, caption)
    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        tr_pr.append(OxmlElement(tag))
    for cell, text in zip(header.cells, headers, strict=True):
        cell.paragraphs[0].add_run(_plain(text)).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.paragraphs[0].add_run(_plain(text).strip())
    # Fixed layout follows the grid; Word also reads each cell's own width.
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _table_caption(table, caption: str) -> None:
    # Word shows tblCaption as the table's alternative text title.
    tbl_pr = table._tbl.tblPr
    element = OxmlElement("w:tblCaption")
    element.set(qn("w:val"), _plain(caption))
    tbl_pr.append(element)


def _new_document(language: str):
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    r_pr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    sizes = {"Normal": 12, "Title": 24, "Subtitle": 14, "Heading 1": 17, "Heading 2": 14,
             "List Bullet": 12, "Table Grid": 12}
    for name, size in sizes.items():
        style = doc.styles[name]
        _set_font(style, size, HEADING_INK if name.startswith(("Heading", "Title")) else INK)
    doc.styles["Subtitle"].font.italic = False
    doc.styles["Normal"].paragraph_format.line_spacing = 1.2
    doc.styles["Normal"].paragraph_format.space_after = Pt(6)
    return doc


def _set_font(style, size: int, color: RGBColor) -> None:
    font = style.font
    font.name = FONT
    font.size = Pt(size)
    font.color.rgb = color
    fonts = style.element.rPr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:cs"), FONT)


def _set_properties(doc, v: dict[str, Any], language: str) -> None:
    props = doc.core_properties
    frozen = _utc(v.get("frozen_at"))
    props.title = _plain(_("The plan for %(child)s", child=v["child_name"]))
    props.subject = _("Coordinated individual plan (SIP)")
    props.keywords = "; ".join(("SIP", _("Version %(n)s", n=v["version"])))
    props.version = str(v["version"])
    props.revision = max(1, int(v["version"]))
    props.language = language
    props.author = props.last_modified_by = _plain(v["meeting"].get("chair", ""))
    props.comments = ""
    props.category = "SIP"
    props.identifier = f"plan-{v['plan_id']}-version-{v['version']}"
    props.created = props.modified = frozen


def _utc(value: str | None) -> datetime:
    """Return an ISO time as naive UTC, the form document properties store."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        moment = datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
