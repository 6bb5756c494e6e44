"""The `lint` command: exact JSON lines, the readable report, the rules path and bad usage."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sip_meeting.rules.cli import lint


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_json_lines_in_input_order(runner: CliRunner):
    text = "Om hen inte kommer ringer mentor hem vid behov.\n\nAnsök om assistans.\n"
    result = runner.invoke(lint, ["--lang", "sv", "--json"], input=text)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows == [
        {"text": "Om hen inte kommer ringer mentor hem vid behov.", "findings": [
            {"rule": "conditional", "severity": "warning", "start": 0, "end": 2, "phrase": "Om",
             "message": "”Om”: vad händer om villkoret inte uppfylls?",
             "suggestion": "Gör villkoret till en egen åtgärd med vem och när, "
                           "eller skriv vad som händer annars."},
            {"rule": "hedge", "severity": "advice", "start": 37, "end": 46,
             "phrase": "vid behov", "message": "”vid behov”: vem avgör det, och när?",
             "suggestion": "Skriv vad som gäller, så att familjen vet vad de kan räkna med, "
                           "eller skriv vem som gör vad och när om det inte blir av."},
        ]},
        {"text": "", "findings": []},
        {"text": "Ansök om assistans.", "findings": []},
    ]


def test_json_keeps_non_ascii_and_english_messages(runner: CliRunner):
    result = runner.invoke(lint, ["--lang", "en", "--json"], input="Skulle hen bli sjuk ringer "
                                                                   "mamma skolan.\n")
    line = result.output.strip()
    assert "ringer" in line and "\\u" not in line
    [finding] = json.loads(line)["findings"]
    assert (finding["rule"], finding["phrase"], finding["start"], finding["end"]) == \
        ("conditional", "Skulle", 0, 6)
    assert finding["message"].startswith("“Skulle”: what happens")


def test_findings_sorted_by_start(runner: CliRunner):
    text = "Kanske ringer mentor hem om hen inte kommer, if needed.\n"
    result = runner.invoke(lint, ["--json"], input=text)
    findings = json.loads(result.output)["findings"]
    assert [f["start"] for f in findings] == sorted(f["start"] for f in findings)
    assert [f["rule"] for f in findings] == ["hedge", "conditional", "hedge"]


def test_readable_report(runner: CliRunner):
    result = runner.invoke(lint, ["--lang", "en"], input="Mentor ringer om hen är sjuk.\nOk.\n")
    assert result.exit_code == 0
    assert "conditional" in result.output and "what happens" in result.output
    assert "ok" in result.output.splitlines()[-1]


@pytest.mark.parametrize("args", [["--lang", "fr"], ["--nope"]])
def test_bad_usage_exits_2(runner: CliRunner, args):
    assert runner.invoke(lint, args, input="").exit_code == 2


def test_rules_path_from_environment(runner: CliRunner, tmp_path):
    path = tmp_path / "kommun.toml"
    path.write_text("[hedge]\nphrases = ['typ']\n", encoding="utf-8")
    result = runner.invoke(lint, ["--json"], input="Vi ses typ snart.\n",
                           env={"SIP_MEETING_RULES_PATH": str(path)})
    assert "hedge" in {f["rule"] for f in json.loads(result.output)["findings"]}


def test_bad_rules_path_is_reported(runner: CliRunner, tmp_path):
    result = runner.invoke(lint, ["--json"], input="x\n",
                           env={"SIP_MEETING_RULES_PATH": str(tmp_path / "none.toml")})
    assert result.exit_code == 1
    assert "none.toml" in result.output
