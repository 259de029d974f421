"""`digitalpost web`: the web server alone, as a container or systemd unit runs it — granian in the command's own
process, so the service manager's SIGTERM reaches it directly."""

import signal
import subprocess
import time

import pytest

from helpers.hub_process import VENV_BIN, HubProcess, _cmdline, free_port, hub_env, migrate

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]


def test_web_serves_the_hub_and_stops_on_sigterm(tmp_path):
    env = hub_env(tmp_path)
    migrate(env)
    port, log = free_port(), tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "web", "--port", str(port), "--web-workers", "1"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    web = HubProcess(var=tmp_path, port=port, env=env, proc=proc, log=log)
    try:
        deadline = time.monotonic() + 60
        status = 0
        while status != 200:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                status, _ = web.get("/healthz", timeout=5)
            except OSError:
                time.sleep(0.2)
        assert b"granian" in _cmdline(proc.pid)  # the command became granian: no supervisor in between
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
