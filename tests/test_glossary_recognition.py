"""Recognising glossary terms in running Swedish and English text."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from sip_meeting.glossary import Match, load_glossary

LABELLED = Path(__file__).parent / "data" / "glossary_recognition.tsv"
FLOOR = 0.95


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


def found(glossary, text: str, lang: str = "sv") -> list[tuple[str, str]]:
    return [(match.term, match.form) for match in glossary.find(text, lang)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("insats", [("insats", "insats")]),
        (
            "insatsen insatser insatserna",
            [("insats", "insatsen"), ("insats", "insatser"), ("insats", "insatserna")],
        ),
        (
            "insatsens, insatsers och insatsernas",
            [("insats", "insatsens"), ("insats", "insatsers"), ("insats", "insatsernas")],
        ),
        ("INSATSERNA", [("insats", "INSATSERNA")]),
        ("vårdnadshavarnas önskemål", [("vardnadshavare", "vårdnadshavarnas")]),
        ("huvudmännens ansvar", [("huvudman", "huvudmännens")]),
        ("Anmälningarna ökar.", [("anmalan", "Anmälningarna")]),
        ("hjälpmedlen", [("hjalpmedel", "hjälpmedlen")]),
        ("närståendes", [("narstaende", "närståendes")]),
    ],
)
def test_every_inflected_form_is_recognised(glossary, text, expected):
    assert found(glossary, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Han har personlig assistans.", [("personlig-assistans", "personlig assistans")]),
        ("personlig\n  assistans", [("personlig-assistans", "personlig\n  assistans")]),
        ("De extra anpassningarna räcker inte.", [("extra-anpassningar", "extra anpassningarna")]),
        ("det övergripande ansvaret", [("overgripande-ansvar", "övergripande ansvaret")]),
        ("en samordnad individuell plan", [("sip", "samordnad individuell plan")]),
        ("Den samordnade individuella planen", [("sip", "samordnade individuella planen")]),
        ("enligt hälso- och sjukvårdslagen", [("hsl", "hälso- och sjukvårdslagen")]),
        # The longer term wins over the shorter one inside it.
        (
            "neuropsykiatrisk funktionsnedsättning",
            [("npf", "neuropsykiatrisk funktionsnedsättning")],
        ),
        ("särskilt stöd", [("sarskilt-stod", "särskilt stöd")]),
        ("daglig verksamhet", [("daglig-verksamhet", "daglig verksamhet")]),
    ],
)
def test_multi_word_terms_are_recognised_with_flexible_whitespace(glossary, text, expected):
    assert found(glossary, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "insatsplanen",
        "stödinsatser",
        "omsorg",
        "vårdplanering",
        "kommunfullmäktige",
        "barnombudsmannen",
        "utredningstiden",
        "journalföring",
        "föräldraledighet",
        "anhörigstöd",
        "samtyckesblankett",
        "diagnostiserad",
        "uppföljningsmötet",
        "samordnare",
        "samverka",
        "åtgärda",
        "hjälpmedelscentralen",
        "rehabilitering",
        "journalisten",
        "sekretessprövning",
        "Det var sol hela dagen.",
        "anpassad undervisning",
        "personlig hygien",
    ],
)
def test_words_that_merely_contain_a_term_do_not_match(glossary, text):
    assert found(glossary, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SoL", [("sol", "SoL")]),
        ("SOL", [("sol", "SOL")]),
        ("sol", []),
        ("Sol", []),
        ("BUP:s läkare", [("bup", "BUP:s")]),
        ("bup", []),
        ("SIP:en", [("sip", "SIP:en")]),
        ("SIP:arna", [("sip", "SIP:arna")]),
        # Swedish writers also spell the plan in lower case; it is not a Swedish word otherwise.
        ("ett sip-möte", [("sip", "sip")]),
        ("LSS-insatser", [("lss", "LSS"), ("insats", "insatser")]),
        ("NPF-diagnos", [("npf", "NPF"), ("diagnos", "diagnos")]),
        ("AKK", [("akk", "AKK")]),
        ("akk", []),
    ],
)
def test_abbreviations_match_by_case(glossary, text, expected):
    assert found(glossary, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She took a sip of water.", []),
        ("Sip it slowly.", []),
        ("The SIP names who is responsible.", [("sip", "SIP")]),
        ("Two SIPs were written.", [("sip", "SIPs")]),
        ("The guardians gave consent.", [("vardnadshavare", "guardians"), ("samtycke", "consent")]),
        ("a coordinated individual plan", [("sip", "coordinated individual plan")]),
        ("guardianship", []),
        ("parental leave", []),
        ("a reassessment", []),
        ("the school counsellor", [("skolkurator", "school counsellor")]),
    ],
)
def test_english_text_uses_the_english_forms(glossary, text, expected):
    assert found(glossary, text, "en") == expected


def test_language_selects_the_forms(glossary):
    assert found(glossary, "insatserna", "en") == []
    assert found(glossary, "guardians", "sv") == []


def test_matches_carry_offsets_into_the_text_in_order(glossary):
    text = "Föräldrarna vill att BUP och skolan gör en SIP."
    matches = glossary.find(text, "sv")
    assert matches == [
        Match("foralder", 0, 11, "Föräldrarna"),
        Match("bup", 21, 24, "BUP"),
        Match("sip", 43, 46, "SIP"),
    ]
    assert all(text[match.start : match.end] == match.form for match in matches)
    assert matches[0].as_dict() == {
        "term": "foralder",
        "start": 0,
        "end": 11,
        "form": "Föräldrarna",
    }


def test_matches_never_overlap(glossary):
    text = "särskilt stöd och extra anpassningar i anpassade grundskolan"
    matches = glossary.find(text, "sv")
    assert all(left.end <= right.start for left, right in zip(matches, matches[1:], strict=False))
    assert [match.term for match in matches] == [
        "sarskilt-stod",
        "extra-anpassningar",
        "anpassad-grundskola",
    ]


def test_empty_text_has_no_matches(glossary):
    assert glossary.find("", "sv") == []


def expected_spans(text: str, labels: str) -> set[tuple[str, int, int]]:
    """Turn 'term=form|term=form' labels into spans, searching forward through the text."""
    spans = set()
    cursor = 0
    for label in filter(None, labels.split("|")):
        term, _, form = label.partition("=")
        hit = re.compile(rf"(?<!\w){re.escape(form)}(?!\w)").search(text, cursor)
        assert hit is not None, f"label {label!r} not found in {text!r}"
        spans.add((term, hit.start(), hit.end()))
        cursor = hit.end()
    return spans


def test_labelled_prose_meets_the_precision_and_recall_floors(glossary):
    with LABELLED.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) >= 120
    true_positives = false_positives = false_negatives = 0
    for row in rows:
        want = expected_spans(row["text"], row["expected"])
        got = {(m.term, m.start, m.end) for m in glossary.find(row["text"], row["lang"])}
        true_positives += len(want & got)
        false_positives += len(got - want)
        false_negatives += len(want - got)
    precision = true_positives / (true_positives + false_positives)
    recall = true_positives / (true_positives + false_negatives)
    assert precision >= FLOOR, f"precision {precision:.3f}"
    assert recall >= FLOOR, f"recall {recall:.3f}"


def test_labels_only_name_terms_that_exist(glossary):
    with LABELLED.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))
    labelled = {label.partition("=")[0] for row in rows for label in row["expected"].split("|")}
    assert labelled - {""} <= set(glossary.terms)
