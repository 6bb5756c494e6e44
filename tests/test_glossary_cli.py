"""The `glossary` command group: find terms in lines of text and check the data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sip_meeting.glossary_cli import PATH_VARIABLE, glossary


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv(PATH_VARIABLE, raising=False)
    return CliRunner()


def test_find_json_prints_one_object_per_line(runner):
    text = "Insatserna från BUP:s sida.\nInget här\n"
    result = runner.invoke(glossary, ["find", "--lang", "sv", "--json"], input=text)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        '{"text": "Insatserna från BUP:s sida.", "matches": ['
        '{"term": "insats", "start": 0, "end": 10, "form": "Insatserna"}, '
        '{"term": "bup", "start": 16, "end": 21, "form": "BUP:s"}]}',
        '{"text": "Inget här", "matches": []}',
    ]


def test_find_json_offsets_index_the_line(runner):
    line = "Vi går igenom den samordnade individuella planen och närståendes roll"
    result = runner.invoke(glossary, ["find", "--lang", "sv", "--json"], input=line + "\n")
    record = json.loads(result.output)
    assert record["text"] == line
    assert [(m["term"], line[m["start"] : m["end"]] == m["form"]) for m in record["matches"]] == [
        ("sip", True),
        ("narstaende", True),
    ]


def test_find_english(runner):
    result = runner.invoke(glossary, ["find", "--lang", "en", "--json"], input="A sip of consent\n")
    assert json.loads(result.output)["matches"] == [
        {"term": "samtycke", "start": 9, "end": 16, "form": "consent"}
    ]


def test_find_without_json_lists_matches_readably(runner):
    result = runner.invoke(glossary, ["find", "--lang", "sv"], input="En insats.\nInget\n")
    assert result.exit_code == 0
    assert result.output == '1: insats "insats" 3-9\n2: (no terms)\n'


@pytest.mark.parametrize(
    "arguments", [["find"], ["find", "--lang", "de"], ["find", "--lang", "sv", "--bogus"]]
)
def test_find_bad_usage_exits_2(runner, arguments):
    assert runner.invoke(glossary, arguments, input="").exit_code == 2


def test_check_real_data_exits_0_with_a_summary(runner):
    result = runner.invoke(glossary, ["check"])
    assert result.exit_code == 0
    count, rest = result.output.split(" ", 1)
    assert int(count) >= 60 and rest == "terms OK\n"


def test_check_broken_data_exits_1_with_one_message_per_problem(runner, tmp_path, monkeypatch):
    (tmp_path / "bad.toml").write_text(
        '[[term]]\nid = "alfa"\nrelated = ["saknas"]\n'
        '[term.sv]\nheadword = "alfa"\nexplanation = "Text."\nquestion = "Fråga?"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path))
    result = runner.invoke(glossary, ["check"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "bad.toml: term 'alfa' [en]: missing language block",
    ]


def test_check_names_the_unknown_related_term(runner, tmp_path, monkeypatch):
    term = (
        '[[term]]\nid = "alfa"\nrelated = ["saknas"]\n'
        '[term.sv]\nheadword = "alfa"\nexplanation = "Text."\nquestion = "Fråga?"\n'
        '[term.en]\nheadword = "alpha"\nexplanation = "Text."\nquestion = "Question?"\n'
    )
    (tmp_path / "bad.toml").write_text(term, encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path))
    result = runner.invoke(glossary, ["check"])
    assert result.exit_code == 1
    assert result.output == "bad.toml: term 'alfa': related term 'saknas' does not exist\n"


def test_find_with_broken_data_exits_1(runner, tmp_path, monkeypatch):
    (tmp_path / "bad.toml").write_text("[[term]\n", encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path))
    result = runner.invoke(glossary, ["find", "--lang", "sv"], input="insats\n")
    assert result.exit_code == 1
    assert "bad.toml: cannot read" in result.output


def test_search_prints_the_best_term(runner):
    result = runner.invoke(glossary, ["search", "vardplan"])
    assert result.exit_code == 0
    assert result.output.startswith("vardplan: vårdplan - ")
