"""`digitalpost run` and its children: a busy demo port is named with the setting that moves it, and nothing the
run started is left behind, whether it stops before starting or because a child failed."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpers.hub_process import VENV_BIN, digitalpost, free_port, hub_env, migrate, processes_with_env

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]


def _run(env: dict[str, str], port: int, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "digitalpost"), "run", "--port", str(port), "--no-scheduler"], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _left_behind(var) -> list[int]:
    deadline = time.monotonic() + 5  # a child that was just killed may take a moment to be reaped
    while (found := processes_with_env("DIGITALPOST_VAR", str(var))) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


@pytest.mark.parametrize(("setting", "web"), [("DIGITALPOST_GATEWAY_PORT", False),
                                              ("DIGITALPOST_SMTP_RELAY_PORT", False), ("PORT", True)])
def test_a_busy_port_is_named_with_its_setting_and_nothing_is_left_running(tmp_path, setting, web):
    env = hub_env(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        web_port = busy if web else free_port()
        if not web:
            env[setting] = str(busy)
        done = _run(env, web_port)
    assert done.returncode == 1
    said = " ".join(done.stdout.split())
    assert f"Port {busy} on 127.0.0.1 is already in use" in said
    assert ("--port or PORT" if web else setting) in said
    assert _left_behind(tmp_path) == []


def test_a_child_that_fails_stops_every_other_child(tmp_path):
    # No hub certificate in this var folder: the gateway child exits at once, after the web server started.
    env = hub_env(tmp_path)
    migrate(env)
    done = _run(env, free_port())
    assert done.returncode == 1, done.stdout + done.stderr
    assert _left_behind(tmp_path) == [], "granian, workers or the demo mail server outlived `digitalpost run`"


def test_two_demos_run_side_by_side_on_their_own_ports(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    procs = []
    try:
        for var in (first, second):
            var.mkdir()
            env = hub_env(var)
            migrate(env)
            assert digitalpost(env, "dev-ca").returncode == 0
            port = free_port()
            procs.append((subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(port),
                                            "--no-scheduler"], env=env, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT), port))
        for proc, port in procs:
            _wait_for_port(proc, port)
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(timeout=30)
    assert _left_behind(first) == []
    assert _left_behind(second) == []


def _wait_for_port(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listens on {port} after 60 s")


def test_nothing_outlives_a_killed_run(tmp_path):
    env = hub_env(tmp_path)
    migrate(env)
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(port), "--no-smtp",
                             "--no-scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(proc, port)
    finally:
        proc.kill()  # SIGKILL: no chance to stop its children itself
        proc.wait()
    deadline = time.monotonic() + 60  # granian stops its workers on the SIGTERM it gets (slowly on a busy machine)
    while processes_with_env("DIGITALPOST_VAR", str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.3)
    left = processes_with_env("DIGITALPOST_VAR", str(tmp_path))
    assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]
