"""The `stats` command: the statistics page's figures for a period, as text or JSON."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from . import stats_views


@click.command("stats")
@with_appcontext
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="First day of the period (YYYY-MM-DD), local time.")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Last day of the period (YYYY-MM-DD), included.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the text output.")
def stats(start: datetime, end: datetime, as_json: bool, lang: str) -> None:
    """Print the statistics of the meetings held in a period, as the statistics page shows them.

    Counts below the minimum cell size (STATS_MIN_CELL) are written "<N" and shares computed
    from them null, as on the page and in its CSV.
    """
    if end < start:
        raise click.BadParameter("the end comes before the start", param_hint="--to")
    # Over every plan of the installation, as a chair's page shows (stats.plans_in_scope).
    figures = stats_views.compute_for(None, start.date(), end.date())
    if as_json:
        json.dump(figures.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    with force_locale(lang):
        for part, row, measure, value in stats_views.csv_rows(figures)[1:]:
            click.echo(f"{part} | {row} | {measure}: {value}")
