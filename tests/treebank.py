"""Read Swedish-Talbanken and derive sentence labels from its annotation.

A sentence is labelled conditional when the treebank marks a conditional clause in it: a
clause (`advcl`) introduced by a conditional marker ("om", "ifall", "såvida"), a clause
opened by "förutsatt att" or "under förutsättning att", or a verb-first clause: an `advcl`
that opens its sentence with its finite verb, its subject after it ("Men ställer man dom mot
varandra, avslöjas ..."). "om" as a preposition (`case`), as the marker of a whether-clause
(`mark` of `csubj`/`ccomp`), in "som om" (as if), "även om" (even if), "oavsett om" and
"oberoende av om" (regardless of whether), before "att", or with no clause after it is no
condition. The files and their licence are in tests/data/talbanken/ (CC BY-SA 4.0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TREEBANK = Path(__file__).parent / "data" / "talbanken" / "sv_talbanken-ud-dev.conllu"
SAMPLE = TREEBANK.parent / "sv_talbanken-ud-train-sample.conllu"
MARKERS = frozenset({"om", "ifall", "såvida"})
# Conditions that the treebank annotates as a participle or noun with "att": "förutsatt att".
PHRASES = ("förutsatt att", "under förutsättning att", "i händelse av att")
# "som om" compares, "även om"/"fast om" concede: their "om" is no condition.
# "oavsett om" is "regardless of whether".
NOT_CONDITIONAL_BEFORE = frozenset({"som", "även", "fast", "ens", "oavsett"})
NOT_CONDITIONAL_PHRASES = frozenset({"oberoende av", "beroende på"})


@dataclass
class Token:
    id: int
    form: str
    lemma: str
    upos: str
    feats: str
    head: int
    deprel: str
    misc: str


@dataclass
class Sentence:
    sent_id: str
    text: str
    tokens: list[Token] = field(default_factory=list)

    @property
    def conditional(self) -> bool:
        return bool(conditional_reasons(self))

    @property
    def has_om(self) -> bool:
        return any(t.form.lower() == "om" for t in self.tokens)


def read(path: Path = TREEBANK) -> list[Sentence]:
    """Return every sentence of a CoNLL-U file, multi-word token lines skipped."""
    sentences: list[Sentence] = []
    current: Sentence | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# sent_id = "):
            current = Sentence(line.split("= ", 1)[1], "")
            sentences.append(current)
        elif line.startswith("# text = ") and current is not None:
            current.text = line.split("= ", 1)[1]
        elif line and not line.startswith("#") and current is not None:
            cols = line.split("\t")
            if not cols[0].isdigit():
                continue
            current.tokens.append(Token(int(cols[0]), cols[1], cols[2], cols[3], cols[5],
                                        int(cols[6]), cols[7], cols[9]))
    return sentences


def conditional_reasons(s: Sentence) -> list[str]:
    """Return why the annotation makes this sentence conditional (empty if it does not)."""
    reasons = [f"phrase:{p}" for p in PHRASES if p in s.text.lower()]
    by_id = {t.id: t for t in s.tokens}
    for t in s.tokens:
        if t.deprel.startswith("advcl") and t.id < t.head and _verb_first(t, s.tokens):
            reasons.append(f"verb-first:{t.form}")
        if t.deprel == "mark" and t.form.lower() in MARKERS:
            head = by_id.get(t.head)
            before = " ".join(by_id[i].form.lower() for i in (t.id - 2, t.id - 1) if i in by_id)
            after = by_id.get(t.id + 1)
            if (head is not None and head.deprel.startswith("advcl")
                    and before.split(" ")[-1] not in NOT_CONDITIONAL_BEFORE
                    and before not in NOT_CONDITIONAL_PHRASES
                    and after is not None and after.upos != "PUNCT"
                    and after.form.lower() != "att"):
                reasons.append(f"mark:{t.form}")
    return reasons


def _verb_first(verb: Token, tokens: list[Token]) -> bool:
    """Tell whether an adverbial clause opens with its finite verb, its subject after it.

    Only a clause before its main clause counts: a reporting clause after a quotation
    ("..., tänker dom") has the same order but is no condition.
    """
    if "VerbForm=Fin" not in verb.feats or "Mood=Imp" in verb.feats:
        return False
    children = [t for t in tokens if t.head == verb.id]
    if any(c.deprel == "mark" for c in children):
        return False
    subjects = [c for c in children if c.deprel.startswith(("nsubj", "expl"))]
    if not subjects or subjects[0].id < verb.id:
        return False
    # The verb opens the sentence, after at most a conjunction ("Men ställer man ..."); a
    # parenthesis such as "Kan det, frågar någon, vara ..." is no condition.
    return all(t.upos in ("CCONJ", "PUNCT") for t in tokens if t.id < verb.id)
