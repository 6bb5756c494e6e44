"""The public glossary pages: search, the list from A to Ö, one page per term and its JSON."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from sip_meeting import glossary_views
from sip_meeting.glossary import ORGANISATIONS, GlossaryError, load_glossary

TERMS = load_glossary()
ENGLISH = {"Accept-Language": "en"}


def page(client, url: str, headers: dict | None = None) -> str:
    """Fetch a page that must exist and return its HTML."""
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def links(html: str) -> list[str]:
    """Return the term ids linked from a piece of HTML, in order."""
    return re.findall(r'href="/glossary/([a-z0-9-]+)"', html)


def between(html: str, start: str, end: str) -> str:
    """Return the part of the page from start up to the next end."""
    assert start in html, start
    rest = html.split(start, 1)[1]
    return rest.split(end, 1)[0]


@pytest.mark.parametrize("query,headers,first", [
    ("insatserna", {}, "insats"),  # an inflected form
    ("INSATS", {}, "insats"),  # capitals
    ("korttids", {}, "korttidsvistelse"),  # the beginning of a word
    ("vardplan", {}, "vardplan"),  # without å, ä and ö
    ("insastser", {}, "insats"),  # a small misspelling
    ("care plan", ENGLISH, "vardplan"),  # in English
    ("vårdplan", ENGLISH, "vardplan"),  # a Swedish word on the English page
])
def test_search_finds_the_term_first(client, query, headers, first):
    html = page(client, f"/glossary?q={query}", headers)
    results = between(html, '<ol class="term-list results">', "</ol>")
    assert links(results)[0] == first
    assert f'value="{query}"' in html  # the search box keeps what was typed


def test_one_strong_hit_shows_the_list_not_a_redirect(client):
    response = client.get("/glossary?q=insatserna")
    assert response.status_code == 200
    results = between(response.get_data(as_text=True), '<ol class="term-list results">', "</ol>")
    assert links(results) == ["insats"]
    assert TERMS.get("insats").sv.explanation in results


@pytest.mark.parametrize("query,headers,kind,suggested", [
    ("xyzzyq", ENGLISH, "We did not find any word that matches “xyzzyq”.", None),
    ("ocupational", ENGLISH, "We did not find any word that matches “ocupational”.",
     "arbetsterapeut"),
    ("xyzzyq", {}, 'class="no-results"', None),
])
def test_nothing_found_is_said_kindly_with_close_words(client, query, headers, kind, suggested):
    html = page(client, f"/glossary?q={query}", headers)
    assert kind in html
    assert '<ol class="term-list results">' not in html
    if suggested:
        assert links(between(html, '<ul class="suggestions">', "</ul>")) == [suggested]
    else:
        assert '<ul class="suggestions">' not in html


def test_search_text_is_escaped(client):
    html = page(client, "/glossary?q=<script>alert(1)</script>", ENGLISH)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_without_a_query_every_term_is_listed_in_swedish_order(client):
    html = page(client, "/glossary")
    listed = links(between(html, 'id="all-heading"', "</main>"))
    assert sorted(listed) == sorted(TERMS.terms)
    # Swedish dictionary order: ... v, å, ä, ö.
    assert listed.index("vardplan") < listed.index("atgard") < listed.index("overklagande")
    assert '<h3 id="letter-Ö">Ö</h3>' in html
    assert "#letter-Å" in html


def test_english_list_uses_english_headwords(client):
    html = page(client, "/glossary", ENGLISH)
    group = between(html, '<h3 id="letter-A">A</h3>', "</dl>")
    assert ">appeal</a>" in group  # överklagande, listed under its English headword
    assert "All words in alphabetical order" in html


@pytest.mark.parametrize("term_id", ["insats", "narstaende", "utredning", "vardplan", "anmalan"])
def test_term_page_shows_meanings_per_organisation_and_the_question(client, term_id):
    term = TERMS.get(term_id)
    html = page(client, f"/glossary/{term_id}")
    assert f'<h1 id="term-heading">{term.sv.headword}</h1>' in html
    assert f'<dd lang="en">{term.en.headword}</dd>' in html
    assert term.sv.explanation in html
    assert f'<p class="question">{term.sv.question}</p>' in html
    shown = re.findall(r'class="meaning meaning-([a-z]+)"', html)
    assert shown == [org for org in ORGANISATIONS if term.meaning(org, "sv")]
    assert len(shown) >= 2, "these terms are chosen because their meaning differs"
    for org in shown:
        assert term.meaning(org, "sv") in html
    assert links(between(html, '<ul class="related">', "</ul>")) == list(term.related)


def test_term_page_shows_the_law_and_other_forms(client):
    html = page(client, "/glossary/personlig-assistans", ENGLISH)
    sources = between(html, '<ul class="sources" lang="sv">', "</ul>")
    assert "<cite>LSS (1993:387)</cite>, 9 §" in sources
    assert "Assistansersättning från Försäkringskassan." in sources
    forms = between(html, "Also called</dt><dd>", "</dd>")
    assert forms.split(", ") == list(TERMS.get("personlig-assistans").en.synonyms)


def english_by_header(client):
    return page(client, "/glossary/insats", ENGLISH)


def english_by_choice(client):
    client.post("/language", data={"lang": "en"})
    return page(client, "/glossary/insats")


@pytest.mark.parametrize("fetch", [english_by_header, english_by_choice])
def test_english_term_page(client, fetch):
    term = TERMS.get("insats")
    html = fetch(client)
    assert '<html lang="en">' in html
    assert f'<h1 id="term-heading">{term.en.headword}</h1>' in html
    assert f'<dd lang="sv">{term.sv.headword}</dd>' in html
    assert term.en.explanation in html and term.sv.explanation not in html
    assert term.en.question in html
    assert term.meaning("municipality", "en") in html
    assert "<h3>Social Insurance Agency</h3>" in html
    assert "A question you can ask" in html


def test_json_has_exactly_the_agreed_shape(client):
    response = client.get("/glossary/insats.json?lang=en", headers={"Accept-Language": "sv"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    data = response.get_json()
    term = TERMS.get("insats")
    assert set(data) == {"id", "headword", "explanation", "question", "meanings", "related",
                         "sources"}
    assert (data["id"], data["headword"], data["question"]) == ("insats", term.en.headword,
                                                               term.en.question)
    assert [m["org"] for m in data["meanings"]] == [
        org for org in ORGANISATIONS if term.meaning(org, "en")]
    assert all(set(m) == {"org", "label", "text"} for m in data["meanings"])
    assert data["meanings"][0] == {"org": "municipality", "label": "Municipality",
                                   "text": term.meaning("municipality", "en")}
    assert data["related"][0] == {"id": term.related[0],
                                  "headword": TERMS.get(term.related[0]).en.headword}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_json_sources_and_language(client, lang):
    data = client.get(f"/glossary/personlig-assistans.json?lang={lang}").get_json()
    term = TERMS.get("personlig-assistans")
    assert data["explanation"] == term.text(lang).explanation
    assert data["sources"][0] == {"law": "LSS (1993:387)", "section": "9 §",
                                  "note": term.sources[0].note}


@pytest.mark.parametrize("url", ["/glossary/no-such-word", "/glossary/no-such-word.json"])
def test_unknown_term_is_not_found(client, url):
    response = client.get(url, headers=ENGLISH)
    assert response.status_code == 404
    if not url.endswith(".json"):
        assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/glossary", "/glossary?q=insats", "/glossary/insats",
                                 "/glossary/insats.json"])
def test_pages_need_no_login(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_broken_glossary_stops_start_up_naming_the_file(tmp_path):
    (tmp_path / "broken.toml").write_text('[[term]]\nid = "x"\n', encoding="utf-8")
    app = Flask(__name__)
    app.config["GLOSSARY_PATH"] = str(tmp_path)
    with pytest.raises(GlossaryError, match="broken.toml"):
        glossary_views.init_app(app)
    assert "sip_glossary" not in app.extensions
