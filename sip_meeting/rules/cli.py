"""The `lint` command: check action texts from standard input, one per line."""

from __future__ import annotations

import json
import os
import sys

import click

from .core import Finding, RuleError
from .lint import lint_text
from .loader import load_rules

ENV_PATH = "SIP_MEETING_RULES_PATH"
_KEYS = ("rule", "severity", "start", "end", "phrase", "message", "suggestion")


@click.command("lint")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="The reader's language for messages and suggestions.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input line.")
def lint(lang: str, as_json: bool) -> None:
    """Check action texts read from standard input, one per line."""
    try:
        rules = load_rules(os.environ.get(ENV_PATH) or None)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        findings = lint_text(text, rules, lang) if text.strip() else []
        if as_json:
            click.echo(json.dumps(_as_dict(text, findings), ensure_ascii=False))
        else:
            click.echo(_as_text(text, findings))


def _as_dict(text: str, findings: list[Finding]) -> dict:
    return {"text": text, "findings": [{k: getattr(f, k) for k in _KEYS} for f in findings]}


def _as_text(text: str, findings: list[Finding]) -> str:
    if not findings:
        return f"{text}\n  ok"
    lines = [text]
    for f in findings:
        lines.append(f"  {f.start}-{f.end} {f.severity} {f.rule}: {f.message}")
        lines.append(f"      {f.suggestion}")
    return "\n".join(lines)
