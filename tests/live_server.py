"""A real sip-meeting server process for tests that need one: restarts and browsers."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

EXE = str(Path(sys.executable).with_name("sip-meeting"))


def free_port() -> int:
    """Return a TCP port on the loopback interface that nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`sip-meeting serve` on its own port and instance folder, seeded with the demo.

    `env` adds settings (SIP_MEETING_* variables). `LiveServer.beside(other)` is a second
    process of the same deployment: the same instance folder, database and settings.
    """

    def __init__(self, instance: Path, database_url: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.log = instance.parent / f"serve-{instance.name}.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SIP_MEETING_INSTANCE_PATH": str(instance),
                    "SIP_MEETING_SECRET_KEY": "live-server-test-secret", "PYTHONUNBUFFERED": "1",
                    **(env or {})}
        if database_url:
            self.env["SIP_MEETING_DATABASE_URL"] = database_url
        self.process: subprocess.Popen | None = None
        self._run("db", "upgrade")
        output = self._run("demo", "--base-url", self.url)
        self.join_links = dict(re.findall(r"Join link for (.+?): (\S+)", output))
        self.chair_email = re.search(r"email: (\S+)", output).group(1)
        self.chair_password = re.search(r"password: (\S+)", output).group(1)
        self.meeting_id = 1

    @classmethod
    def beside(cls, other: LiveServer) -> LiveServer:
        """Return another server process sharing `other`'s instance, database and settings.

        Nothing is migrated or seeded again; the demo's links and login are `other`'s.
        """
        server = cls.__new__(cls)
        server.port = free_port()
        server.log = other.log.with_name(f"{other.log.stem}-beside-{server.port}.log")
        server.url = f"http://127.0.0.1:{server.port}"
        server.env = dict(other.env)
        server.process = None
        server.join_links = dict(other.join_links)
        server.chair_email, server.chair_password = other.chair_email, other.chair_password
        server.meeting_id = other.meeting_id
        return server

    def _run(self, *args: str) -> str:
        done = subprocess.run([EXE, *args], env=self.env, capture_output=True, text=True,
                              timeout=60, check=True)
        return done.stdout

    def start(self, timeout: float = 20) -> None:
        """Start the server and wait until it answers (at most `timeout` seconds)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [EXE, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=self.env,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/login", timeout=1)
                return
            except (requests.ConnectionError, requests.Timeout):  # not listening, or slow
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self, hard: bool = True) -> None:
        """Kill the server process (hard: as a crash would) and wait for it to end."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.process.wait(timeout=10)
            self.process = None

    def output(self) -> str:
        """Return what the server processes printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def command(self, *args: str) -> str:
        """Run a sip-meeting command against this server's database."""
        return self._run(*args)
