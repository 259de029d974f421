"""kill -9 a real worker process mid-batch, again and again: every message is delivered exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Event, Message, Receipt
from digitalpost.outbox.models import Job

pytestmark = pytest.mark.slow
MESSAGES = 150


def worker_env(settings) -> dict[str, str]:
    env = {**os.environ, "DIGITALPOST_BLOB_DIR": str(settings.DIGITALPOST_BLOB_DIR)}
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DIGITALPOST_SQLITE"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "digitalpost"
    return subprocess.Popen([str(exe), "worker", "--lease-seconds", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def delivered() -> int:
    return Message.objects.filter(state=Message.State.DELIVERED).count()


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(tx_cast, settings):
    for _ in range(MESSAGES):
        assert tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna)).status_code == 201
    env = worker_env(settings)
    kills = 0
    deadline = time.monotonic() + 120
    while delivered() < MESSAGES and time.monotonic() < deadline:
        worker = start_worker(env)
        target = delivered() + 25
        while delivered() < min(target, MESSAGES) and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if delivered() < MESSAGES:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        else:
            worker.terminate()
        worker.wait(timeout=30)
    # One last worker to finish what a killed worker had leased.
    worker = start_worker(env)
    while Job.objects.filter(state=Job.State.PENDING).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.terminate()
    worker.wait(timeout=30)

    assert kills >= 3
    assert delivered() == MESSAGES
    assert Job.objects.filter(state=Job.State.DONE).count() == MESSAGES
    assert Event.objects.filter(kind=EventKind.MESSAGE_DELIVERED).count() == MESSAGES
    assert Receipt.objects.filter(status="COMPLETED").count() == MESSAGES
