"""Limits on live sockets that a real meeting never reaches, so that one device cannot flood it.

A person writing sends about one event a second (an edit when they pause, a `typing` when
they enter a field), a few when they move quickly from field to field, and a phone, a laptop
and a reloaded page or two stay connected at once. A script can open hundreds of sockets with
one join link and send thousands of events, each of them written to disk and broadcast to
everyone in the room. So, with the settings in config.py:

- a participant may hold LIVE_MAX_SOCKETS_PER_PARTICIPANT sockets at once, counted over every
  server process (`presence.connection_count`), and the next one is refused at connect;
- each socket has a token bucket for its events (`sync` included): LIVE_EVENTS_PER_SECOND
  come back every second, up to LIVE_EVENTS_BURST saved up;
- and a smaller one for `typing`, which is broadcast but never stored: LIVE_TYPING_PER_SECOND,
  up to LIVE_TYPING_BURST.

Beyond a limit an event is answered `rate_limited` and nothing is stored or sent on. A rate
of 0 turns its limit off.

Before any handler sees a payload, it must be a small JSON value that every operation can
compare, store and encode (`payload_problem`): integers that JavaScript holds exactly, finite
numbers, strings without NUL or lone surrogates, keys that are strings, a bounded depth and size.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from . import presence

# The clock of the buckets (tests replace it to make time stand still or jump).
clock = time.monotonic

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


class TokenBucket:
    """Allow `rate` events a second on average, and a burst of up to `burst` at once."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = float(rate), float(max(burst, 1))
        self.tokens, self.stamp = self.burst, clock()

    def take(self) -> bool:
        """Spend one token if there is one; tell whether the event may go ahead."""
        if self.rate <= 0:
            return True
        now = clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class SocketBudget:
    """What one socket may still send: its events, and its `typing` separately."""

    events: TokenBucket
    typing: TokenBucket

    @classmethod
    def from_config(cls, config: Any) -> SocketBudget:
        return cls(TokenBucket(config["LIVE_EVENTS_PER_SECOND"], config["LIVE_EVENTS_BURST"]),
                   TokenBucket(config["LIVE_TYPING_PER_SECOND"], config["LIVE_TYPING_BURST"]))

    def allow(self, event: str) -> bool:
        """Spend from the bucket of this event; tell whether it may go ahead."""
        return (self.typing if event == "typing" else self.events).take()


def room_for_socket(session: Session, participant_id: int, config: Any) -> bool:
    """Tell whether a participant may open one more socket (over every server process)."""
    limit = config["LIVE_MAX_SOCKETS_PER_PARTICIPANT"]
    return not limit or presence.connection_count(session, participant_id) < limit
