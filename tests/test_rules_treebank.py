"""Measure the conditional rule on Swedish-Talbanken, professional prose nobody here wrote.

Every sentence is labelled from the treebank's own annotation (tests/treebank.py), and the
detector's verdict is compared sentence by sentence, as `sip-meeting lint` would flag it.
The dev split's first two thirds were used for tuning; its last third was held out through the
first round of tuning (precision 0.556, recall 0.714 then) and then opened. The sample of the
train split was never used for tuning.
Figures are printed for all sentences and for those containing "om".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from treebank import SAMPLE, TREEBANK, Sentence, conditional_reasons, read

from sip_meeting.rules import default_rules, lint_text

# The target is precision 0.95 and recall 0.90. On the treebank precision stays below it: the
# dev split measures 0.929 (one "om" that is "whether": "valet står dem fritt om de vill") and
# the never-tuned train sample 0.917 blind (11 of 12 flags right). These floors keep what is
# reached; the sets are small, so one sentence moves precision by 0.08.
FLOORS = {"precision": 0.90, "recall": 0.90}


def parts() -> dict[str, list[Sentence]]:
    dev = read(TREEBANK)
    cut = len(dev) * 2 // 3
    return {"dev-tuning": dev[:cut], "dev-opened": dev[cut:], "dev": dev,
            "train-sample-held-out": read(SAMPLE)}


def score(sentences: list[Sentence]) -> dict[str, float]:
    rules = default_rules()
    tp = fp = fn = 0
    for s in sentences:
        flagged = any(f.rule == "conditional" for f in lint_text(s.text, rules))
        gold = bool(conditional_reasons(s))
        tp += flagged and gold
        fp += flagged and not gold
        fn += gold and not flagged
    return {"precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "tp": tp, "fp": fp, "fn": fn,
            "sentences": len(sentences)}


def test_labels_come_from_the_annotation() -> None:
    dev = read(TREEBANK)
    assert len(dev) == 504
    by_text = {s.text: bool(conditional_reasons(s)) for s in dev}
    # A conditional "om" clause, a verb-first condition, "som om" (as if) and a whether-clause
    # after "avgöra".
    assert by_text["Nu kan vi låta barnen studera om dom vill."]
    assert any(v and t.startswith("Men ställer man") for t, v in by_text.items())
    assert not any(v for t, v in by_text.items() if t.startswith("Det verkar som om"))
    assert not any(v for t, v in by_text.items() if "kan avgöra om hon vill" in t)


@pytest.mark.parametrize("part", ["dev-tuning", "dev-opened", "dev", "train-sample-held-out"])
@pytest.mark.parametrize("subset", ["all", "om"])
def test_conditional_detection_on_the_treebank(part: str, subset: str) -> None:
    sentences = parts()[part]
    if subset == "om":
        sentences = [s for s in sentences if s.has_om]
    figures = score(sentences)
    print(f"talbanken {part} ({subset}, {figures['sentences']} sentences) conditional: "
          f"precision {figures['precision']:.3f} recall {figures['recall']:.3f} "
          f"(tp {figures['tp']}, fp {figures['fp']}, fn {figures['fn']})")
    if part in ("dev", "train-sample-held-out"):
        for measure, floor in FLOORS.items():
            assert figures[measure] >= floor, (part, subset, figures)


def test_the_treebank_files_carry_their_licence() -> None:
    folder = Path(TREEBANK).parent
    assert "Attribution-ShareAlike 4.0" in (folder / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Talbanken" in (folder / "README.md").read_text(encoding="utf-8")
