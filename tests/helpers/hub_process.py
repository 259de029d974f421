"""The real hub as `make run` starts it (`digitalpost run`), in a temporary DIGITALPOST_VAR on free 127.0.0.1 ports,
and slow clients to throw at it.

The hub runs on its own SQLite file (the variables that would point it at the test database are scrubbed), so
these tests hold under `tests/with_postgres.py` too without touching its database.
"""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
SCRUBBED_ENV = ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING",
                "PYTEST_VERSION", "DJANGO_SETTINGS_MODULE", "DIGITALPOST_DEBUG", "HOST", "PORT",
                "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hub_env(var: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update({"DIGITALPOST_VAR": str(var), "DIGITALPOST_DEMO": "1", "DIGITALPOST_GATEWAY_PORT": str(free_port()),
                "DIGITALPOST_SMTP_RELAY_PORT": str(free_port()), **extra})
    return env


def digitalpost(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "digitalpost"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


_migrated_template: Path | None = None


def migrate(env: dict[str, str]) -> None:
    """Give the hub in env's DIGITALPOST_VAR a migrated database: `digitalpost migrate` runs once per test process
    and later hubs start from a copy of its database (these tests are about running a hub, not migrating one)."""
    global _migrated_template
    var = Path(env["DIGITALPOST_VAR"])
    if _migrated_template is None:
        template_var = Path(tempfile.mkdtemp(prefix="digitalpost-migrated-"))
        atexit.register(shutil.rmtree, template_var, ignore_errors=True)
        result = digitalpost({**env, "DIGITALPOST_VAR": str(template_var)}, "migrate", timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        _migrated_template = template_var / "digitalpost.sqlite3"
    var.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(_migrated_template) as source, sqlite3.connect(var / "digitalpost.sqlite3") as copy:
        source.backup(copy)
    (var / "digitalpost.sqlite3").chmod(0o600)


@dataclass
class HubProcess:
    var: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def web_pids(self) -> list[int]:
        """The web server's processes (granian's workers and their parent), children of `digitalpost run`."""
        return [pid for pid in descendants(self.proc.pid) if b"granian" in _cmdline(pid)]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_hub(var: Path, *run_args: str, **extra_env: str) -> Iterator[HubProcess]:
    """Migrate, then `digitalpost run` (no gateway or scheduler unless asked); stopped with SIGTERM afterwards."""
    env = hub_env(var, **extra_env)
    migrate(env)
    port = free_port()
    log = var / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(port), *run_args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    hub = HubProcess(var=var, port=port, env=env, proc=proc, log=log)
    try:
        _wait_healthy(hub)
        yield hub
    finally:
        stop(proc)


def _wait_healthy(hub: HubProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert hub.proc.poll() is None, f"the hub exited ({hub.proc.returncode}):\n{hub.log_text()}"
        try:
            if hub.get("/apis/v1/health", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the hub did not answer /apis/v1/health within {START_TIMEOUT:.0f} s:\n{hub.log_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def processes_with_env(name: str, value: str) -> list[int]:
    """Live processes whose environment has name=value (how a test finds what a run left behind)."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def rss_bytes(pid: int) -> int:
    """Resident memory of one process now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class SlowClients:
    """`count` connections that each send one byte a second: half trickle their headers, half a declared body."""

    port: int
    count: int
    sockets: list[socket.socket] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    bytes_sent: int = 0

    def open(self) -> None:
        for n in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if n % 2:
                sock.sendall(b"POST /portal/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n")
            else:
                sock.sendall(b"GET /portal/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)

    def drip(self) -> None:
        """One byte a second on every connection the hub has not closed, until stopped."""
        while not self.stopped.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.send(b"a")
                    self.bytes_sent += 1
                except OSError:
                    pass

    def waiting_count(self) -> int:
        """Connections the hub neither answered nor closed: still waiting for the client's bytes."""
        alive = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                sock.recv(1, socket.MSG_PEEK)  # an answer or EOF: the hub is done with this client
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return alive


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[SlowClients]:
    clients = SlowClients(port, count)
    dripper = threading.Thread(target=clients.drip, daemon=True)
    try:
        clients.open()
        dripper.start()
        yield clients
    finally:
        clients.stopped.set()
        dripper.join(timeout=5)
        for sock in clients.sockets:
            sock.close()
