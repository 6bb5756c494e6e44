"""A psycopg connection that waits for PostgreSQL on gevent's loop, one watcher per wait."""

from __future__ import annotations

from typing import Any

import psycopg
from gevent import get_hub, getcurrent


def wait_on_loop(gen: Any, fileno: int) -> Any:
    """Run one of psycopg's generators, parking the greenlet while the socket is not ready.

    psycopg's generators yield what they wait for (read, write or both, the same bits as
    libev's) and are sent what became ready.
    """
    hub = get_hub()
    try:
        state = next(gen)
        while True:
            watcher = hub.loop.io(fileno, state)
            watcher.start(getcurrent().switch, pass_events=True)
            try:
                ready = hub.switch()
            finally:
                watcher.stop()
                watcher.close()
            state = gen.send(ready)
    except StopIteration as done:
        return done.value


class GeventConnection(psycopg.Connection):
    """psycopg's connection, waiting through `wait_on_loop` when no timeout is asked for."""

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None:  # rare (notifications, cancelling): psycopg's own way
            return super().wait(gen, interval, timeout)
        return wait_on_loop(gen, self.pgconn.socket)
