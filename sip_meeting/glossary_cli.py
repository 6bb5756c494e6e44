"""Command-line access to the glossary: recognise terms in text and check the data.

Registered by the application's command group as `sip-meeting glossary`; it needs no app.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .glossary import LANGS, Glossary, GlossaryError, Match, check_glossary, load_glossary

PATH_VARIABLE = "SIP_MEETING_GLOSSARY_PATH"


def glossary_path() -> Path | None:
    """Return the data path from the environment, or None for the default."""
    value = os.environ.get(PATH_VARIABLE, "").strip()
    return Path(value) if value else None


def open_glossary() -> Glossary:
    """Load the glossary or stop with exit code 1 and every problem on standard error."""
    try:
        return load_glossary(glossary_path())
    except GlossaryError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None


def describe(matches: list[Match]) -> str:
    """Render matches for a person: term id, the text as written and its offsets."""
    if not matches:
        return "(no terms)"
    return "; ".join(f'{m.term} "{m.form}" {m.start}-{m.end}' for m in matches)


@click.group("glossary")
def glossary() -> None:
    """Recognise and look up words that mean different things in different organisations."""


@glossary.command("find")
@click.option("--lang", type=click.Choice(LANGS), required=True, help="Language of the text.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line.")
def find_command(lang: str, as_json: bool) -> None:
    """Read one text per line from standard input and list the terms in each."""
    terms = open_glossary()
    for number, line in enumerate(sys.stdin, start=1):
        text = line.rstrip("\r\n")
        matches = terms.find(text, lang)
        if as_json:
            record = {"text": text, "matches": [match.as_dict() for match in matches]}
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(f"{number}: {describe(matches)}")


@glossary.command("search")
@click.argument("query")
@click.option("--lang", type=click.Choice(LANGS), default="sv", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
def search_command(query: str, lang: str, limit: int) -> None:
    """List the terms that best match QUERY, with their explanation."""
    for term in open_glossary().search(query, lang, limit):
        text = term.text(lang)
        click.echo(f"{term.id}: {text.headword} - {text.explanation}")


@glossary.command("check")
def check_command() -> None:
    """Validate the glossary data; exit 1 with one message per problem."""
    problems = check_glossary(glossary_path())
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    click.echo(f"{len(load_glossary(glossary_path()))} terms OK")
