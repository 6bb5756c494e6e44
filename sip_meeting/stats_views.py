"""The statistics page for management: charts, tables and a CSV of the same counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from . import stats
from .access import require_staff
from .annotations import rules
from .db import db_session
from .i18n import format_local_date
from .labels import principal_label, rule_label
from .planning import STOCKHOLM

bp = Blueprint("stats", __name__)
# Anonymous counts of the organisation: its chairs and its administrators see them.
bp.before_request(require_staff)

DEFAULT_DAYS = 365


def period_from(args: dict[str, str], today: date) -> tuple[date, date, bool]:
    """Read the period from the address; the last year up to today when it is missing or bad.

    Returns (from, to, whether what was asked for was usable).
    """
    default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
    raw_from, raw_to = args.get("from", ""), args.get("to", "")
    if not raw_from and not raw_to:
        return *default, True
    try:
        start, end = date.fromisoformat(raw_from), date.fromisoformat(raw_to)
    except ValueError:
        return *default, False
    if end < start:
        return *default, False
    return start, end, True


def compute_for(viewer, start: date, end: date) -> stats.Statistics:
    """Compute the figures with the installation's rules and minimum cell size."""
    return stats.compute(db_session(), viewer, start, end, rules(),
                         int(current_app.config["STATS_MIN_CELL"]))


# -- words ------------------------------------------------------------------------------------


def table_title(key: str) -> str:
    """Return a table's heading."""
    return {
        "meetings": _("Meetings held"),
        "actions": _("Actions agreed, and how they stood at the follow-up"),
        "conditions": _("Actions that depended on a condition"),
        "overrides": _("What was set aside at the close, with a reason"),
        "followups": _("Follow-ups"),
        "satisfaction": _("Are you satisfied?"),
    }[key]


def row_label(table: str, row: str) -> str:
    """Return the words for one row of a table."""
    if table == "actions":
        return _("All principals") if row == "total" else \
            _("No principal") if row == "none" else principal_label(row)
    if table == "overrides":
        return _("All set aside") if row == "total" else rule_label(row)
    return {
        ("meetings", "held"): _("Meetings held"),
        ("meetings", "first"): _("First meetings"),
        ("meetings", "followup"): _("Follow-up meetings"),
        ("meetings", "family"): _("The family took part"),
        ("meetings", "with_plan"): _("A plan was made"),
        ("meetings", "child_voice"): _("The child's voice was recorded in the plan"),
        ("conditions", "flagged"): _("Flagged as depending on a condition"),
        ("conditions", "rewritten"): _("Rewritten without the condition"),
        ("conditions", "split"): _("The condition made an action of its own"),
        ("conditions", "fallback"): _("Accepted with a fallback"),
        ("conditions", "overridden"): _("Set aside with a reason"),
        ("conditions", "settled"): _("Marked done in the meeting"),
        ("followups", "held"): _("Follow-up meetings held"),
        ("followups", "after_first"): _("Follow-ups after a first meeting"),
        ("followups", "agreed"): _("Follow-ups with a date agreed at the meeting before"),
        ("followups", "on_date"): _("Held on the agreed date"),
        ("satisfaction", "yes"): _("Yes"),
        ("satisfaction", "partly"): _("Partly"),
        ("satisfaction", "no"): _("No"),
        ("satisfaction", "answers"): _("All answers"),
    }[(table, row)]


def column_label(table: str, column: str) -> str:
    """Return a column's heading."""
    return {
        "count": _("Number"),
        "share": _("Share"),
        "days": _("Median days from the first meeting"),
        "agreed": _("Agreed"),
        "followed_up": _("Followed up"),
        "due": _("Due by the follow-up"),
        "done": _("Done by then"),
        "overdue": _("Overdue"),
        "cancelled": _("Cancelled or no longer needed"),
    }[column]


def shown_columns(table: str) -> list[str]:
    """The columns a table shows, in order; shares follow what they are a share of."""
    if table == "actions":
        return ["agreed", "followed_up", "due", "done", "done_share", "overdue",
                "overdue_share", "cancelled", "cancelled_share"]
    return list(stats_columns(table))


def stats_columns(table: str) -> tuple[str, ...]:
    """The columns of one table as computed."""
    return {"meetings": ("count", "share"), "conditions": ("count", "share"),
            "overrides": ("count",), "followups": ("count", "share", "days"),
            "satisfaction": ("count", "share")}[table]


def header(table: str, column: str) -> str:
    """Return a column's heading, shares named after their count."""
    if column.endswith("_share"):
        return _("%(what)s, share", what=column_label(table, column.removesuffix("_share")))
    return column_label(table, column)


def fewer_than(figures: stats.Statistics) -> str:
    """Return what a suppressed count says."""
    return _("fewer than %(num)d", num=figures.min_cell)


def shown(figures: stats.Statistics, cell: stats.Cell | None) -> str:
    """Write one figure for the page: a number, a percent, days, or why it is not shown."""
    if cell is None:
        return ""
    if cell.suppressed:
        return fewer_than(figures) if cell.kind == "count" else "–"
    if cell.raw is None:
        return "–"
    if cell.kind == "share":
        return format_percent(round(cell.raw) / 100)
    if cell.kind == "days":
        return format_decimal(round(cell.raw))
    return format_decimal(int(cell.raw))


# -- charts ----------------------------------------------------------------------------------


CHARTS = {
    "meetings": ("count", ["held", "first", "followup", "family", "with_plan", "child_voice"]),
    "actions": ("agreed", ["municipality", "region", "other", "family", "none"]),
    "conditions": ("count", ["flagged", "rewritten", "split", "fallback", "overridden"]),
    "overrides": ("count", None),
    "followups": ("count", ["held", "after_first", "agreed", "on_date"]),
    "satisfaction": ("count", ["yes", "partly", "no"]),
}
LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW = 440, 300, 130, 34


def chart(figures: stats.Statistics, table: str, chart_id: str) -> Markup:
    """Draw a table's main figures as horizontal bars in SVG (drawn on the server).

    A suppressed count draws no bar and says "fewer than N". The chart is an image with a
    title; the same figures follow it in a table, and a sentence sums them up.
    """
    column, rows = CHARTS[table]
    data = figures.shown_rows(table)
    if rows is None:
        rows = [r for r in data if r != "total"]
    cells = [(row_label(table, r), data[r][column]) for r in rows if r in data]
    top = max([c.value for _label, c in cells if c.value is not None] or [1]) or 1
    height = ROW * len(cells) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title = _("%(table)s: %(column)s", table=table_title(table), column=column_label(table, column))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="stats-chart" role="img" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'aria-labelledby="{chart_id}-title" focusable="false">',
           f'<title id="{chart_id}-title">{escape(title)}</title>']
    for i, (label, cell) in enumerate(cells):
        y = 4 + i * ROW
        out.append(f'<text x="{LABEL_WIDTH - 10}" y="{y + 22}" text-anchor="end" '
                   f'class="stats-label">{escape(label)}</text>')
        if cell.value is not None:
            bar = max(2, round(BAR_WIDTH * cell.value / top)) if cell.value else 0
            out.append(f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="{bar}" height="{ROW - 12}" '
                       f'class="stats-bar"/>')
            x = LABEL_WIDTH + bar + 8
        else:
            out.append(f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="{BAR_WIDTH}" '
                       f'height="{ROW - 12}" class="stats-bar-hidden"/>')
            x = LABEL_WIDTH + 8
        out.append(f'<text x="{x}" y="{y + 22}" class="stats-value">'
                   f'{escape(shown(figures, cell))}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def summary(figures: stats.Statistics, table: str) -> str:
    """Say the table's main figures in one sentence, for those who do not see the chart."""
    data = figures.shown_rows(table)
    column, rows = CHARTS[table]
    if rows is None:
        rows = list(data)
    parts = []
    for r in rows:
        if r not in data:
            continue
        cell = data[r].get(column)
        share = data[r].get("share") or data[r].get(f"{column}_share")
        text = f"{row_label(table, r)}: {shown(figures, cell)}"
        if share is not None and share.value is not None:
            text += f" ({shown(figures, share)})"
        parts.append(text)
    if table == "followups":
        days = data["after_first"]["days"]
        parts.append(f"{column_label(table, 'days')}: {shown(figures, days)}")
    if table == "actions":
        total = data["total"]
        parts.append(_("Done by the follow-up, of those due: %(share)s",
                       share=shown(figures, total["done_share"])))
    return "; ".join(parts) + "."


# -- pages ------------------------------------------------------------------------------------


def _today() -> date:
    return datetime.now(UTC).astimezone(STOCKHOLM).date()


@bp.get("/statistics")
def index():
    """Show the statistics of a period: for each part a chart, a summary and a table."""
    start, end, usable = period_from(request.args, _today())
    figures = compute_for(g.chair, start, end)
    return render_template(
        "stats/index.html", figures=figures, start=start, end=end, usable=usable,
        tables=list(CHARTS), chart=chart, summary=summary, shown=shown,
        table_title=table_title, row_label=row_label, header=header,
        shown_columns=shown_columns, period=_period_words(start, end)), 200 if usable else 400


def _period_words(start: date, end: date) -> str:
    return _("%(start)s to %(end)s", start=format_local_date(start, "long"),
             end=format_local_date(end, "long"))


def csv_rows(figures: stats.Statistics) -> list[list[Any]]:
    """The figures as rows of a CSV file: part, row, measure, value (as the JSON writes it)."""
    rows: list[list[Any]] = [[_("Part"), _("Row"), _("Measure"), _("Value")]]
    for table in CHARTS:
        for row, cells in figures.shown_rows(table).items():
            columns = shown_columns(table) if table == "actions" else stats_columns(table)
            for column in columns:
                if column in cells:
                    value = figures.plain(cells[column])
                    rows.append([table_title(table), row_label(table, row),
                                 header(table, column), "" if value is None else value])
    return rows


@bp.get("/statistics.csv")
def download():
    """Download the page's figures as CSV (UTF-8 with a byte order mark, for spreadsheets)."""
    start, end, _usable = period_from(request.args, _today())
    figures = compute_for(g.chair, start, end)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("From"), start.isoformat(), _("To"), end.isoformat(),
                     _("Fewer than"), figures.min_cell])
    writer.writerows(csv_rows(figures))
    name = f"sip-statistics-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
