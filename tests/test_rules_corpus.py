"""Measure conditional and hedge detection on the labelled corpora in tests/data/.

rules_corpus.tsv holds action texts; rules_corpus_authority.tsv holds sentences in the style of
public-authority guidance on coordinated planning, with many "om" that are not conditions.
A predicted span matches a gold span when the rule and the start offset agree. Lines below
the "# held-out" marker were never used for tuning; their figures are printed separately.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sip_meeting.rules import default_rules, lint_text

CORPUS = Path(__file__).parent / "data" / "rules_corpus.tsv"
AUTHORITY = Path(__file__).parent / "data" / "rules_corpus_authority.tsv"
# Parts whose floors are asserted; the others are measured and printed.
ASSERTED = {CORPUS: ("all",), AUTHORITY: ("all", "held-out")}
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
    for text, gold, _ in lines:
        predicted = {(f.rule, f.start) for f in lint_text(text, rules) if f.rule in SCORED}
        wanted = {g for g in gold if g[0] in SCORED}
        for rule in SCORED:
            p = {s for s in predicted if s[0] == rule}
            g = {s for s in wanted if s[0] == rule}
            counts[rule]["tp"] += len(p & g)
            counts[rule]["fp"] += len(p - g)
            counts[rule]["fn"] += len(g - p)
    result = {}
    for rule, c in counts.items():
        result[rule] = {
            "precision": c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0,
            "recall": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0,
            **c,
        }
    return result


def _report(name: str, figures: dict[str, dict[str, float]], n: int) -> None:
    for rule, f in figures.items():
        print(f"{name} ({n} lines) {rule}: precision {f['precision']:.3f} recall "
              f"{f['recall']:.3f} (tp {f['tp']}, fp {f['fp']}, fn {f['fn']})")


@pytest.mark.parametrize(("path", "size", "held_out", "empty"), [
    (CORPUS, 300, 75, 100),
    (AUTHORITY, 150, 50, 60),
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


@pytest.mark.parametrize("path", [CORPUS, AUTHORITY], ids=["actions", "authority"])
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
