"""One leader per job across processes: the second waits, and takes over the moment the first dies."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitalpost.hub.leadership import Leadership, exclusive
from helpers.worker_processes import worker_env

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_LEADERSHIP = """
import django, sys, time
django.setup()
from digitalpost.hub.leadership import Leadership
leadership = Leadership(sys.argv[1])
assert leadership.try_acquire()
print("leading", flush=True)
time.sleep(600)
"""


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_second_leader_is_refused_until_the_first_steps_down():
    first, second = Leadership("test-job"), Leadership("test-job")
    try:
        assert first.try_acquire()
        assert first.try_acquire()  # asking again while leading keeps it
        assert not second.try_acquire()
        assert Leadership("another-job").try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_exclusive_waits_for_the_leader_or_gives_up_when_told_to_stop():
    import threading

    holder = Leadership("print-pass-test")
    assert holder.try_acquire()
    stop = threading.Event()
    stop.set()
    with exclusive("print-pass-test", stop=stop) as leading:
        assert leading is False
    holder.release()
    with exclusive("print-pass-test") as leading:
        assert leading is True


def test_a_leader_killed_with_sigkill_frees_the_job_at_once(settings):
    env = {**worker_env(settings), "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings"}
    leader = subprocess.Popen([sys.executable, "-c", HOLD_LEADERSHIP, "killed-leader-job"], env=env,
                              stdout=subprocess.PIPE, text=True)
    standby = Leadership("killed-leader-job")
    try:
        assert leader.stdout is not None
        assert leader.stdout.readline().strip() == "leading"
        assert not standby.try_acquire()
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=30)
        assert wait_for(standby.try_acquire)
    finally:
        if leader.poll() is None:
            leader.kill()
        standby.release()


@pytest.mark.slow
def test_of_two_schedulers_one_leads_and_the_other_takes_over_when_it_dies(tx_cast, settings, tmp_path):
    env = {**worker_env(settings), "DJANGO_SETTINGS_MODULE": "digitalpost.config.settings"}
    exe = Path(sys.executable).parent / "digitalpost"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    schedulers = []
    for log in logs:
        with log.open("w") as out:
            schedulers.append(subprocess.Popen([str(exe), "scheduler", "--every", "0.01"], env=env,
                                               stdout=out, stderr=subprocess.STDOUT))
    try:
        def said(index: int, words: str) -> bool:
            return words in logs[index].read_text()

        assert wait_for(lambda: all(said(i, "leading") or said(i, "standing by") for i in (0, 1)), timeout=60)
        leader = 0 if said(0, "scheduler: leading") else 1
        standby = 1 - leader
        assert said(standby, "standing by")
        assert not said(standby, "scheduler: leading")
        assert wait_for(lambda: "organisations examined" in logs[leader].read_text(), timeout=60), \
            logs[leader].read_text()
        assert "organisations examined" not in logs[standby].read_text()

        schedulers[leader].send_signal(signal.SIGKILL)
        schedulers[leader].wait(timeout=30)
        assert wait_for(lambda: said(standby, "scheduler: leading"), timeout=60)
        assert wait_for(lambda: "organisations examined" in logs[standby].read_text(), timeout=60)
    finally:
        for process in schedulers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
