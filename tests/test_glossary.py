"""Glossary data validation, loading and forgiving search."""

from __future__ import annotations

from pathlib import Path

import pytest

from sip_meeting.glossary import (
    LANGS,
    ORGANISATIONS,
    GlossaryError,
    check_glossary,
    default_glossary_path,
    load_glossary,
)

REQUIRED_TERMS = """
    narstaende insats utredning vardplan anmalan sip lss sol hsl huvudman overgripande-ansvar
    vardnadshavare foralder anhorig samtycke fullmakt sekretess habilitering korttidsvistelse
    avlosning avlastning kontaktperson kontaktfamilj ledsagarservice personlig-assistans
    hjalpmedel fardtjanst elevhalsa atgardsprogram extra-anpassningar sarskilt-stod bup bvc remiss
    handlaggare bistandsbedomning genomforandeplan orosanmalan omvardnadsbidrag akk samordning
    samverkan samarbete koordinator atgard delmal uppfoljning
""".split()


def term_toml(term_id: str, sv_forms: str = "", en: bool = True, related: str = "") -> str:
    """Return one minimal, valid [[term]] table, varied by the arguments."""
    text = f"""
[[term]]
id = "{term_id}"
related = [{related}]

[term.sv]
headword = "{term_id}"
forms = [{sv_forms}]
explanation = "En kort förklaring."
question = "Vad menar du?"
"""
    if en:
        text += f"""
[term.en]
headword = "{term_id}-en"
explanation = "A short explanation."
question = "What do you mean?"
"""
    return text


def write(tmp_path: Path, text: str, name: str = "terms.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


def test_real_data_passes_validation():
    assert check_glossary() == []


def test_default_path_is_the_repository_glossary_folder():
    assert default_glossary_path() == Path(__file__).resolve().parent.parent / "glossary"


def test_real_data_covers_the_required_terms(glossary):
    assert len(glossary.terms) >= 60
    assert [term_id for term_id in REQUIRED_TERMS if glossary.get(term_id) is None] == []


def test_every_term_has_both_languages_and_a_question(glossary):
    for term in glossary.terms.values():
        for lang in LANGS:
            text = term.text(lang)
            assert text.headword and text.explanation and text.question, (term.id, lang)


def test_words_that_differ_carry_a_meaning_per_organisation(glossary):
    for term_id in ("narstaende", "insats", "utredning", "vardplan", "anmalan"):
        meanings = glossary.get(term_id).meanings
        assert len(meanings) >= 2, term_id
        assert set(meanings) <= set(ORGANISATIONS)
        assert all(set(texts) == set(LANGS) for texts in meanings.values())


def test_the_chair_question_from_practice_is_there(glossary):
    assert glossary.get("narstaende").sv.question == "Du använde ordet närstående, vem menar du då?"
    assert glossary.get("insats").sv.question.startswith("Vad kan en insats vara hos er?")


def test_sip_cites_both_laws_and_notes_the_new_social_services_act(glossary):
    sources = glossary.get("sip").sources
    assert [(source.law, source.section) for source in sources] == [
        ("SoL", "2 kap. 7 §"),
        ("HSL", "16 kap. 4 §"),
    ]
    assert "2025" in sources[0].note


def test_insats_lists_every_inflected_form(glossary):
    forms = set(glossary.get("insats").sv.all_forms())
    assert forms >= {
        "insats",
        "insatsen",
        "insatser",
        "insatserna",
        "insatsens",
        "insatsers",
        "insatsernas",
    }


def test_valid_fixture_loads(tmp_path):
    text = term_toml("alfa") + term_toml("beta", related='"alfa"')
    glossary = load_glossary(write(tmp_path, text))
    assert sorted(glossary.terms) == ["alfa", "beta"]
    assert glossary.get("beta").related == ("alfa",)
    assert glossary.get("gamma") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (term_toml("alfa", en=False), "terms.toml: term 'alfa' [en]: missing language block"),
        (
            term_toml("alfa", sv_forms='"delad"') + term_toml("beta", sv_forms='"Delad"'),
            "terms.toml: term 'beta' [sv]: form 'Delad' is already claimed by term 'alfa'",
        ),
        (
            term_toml("alfa", related='"saknas"'),
            "terms.toml: term 'alfa': related term 'saknas' does not exist",
        ),
        (term_toml("alfa").replace('"alfa"', '"Alfa Beta"', 1), "'id' must be an ascii slug"),
        (term_toml("alfa").replace("forms = []", "forms = 3"), "'forms' must be a list"),
        (term_toml("alfa") + 'colour = "blue"\n', "unknown key 'colour'"),
        (term_toml("alfa").replace('question = "Vad menar du?"\n', ""), "'question' is missing"),
        (term_toml("alfa") + term_toml("alfa"), "term 'alfa' is also defined in terms.toml"),
        (term_toml("alfa", sv_forms='"-streck"'), "must begin and end with a letter or digit"),
        ("[[term]\n", "terms.toml: cannot read"),
        (
            term_toml("alfa") + '[term.meanings.church]\nsv = "a"\nen = "b"\n',
            "unknown organisation 'church'",
        ),
        (
            term_toml("alfa") + '[term.meanings.school]\nsv = "bara svenska"\n',
            "meaning for 'school' needs exactly 'sv' and 'en'",
        ),
        (term_toml("alfa") + '[[term.sources]]\nsection = "1 §"\n', "source #1 needs a 'law'"),
        (
            term_toml("alfa").replace("En kort förklaring.", "ord " * 41),
            "explanation has 41 words; keep it to 40 or fewer",
        ),
    ],
    ids=[
        "missing-language",
        "duplicate-form",
        "unknown-related",
        "bad-id",
        "forms-not-list",
        "unknown-key",
        "missing-question",
        "duplicate-id",
        "form-edge",
        "bad-toml",
        "unknown-organisation",
        "meaning-one-language",
        "source-without-law",
        "long-explanation",
    ],
)
def test_broken_fixture_is_reported(tmp_path, text, message):
    problems = check_glossary(write(tmp_path, text))
    assert any(message in problem for problem in problems), problems
    with pytest.raises(GlossaryError) as raised:
        load_glossary(tmp_path)
    assert message in str(raised.value)


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    text = term_toml("alfa", en=False) + term_toml("beta", related='"saknas"')
    problems = check_glossary(write(tmp_path, text))
    assert len(problems) == 2


def test_problems_name_the_file(tmp_path):
    write(tmp_path, term_toml("alfa"), "first.toml")
    write(tmp_path, term_toml("beta", sv_forms='"alfa"'), "second.toml")
    assert check_glossary(tmp_path) == [
        "second.toml: term 'beta' [sv]: form 'alfa' is already claimed by term 'alfa' (first.toml)"
    ]


def test_missing_folder_is_a_problem(tmp_path):
    assert check_glossary(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: no glossary file (*.toml) found there"
    ]


def test_single_file_can_be_loaded(tmp_path):
    path = write(tmp_path, term_toml("alfa")) / "terms.toml"
    assert list(load_glossary(path).terms) == ["alfa"]


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("insatserna", "sv", "insats"),
        ("INSATS", "sv", "insats"),
        ("korttids", "sv", "korttidsvistelse"),
        ("korttidsv", "sv", "korttidsvistelse"),
        ("vardplan", "sv", "vardplan"),
        ("atgardsprogram", "sv", "atgardsprogram"),
        ("habiltering", "sv", "habilitering"),
        ("narstaende", "sv", "narstaende"),
        ("foraldrarna", "sv", "foralder"),
        ("personlig assistans", "sv", "personlig-assistans"),
        ("personlig   assistans", "sv", "personlig-assistans"),
        ("extra anpasningar", "sv", "extra-anpassningar"),
        ("sip", "sv", "sip"),
        ("bup", "sv", "bup"),
        ("grundsärskola", "sv", "anpassad-grundskola"),
        ("short stay", "en", "korttidsvistelse"),
        ("guardians", "en", "vardnadshavare"),
        ("guardians", "sv", "vardnadshavare"),
        ("consnet", "en", "samtycke"),
    ],
)
def test_search_forgives_and_ranks_the_expected_term_first(glossary, query, lang, expected):
    results = glossary.search(query, lang)
    assert results and results[0].id == expected, [term.id for term in results]


def test_search_respects_the_limit_and_finds_nothing_for_nonsense(glossary):
    assert len(glossary.search("an", "sv", limit=3)) <= 3
    assert glossary.search("xqzzy", "sv") == []
    assert glossary.search("   ", "sv") == []


def test_unknown_language_is_refused(glossary):
    with pytest.raises(ValueError, match="unknown language"):
        glossary.find("insats", "de")
    with pytest.raises(ValueError, match="unknown language"):
        glossary.search("insats", "de")
