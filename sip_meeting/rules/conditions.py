"""Find conditional clauses and hedges in one text, in Swedish and in English.

Swedish "om" is a condition only in "om + subject + finite verb", and not when the words
around it make it a preposition ("information om"), a particle ("ta hand om"), "whether"
("fråga om", "ta reda på om", "bedömer i samråd med skolan om"), a time ("om en vecka") or
concessive ("även om").
"""

from __future__ import annotations

from .core import Span
from .text import (
    BREAKS,
    SENTENCE_ENDS,
    Detector,
    Grammar,
    MatchRules,
    Tok,
    en_subject,
    sv_finite,
    sv_subject,
    tokenize,
)

_CONJUNCTIONS = frozenset({"och", "men", "eller", "samt", "utan", "and", "but", "or"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being", "am"})
_NOT_MAIN = frozenset({"och", "men", "eller", "samt", "att", "som"})
_PRONOUNS = frozenset({"hen", "han", "hon", "det", "de", "den", "dom", "vi", "ni", "jag", "du",
                       "man"})


def find_spans(text: str, det: Detector) -> list[Span]:
    """Return conditional and hedge spans in text, sorted, never two on the same words."""
    toks = tokenize(text)
    index = {t.start: i for i, t in enumerate(toks)}
    hedges = [Span("hedge", m.start(), m.end()) for m in det.hedge.finditer(text)]
    found: list[Span] = [Span("conditional", m.start(), m.end()) for m in det.plain.finditer(text)]
    for pattern, test in ((det.om, _om_condition), (det.if_, _if_condition),
                          (det.clause, _clause_condition)):
        for m in pattern.finditer(text):
            first = index[m.start()]
            last = first + len(m.group().split()) - 1
            if test(toks, first, last, det):
                found.append(Span("conditional", m.start(), m.end()))
    found += _verb_first(toks, det)
    return _resolve(hedges, found)


def _resolve(hedges: list[Span], found: list[Span]) -> list[Span]:
    # A hedge such as "om möjligt" wins over the "om" inside it; longer markers win over parts.
    kept = list(hedges)
    for span in sorted(found, key=lambda s: (s.start, s.start - s.end)):
        if not any(span.start < k.end and k.start < span.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))


def _before(toks: list[Tok], first: int, limit: int = 4) -> list[str]:
    # A parenthesis is skipped: "lagen (1993:387) om stöd" reads as "lagen om stöd".
    words: list[str] = []
    k = first - 1
    while k >= 0 and len(words) < limit:
        tok = toks[k]
        if tok.text == ")":
            k = _opening(toks, k)
        elif not tok.is_word or tok.low in _CONJUNCTIONS:
            break
        else:
            words.append(tok.low)
        k -= 1
    return words


def _opening(toks: list[Tok], close: int) -> int:
    for k in range(close - 1, max(-1, close - 12), -1):
        if toks[k].text == "(":
            return k
    return -1


def _after(toks: list[Tok], last: int, limit: int = 5) -> list[Tok]:
    words: list[Tok] = []
    for tok in toks[last + 1:last + 1 + limit]:
        if not tok.is_word:
            break
        words.append(tok)
    return words


def _excluded(rules: MatchRules, before: list[str], after: list[Tok]) -> bool:
    if not after:
        return True
    if before and rules.after_word.fullmatch(before[0]):
        return True
    if any(rules.after_near.fullmatch(w) for w in before[:3]):
        return True
    if before and rules.after_phrase.search(" ".join(reversed(before))):
        return True
    return bool(rules.before.match(" ".join(t.low for t in after)))


def _judged(toks: list[Tok], first: int, rules: MatchRules, g: Grammar, swedish: bool) -> bool:
    """Tell whether "om" is "whether" after a verb of judging: "bedömer i samråd med X om"."""
    for k in range(first - 1, max(-1, first - 9), -1):
        tok = toks[k]
        if not tok.is_word or tok.low in _CONJUNCTIONS or tok.low in ("om", "if", "att", "som"):
            return False
        if rules.after_verb.fullmatch(tok.low):
            passive = k > 0 and toks[k - 1].low in _BE  # "is reviewed if": a condition
            return not passive and (k + 1 == first or toks[k + 1].low in g.adverbial_starts)
        if (sv_finite(tok, g) if swedish else tok.low in g.en_finite):
            return False  # another verb's clause
    return False


def _om_condition(toks: list[Tok], first: int, last: int, det: Detector) -> bool:
    if _excluded(det.om_rules, _before(toks, first), _after(toks, last)):
        return False
    if _judged(toks, first, det.om_rules, det.grammar, swedish=True):
        return False
    if _coordinated_with_governed(toks, first, det):
        return False
    return _sv_clause_follows(toks, last + 1, det)


def _sv_clause_follows(toks: list[Tok], start: int, det: Detector) -> bool:
    # Look for the clause's finite verb after its subject; a new clause ends the search.
    g = det.grammar
    for k in range(start + 1, min(len(toks), start + 8)):
        tok, prev = toks[k], toks[k - 1]
        if not tok.is_word:
            return False
        if tok.low in g.sv_clause_stops and not _joins_subjects(toks, k, start, g):
            return False
        if sv_finite(tok, g) and (prev.low not in g.sv_prepositions or prev.low in g.sv_subjects):
            return True
    return False


def _joins_subjects(toks: list[Tok], k: int, start: int, g: Grammar) -> bool:
    # "om kommunen eller regionen bedömer": a conjunction inside a short subject. A word
    # that can start a subject after it joins only two definite nouns ("föräldrarna och
    # skolan har"); a pronoun after it starts a new clause.
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if (toks[k].low not in ("och", "eller") or k - start > 2 or nxt is None
            or not nxt.is_word or nxt.low in _PRONOUNS or sv_finite(nxt, g)):
        return False
    return nxt.low not in g.sv_subjects or sv_subject(toks[k - 1], g)


def _coordinated_with_governed(toks: list[Tok], first: int, det: Detector) -> bool:
    # "prövas om målen nåtts och om planen behöver ...": the second "om" is "whether" too.
    if first == 0 or toks[first - 1].low not in ("och", "eller"):
        return False
    for j in range(first - 2, -1, -1):
        if toks[j].text in SENTENCE_ENDS:
            return False
        if toks[j].low == "om":
            return _excluded(det.om_rules, _before(toks, j), _after(toks, j))
    return False


def _if_condition(toks: list[Tok], first: int, last: int, det: Detector) -> bool:
    if _judged(toks, first, det.if_rules, det.grammar, swedish=False):
        return False
    return not _excluded(det.if_rules, _before(toks, first), _after(toks, last))


def _clause_condition(toks: list[Tok], first: int, last: int, det: Detector) -> bool:
    after = _after(toks, last, 6)
    before = _before(toks, first, 1)
    if not after or (before and before[0] in _BE):
        return False
    if after[0].low == "that":
        return True
    g = det.grammar
    if not en_subject(after[0], g):
        return False
    return any(_en_verb(after[k], after[k - 1], g.en_finite, g.en_subjects)
               for k in range(1, len(after)))


def _en_verb(tok: Tok, prev: Tok, finite: frozenset[str], subjects: frozenset[str]) -> bool:
    if tok.low in finite:
        return True
    return len(tok.low) > 3 and tok.low.endswith(("s", "ed")) and prev.low not in subjects


def _verb_first(toks: list[Tok], det: Detector) -> list[Span]:
    """Find clauses that open with a finite verb and a subject: "Kommer hen inte, ..."."""
    spans = []
    for c in _clause_starts(toks):
        end = _sentence_end(toks, c)
        if end < len(toks) and toks[end].text == "?":
            continue  # a question, not a condition
        if _en_inverted(toks, c, end, det) or _sv_verb_first(toks, c, end, det):
            spans.append(Span("conditional", toks[c].start, toks[c].end))
    return spans


def _clause_starts(toks: list[Tok]) -> list[int]:
    starts = [0] if toks else []
    starts += [i + 1 for i, t in enumerate(toks[:-1]) if t.text in BREAKS]
    return [i for i in starts if toks[i].is_word]


def _sentence_end(toks: list[Tok], c: int) -> int:
    for k in range(c, len(toks)):
        if toks[k].text in SENTENCE_ENDS:
            return k
    return len(toks)


def _en_inverted(toks: list[Tok], c: int, end: int, det: Detector) -> bool:
    if toks[c].low not in det.inverted or c + 2 >= end:
        return False
    nxt = toks[c + 1]
    return en_subject(nxt, det.grammar) and nxt.low not in {"a", "an"}


def _sv_verb_first(toks: list[Tok], c: int, end: int, det: Detector) -> bool:
    g = det.grammar
    initial = c == 0 or toks[c - 1].text in SENTENCE_ENDS
    if not sv_finite(toks[c], g, initial=initial) or c + 1 >= end:
        return False
    subject = c + 2 if toks[c + 1].low == "inte" else c + 1
    if subject >= end or not _verb_first_subject(toks[c], toks[subject], g):
        return False
    if not initial and _after_subordinate(toks, c, g.sv_subordinators):
        return False  # the main clause after "Om ..., " also starts with its verb
    return _main_clause_follows(toks, subject + 1, end, det)


def _verb_first_subject(verb: Tok, tok: Tok, g: Grammar) -> bool:
    # A passive or "-s" verb often takes a bare noun: "Saknas samtycke ...", "Krävs tolk ...".
    if sv_subject(tok, g):
        return True
    return (verb.low.endswith("s") and tok.is_word and tok.low.isalpha()
            and tok.low not in g.sv_prepositions and tok.low not in g.sv_not_verbs)


def _after_subordinate(toks: list[Tok], c: int, subordinators: frozenset[str]) -> bool:
    k = c - 1
    while k > 0 and toks[k - 1].text not in BREAKS:
        k -= 1
    return toks[k].low in subordinators


def _main_clause_follows(toks: list[Tok], start: int, end: int, det: Detector) -> bool:
    g = det.grammar
    for j in range(start, end):
        tok, prev = toks[j], toks[j - 1]
        if not tok.is_word or not sv_finite(tok, g):
            continue
        nxt = toks[j + 1] if j + 1 < end else None
        # The main clause's subject may be indefinite: "... ska en anmälan göras".
        if prev.text == "," or (prev.low not in _NOT_MAIN and nxt is not None
                                and (sv_subject(nxt, g) or nxt.low in ("en", "ett"))):
            return True
    return False
