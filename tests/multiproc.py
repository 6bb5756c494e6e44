"""Several `sip-meeting serve` processes of one deployment, optionally behind Debian's nginx.

The processes share one database and one Redis, as the README's deployment section sets them
up: the Socket.IO message queue and the login rate limit on Redis, with a channel and a key
prefix of their own, so that test runs sharing a Redis never mix. The proxy runs the nginx
configuration printed in the README (read from it, so the two cannot drift apart), as a child
process on a free port with every path in a temporary folder.
"""

from __future__ import annotations

import os
import pwd
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import requests
from live_server import LiveServer, free_port

NGINX = "/usr/sbin/nginx"
README = Path(__file__).resolve().parents[1] / "README.md"
ROUTE_COOKIE = "sip_route"


class Deployment:
    """N server processes sharing a database and Redis; `proxy=True` puts nginx in front."""

    def __init__(self, folder: Path, database_url: str, redis_url: str, processes: int = 2,
                 env: dict[str, str] | None = None, proxy: bool = False) -> None:
        self.name = f"sip-meeting-test-{uuid.uuid4().hex}"
        folder.mkdir(parents=True, exist_ok=True)
        self.redis_url = redis_url
        self.env = {"SIP_MEETING_SOCKETIO_MESSAGE_QUEUE": redis_url,
                    "SIP_MEETING_SOCKETIO_CHANNEL": self.name,
                    "SIP_MEETING_RATELIMIT_STORAGE_URI": redis_url,
                    "SIP_MEETING_RATELIMIT_KEY_PREFIX": self.name,
                    "SIP_MEETING_TRUSTED_PROXIES": "1" if proxy else "0",
                    **(env or {})}
        first = LiveServer(folder / "instance", database_url=database_url, env=self.env)
        self.servers = [first] + [LiveServer.beside(first) for _ in range(processes - 1)]
        self.proxy = Nginx(folder / "nginx", [s.port for s in self.servers]) if proxy else None

    def start(self) -> None:
        for server in self.servers:
            server.start(timeout=60)
        if self.proxy is not None:
            self.proxy.start()

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        for server in self.servers:
            server.stop()
        import redis

        with redis.Redis.from_url(self.redis_url, socket_timeout=5) as client:
            keys = list(client.scan_iter(match=f"*{self.name}*", count=500))
            if keys:
                client.delete(*keys)

    def output(self) -> str:
        """What every server process printed."""
        return "\n".join(server.output() for server in self.servers)

    @property
    def url(self) -> str:
        """The proxy's address (the first process's without a proxy)."""
        return self.proxy.url if self.proxy is not None else self.servers[0].url

    def link(self, name: str, server: LiveServer | None = None) -> str:
        """A participant's join link through the proxy, or to one process."""
        path = re.sub(r"^https?://[^/]+", "", self.servers[0].join_links[name])
        return (server.url if server is not None else self.url) + path


def readme_nginx() -> tuple[str, str]:
    """The README's nginx example: what goes in `http { }` and the `location` of the site."""
    block = re.search(r"```nginx\n(.*?)```", README.read_text(), re.S)
    assert block, "the README's deployment section has no nginx example"
    text = block.group(1)
    at = re.search(r"^\s*location\b", text, re.M)
    assert at, "the README's nginx example has no location block"
    return text[:at.start()], text[at.start():]


class Nginx:
    """Debian's nginx with the README's configuration, in front of the given ports."""

    def __init__(self, folder: Path, ports: list[int]) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ports = ports
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)
        http, location = readme_nginx()
        readme_ports = re.findall(r"server 127\.0\.0\.1:(\d+);", http)
        assert len(readme_ports) == len(ports), "the README names another number of processes"
        for theirs, ours in zip(readme_ports, ports, strict=True):
            http = http.replace(f"127.0.0.1:{theirs};", f"127.0.0.1:{ours};")
        # Master as root: the workers must write the temporary folder, as root too.
        user = f"user {pwd.getpwuid(0).pw_name};" if os.geteuid() == 0 else ""
        temp = "\n".join(f"  {kind}_temp_path {folder}/{kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        self.access_log = folder / "access.log"
        self.conf = folder / "nginx.conf"
        self.conf.write_text(f"""{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 512; }}
http {{
{temp}
  log_format upstreams '$cookie_{ROUTE_COOKIE} $upstream_addr $status $request_uri';
  access_log {self.access_log} upstreams;
{http}
  server {{
    listen 127.0.0.1:{self.port};
{location}
  }}
}}
""")

    def start(self, timeout: float = 20) -> None:
        subprocess.run([NGINX, "-t", "-q", "-c", str(self.conf), "-p", str(self.folder),
                        "-e", str(self.folder / "error.log")], check=True, timeout=30)
        self.process = subprocess.Popen(
            [NGINX, "-c", str(self.conf), "-p", str(self.folder), "-e",
             str(self.folder / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/login", timeout=2)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start: {self.errors()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGQUIT)  # finish the workers, then end
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def errors(self) -> str:
        log = self.folder / "error.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def route_to(self, port: int, tries: int = 64) -> str:
        """Return a value of the route cookie that the proxy sends to the process on `port`.

        The README's configuration hashes the cookie onto the processes; which value lands
        where is nginx's to decide, so values are tried and the access log says where each
        went.
        """
        for n in range(tries):
            value = f"test{n}"
            requests.get(f"{self.url}/login", cookies={ROUTE_COOKIE: value}, timeout=10)
            for line in reversed(self.access_log.read_text().splitlines()):
                if line.startswith(f"{value} "):
                    if line.split()[1] == f"127.0.0.1:{port}":
                        return value
                    break
        raise AssertionError(f"no route cookie leads to port {port}")


# -- people and their sockets, over plain HTTP and python-socketio ----------------------------

def csrf(http: requests.Session, url: str) -> str:
    """The CSRF token of the form on a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     http.get(url, timeout=10).text).group(1)


def log_in(server: LiveServer) -> requests.Session:
    """A browser with the demo chair logged in through `server`."""
    http = requests.Session()
    answer = http.post(f"{server.url}/login", timeout=30, data={
        "csrf_token": csrf(http, f"{server.url}/login"), "email": server.chair_email,
        "password": server.chair_password})
    assert answer.ok, answer.status_code
    return http


def join(deployment: Deployment, name: str, server: LiveServer) -> requests.Session:
    """A browser that opened a participant's join link on `server`."""
    http = requests.Session()
    http.get(deployment.link(name, server), allow_redirects=False, timeout=10)
    return http


class Socket:
    """A live connection through python-socketio that records, in order, what it receives."""

    def __init__(self, server: LiveServer, http: requests.Session, view: str) -> None:
        import socketio

        self.server = server
        self.events: list[tuple[str, object]] = []
        self.client = socketio.Client(reconnection=False)
        for name in ("op", "presence", "revoked", "logged_out", "lobby", "admitted",
                     "dismissed"):
            self.client.on(name, self._recorder(name), namespace="/live")
        self.client.on("disconnect", self._recorder("disconnect"), namespace="/live")
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        self.client.connect(server.url, namespaces=["/live"], headers={"Cookie": cookie},
                            auth={"meeting": server.meeting_id, "view": view},
                            transports=["websocket"], wait_timeout=10)

    def _recorder(self, name: str):
        return lambda data=None, *rest: self.events.append((name, data))

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, namespace="/live", timeout=20)

    def received(self, name: str) -> list:
        return [data for event, data in list(self.events) if event == name]

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def wait_for(condition, timeout: float = 10.0) -> bool:
    """Wait until condition() is true, at most `timeout` seconds; return whether it became so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
