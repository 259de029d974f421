"""`digitalpost smtp --processes 2`: two gateway processes on one port (SO_REUSEPORT), started and stopped as one."""

import os
import signal
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from helpers.hub_process import VENV_BIN, _cmdline, digitalpost, free_port, hub_env

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_two_processes_share_the_port_and_end_together(tmp_path):
    env = hub_env(tmp_path)
    made = digitalpost(env, "dev-ca")
    assert made.returncode == 0, made.stderr
    port, log = free_port(), tmp_path / "smtp.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "smtp", "--port", str(port), "--processes", "2"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while log.read_bytes().count(b"secure-mail gateway on") < 2:  # each process says so once it listens
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        [other] = children(proc.pid)
        assert b"--reuse-port" in _cmdline(other)
        # Connections spread over both processes: every one is greeted and answered, none is reset.
        for _ in range(20):
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                assert client.noop()[0] == 250
        os.kill(other, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()  # one ended: the whole gateway ends
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
