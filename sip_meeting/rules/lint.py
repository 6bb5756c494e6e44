"""Span-level text rules on one action text: conditions, hedges, vague times, vague subjects."""

from __future__ import annotations

import hashlib

from .conditions import find_spans
from .core import Finding, Rules, Span
from .text import SENTENCE_ENDS, sv_finite, tokenize


def lint_text(text: str, rules: Rules, lang: str = "sv") -> list[Finding]:
    """Return the span-level findings in one action text, sorted by where they start."""
    return text_findings(text, rules, lang, section="actions", item_id=None, field="what")


def text_findings(text: str, rules: Rules, lang: str, *, section: str, item_id: int | None,
                  field: str, dated: bool = False, conditions: bool = True,
                  hedges: bool = True) -> list[Finding]:
    """Return span findings for one field; vague times count only when nothing is dated.

    `conditions` and `hedges` False leave out conditions and hedges the plan has resolved.
    """
    return [
        rules.finding(s.rule, lang, section=section, item_id=item_id, field=field,
                      start=s.start, end=s.end, phrase=text[s.start:s.end])
        for s in text_spans(text, rules, dated, conditions, hedges)
    ]


def text_spans(text: str, rules: Rules, dated: bool = False, conditions: bool = True,
               hedges: bool = True) -> tuple[Span, ...]:
    """Return the span hits of one text, sorted and never two on the same words.

    Remembered per rule set: the plan is checked again in every reader language after each
    pause in writing, and most of its texts have not changed since the last time. The key is
    a digest of the text, so what a family said is not kept in memory beyond its check.
    """
    key = (hashlib.blake2b(text.encode(), digest_size=16).digest(), dated, conditions, hedges)
    spans = rules.span_memory.get(key)
    if spans is None:
        spans = _find_text_spans(text, rules, dated, conditions, hedges)
        rules.span_memory.put(key, spans)
    return spans


def _find_text_spans(text: str, rules: Rules, dated: bool, conditions: bool, hedges: bool
                     ) -> tuple[Span, ...]:
    left_out = {rule for rule, keep in (("conditional", conditions), ("hedge", hedges))
                if not keep}
    spans = [s for s in find_spans(text, rules.detector) if s.rule not in left_out]
    if not dated:
        spans += [Span("vague_time", m.start(), m.end()) for m in rules.vague_time.finditer(text)]
    spans += _vague_subjects(text, rules)
    return tuple(_without_overlaps(spans))


def _vague_subjects(text: str, rules: Rules) -> list[Span]:
    # Only a sentence's first word followed by a verb: "Vi bokar ...", "Someone calls ...".
    g = rules.detector.grammar
    vague = rules.words["vague_who"]
    toks = tokenize(text)
    spans = []
    for i, tok in enumerate(toks[:-1]):
        if tok.low not in vague or (i > 0 and toks[i - 1].text not in SENTENCE_ENDS):
            continue
        nxt = toks[i + 1]
        if sv_finite(nxt, g) or nxt.low in g.en_finite or nxt.low.endswith("s"):
            spans.append(Span("vague_who", tok.start, tok.end))
    return spans


def _without_overlaps(spans: list[Span]) -> list[Span]:
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.start - s.end)):
        if not any(span.start < k.end and k.start < span.end for k in kept):
            kept.append(span)
    return kept
