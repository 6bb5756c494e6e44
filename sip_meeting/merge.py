"""Three-way merge of concurrent edits to one text, word by word."""

from __future__ import annotations

import re

from merge3 import Merge3

# Words, runs of whitespace and single punctuation marks: two people editing different words
# of the same sentence merge cleanly; edits that touch the same words conflict.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def merge_text(base: str, theirs: str, mine: str) -> str | None:
    """Merge two edits of a common base; return None when they overlap."""
    if theirs == base:
        return mine
    if mine == base or mine == theirs:
        return theirs
    merger = Merge3(_TOKENS.findall(base), _TOKENS.findall(theirs), _TOKENS.findall(mine))
    out: list[str] = []
    for group in merger.merge_groups():
        if group[0] == "conflict":
            return None
        out.extend(group[1])
    return "".join(out)
