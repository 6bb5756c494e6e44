"""Limits on what a live socket may send, far beyond what a real meeting needs.

Before any handler sees a payload, it must be a small JSON value that every operation can
compare, store and encode (`payload_problem`): integers that JavaScript holds exactly, finite
numbers, strings without NUL or lone surrogates, keys that are strings, a bounded depth and size.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: every id fits
MAX_DEPTH = 6  # the protocol nests two deep: {values: {field: value}}
MAX_NODES = 1000  # values, keys and containers of one payload together
MAX_CHARS = 100_000  # characters of its strings and keys together (a text field holds 4000)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def payload_problem(payload: Any) -> str | None:
    """Return why a payload is not a small JSON value every operation can handle, or None.

    The answer names the problem for tests and debugging; the client is told only that the
    change could not be read.
    """
    stack = [(payload, 0)]
    nodes = chars = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return "integer"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return "number"
        elif isinstance(value, str):
            chars += len(value)
            if chars > MAX_CHARS:
                return "size"
            if _UNSTORABLE.search(value):
                return "character"
        elif isinstance(value, (list, dict)):
            if depth >= MAX_DEPTH:
                return "depth"
            if nodes + len(value) * (2 if isinstance(value, dict) else 1) > MAX_NODES:
                return "size"
            if isinstance(value, dict):
                if not all(isinstance(key, str) for key in value):
                    return "key"
                stack.extend((key, depth + 1) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)
        else:  # bytes (a binary attachment) or anything else JSON does not have
            return "type"
        if nodes > MAX_NODES:
            return "size"
    return None
