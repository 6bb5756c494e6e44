"""Measure conditional and hedge detection on the labelled corpora in tests/data/.

rules_corpus.tsv holds action texts; rules_corpus_authority.tsv holds sentences in the style of
public-authority guidance on coordinated planning, with many "om" that are not conditions; both
were written for the project. The rules_corpus_real_* files hold real sentences quoted from
public sources (their headers and .sources.tsv files name them), labelled before the detector
was run on them: rules_corpus_real_sv.tsv was used for tuning; rules_corpus_real_sv_heldout2.tsv
was measured once blind and then opened (its header gives the blind figures);
rules_corpus_real_sv_heldout3.tsv was likewise measured once blind, then opened after a round of
general fixes (its header gives the figures before and after). A predicted span matches a gold
span when the rule and the start offset agree; a sentence counts as flagged when any span of the
rule is. Lines below a "# held-out" marker were never used for tuning; their figures are printed
separately.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sip_meeting.rules import default_rules, lint_text

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "rules_corpus.tsv"
AUTHORITY = DATA / "rules_corpus_authority.tsv"
REAL_SV = DATA / "rules_corpus_real_sv.tsv"
REAL_SV_SECOND = DATA / "rules_corpus_real_sv_heldout2.tsv"
REAL_SV_THIRD = DATA / "rules_corpus_real_sv_heldout3.tsv"
REAL_EN = DATA / "rules_corpus_real_en.tsv"
# Parts whose floors are asserted; the others are measured and printed.
ASSERTED = {CORPUS: ("all",), AUTHORITY: ("all", "held-out"), REAL_SV: ("all",),
            REAL_SV_SECOND: ("all",), REAL_SV_THIRD: ("all",), REAL_EN: ("tuning",)}
SCORED = ("conditional", "hedge")
FLOORS = {"conditional": {"precision": 0.95, "recall": 0.90}, "hedge": {"recall": 0.90}}


def read_corpus(path: Path = CORPUS) -> list[tuple[str, set[tuple[str, int]], bool]]:
    """Return (text, gold spans as (rule, start), held_out) for every labelled line."""
    lines, held_out = [], False
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("# held-out"):
            held_out = True
        if not raw.strip() or raw.startswith("#"):
            continue
        text, _, labels = raw.partition("\t")
        gold = {gold_span(text, item) for item in labels.split("|") if item.strip()}
        lines.append((text, gold, held_out))
    return lines


def gold_span(text: str, item: str) -> tuple[str, int]:
    """Locate one "rule:phrase[#n]" label in text and return (rule, start)."""
    rule, _, phrase = item.strip().partition(":")
    phrase, _, nth = phrase.partition("#")
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)"
    hits = list(re.finditer(pattern, text, re.IGNORECASE))
    index = int(nth or 1) - 1
    if index >= len(hits):
        raise ValueError(f"label {item!r} not found in {text!r}")
    return rule, hits[index].start()


def score(lines: list[tuple[str, set[tuple[str, int]], bool]]) -> dict[str, dict[str, float]]:
    """Return precision, recall and counts per scored rule over the given lines."""
    rules = default_rules()
    counts = {rule: {"tp": 0, "fp": 0, "fn": 0} for rule in SCORED}
    sentences = {rule: {"tp": 0, "fp": 0, "fn": 0} for rule in SCORED}
    for text, gold, _ in lines:
        predicted = {(f.rule, f.start) for f in lint_text(text, rules) if f.rule in SCORED}
        wanted = {g for g in gold if g[0] in SCORED}
        for rule in SCORED:
            p = {s for s in predicted if s[0] == rule}
            g = {s for s in wanted if s[0] == rule}
            counts[rule]["tp"] += len(p & g)
            counts[rule]["fp"] += len(p - g)
            counts[rule]["fn"] += len(g - p)
            sentences[rule]["tp"] += bool(p) and bool(g)
            sentences[rule]["fp"] += bool(p) and not g
            sentences[rule]["fn"] += bool(g) and not p
    result = {}
    for rule, c in counts.items():
        s = sentences[rule]
        result[rule] = {
            "precision": _ratio(c["tp"], c["fp"]), "recall": _ratio(c["tp"], c["fn"]), **c,
            "sentence_precision": _ratio(s["tp"], s["fp"]),
            "sentence_recall": _ratio(s["tp"], s["fn"]),
        }
    return result


def _ratio(hits: int, misses: int) -> float:
    return hits / (hits + misses) if hits + misses else 1.0


def _report(name: str, figures: dict[str, dict[str, float]], n: int) -> None:
    for rule, f in figures.items():
        print(f"{name} ({n} lines) {rule}: precision {f['precision']:.3f} recall "
              f"{f['recall']:.3f} (tp {f['tp']}, fp {f['fp']}, fn {f['fn']}); sentences: "
              f"precision {f['sentence_precision']:.3f} recall {f['sentence_recall']:.3f}")


@pytest.mark.parametrize(("path", "size", "held_out", "empty"), [
    (CORPUS, 300, 75, 100),
    (AUTHORITY, 150, 50, 60),
    (REAL_SV, 250, 0, 100),
    (REAL_SV_SECOND, 150, 0, 50),
    (REAL_SV_THIRD, 200, 0, 50),
    (REAL_EN, 90, 30, 30),
])
def test_corpus_is_large_and_labelled(path: Path, size: int, held_out: int, empty: int) -> None:
    lines = read_corpus(path)
    assert len(lines) >= size
    assert sum(1 for _, _, held in lines if held) >= held_out
    assert sum(1 for _, gold, _ in lines if not gold) >= empty


def test_authority_corpus_has_many_non_conditional_om() -> None:
    lines = read_corpus(AUTHORITY)
    om = [text for text, gold, _ in lines
          if re.search(r"(?<!\w)om(?!\w)", text, re.IGNORECASE) and not gold]
    assert len(om) >= 60


@pytest.mark.parametrize("path",
                         [CORPUS, AUTHORITY, REAL_SV, REAL_SV_SECOND, REAL_SV_THIRD, REAL_EN],
                         ids=["actions", "authority", "real-sv", "real-sv-second", "real-sv-third",
                              "real-en"])
@pytest.mark.parametrize("part", ["all", "tuning", "held-out"])
def test_detection_meets_floors(path: Path, part: str) -> None:
    lines = read_corpus(path)
    if part != "all":
        lines = [line for line in lines if line[2] == (part == "held-out")]
    figures = score(lines)
    _report(f"{path.stem} {part}", figures, len(lines))
    if part in ASSERTED[path]:
        for rule, floors in FLOORS.items():
            for measure, floor in floors.items():
                assert figures[rule][measure] >= floor, (rule, measure, figures[rule])
                if measure in ("precision", "recall") and path.name.startswith("rules_corpus_real"):
                    sentence = figures[rule][f"sentence_{measure}"]
                    assert sentence >= floor, (rule, f"sentence {measure}", figures[rule])
