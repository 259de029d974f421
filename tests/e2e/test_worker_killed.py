"""kill -9 a real worker process mid-batch, again and again: every message is delivered exactly once."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Event, Message, Receipt
from digitalpost.outbox.models import Job
from helpers.worker_processes import kill_while_working, worker_env

pytestmark = pytest.mark.slow
MESSAGES = 150
HELD_MESSAGES = 75  # three claims of 25: the worker is caught holding one long before it is done


def start_worker(env: dict[str, str], *, lease_seconds: int = 1) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "digitalpost"
    return subprocess.Popen([str(exe), "worker", "--lease-seconds", str(lease_seconds)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def delivered() -> int:
    return Message.objects.filter(state=Message.State.DELIVERED).count()


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(tx_cast, settings):
    for _ in range(MESSAGES):
        assert tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna)).status_code == 201
    env = worker_env(settings)
    kills = kill_while_working(lambda: start_worker(env), delivered, goal=MESSAGES, step=25,
                               pending=Job.objects.filter(state=Job.State.PENDING).exists,
                               deadline=time.monotonic() + 120)

    assert kills >= 3
    assert delivered() == MESSAGES
    assert Job.objects.filter(state=Job.State.DONE).count() == MESSAGES
    assert Event.objects.filter(kind=EventKind.MESSAGE_DELIVERED).count() == MESSAGES
    assert Receipt.objects.filter(status="COMPLETED").count() == MESSAGES


def test_jobs_a_killed_worker_held_are_taken_over_long_before_their_lease_ends(tx_cast, settings):
    """The lease is 10 minutes; the claims of a worker killed with SIGKILL are back in hand within seconds."""
    for _ in range(HELD_MESSAGES):
        assert tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna)).status_code == 201
    env = worker_env(settings)
    lease = 600
    deadline = time.monotonic() + 60  # far below the lease: only a released claim can be delivered in time
    worker = start_worker(env, lease_seconds=lease)
    held: list[int] = []
    while not held and time.monotonic() < deadline:
        worker.send_signal(signal.SIGSTOP)  # freeze it with its claims in hand, then look
        held = list(Job.objects.filter(state=Job.State.PENDING, claimed_by__isnull=False).values_list("pk", flat=True))
        if not held:
            worker.send_signal(signal.SIGCONT)
            time.sleep(0.01)
    assert held, "the worker never held a claim"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert Job.objects.filter(pk__in=held, state=Job.State.PENDING).exists()

    successor = start_worker(env, lease_seconds=lease)
    try:
        while delivered() < HELD_MESSAGES and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        successor.terminate()
        successor.wait(timeout=30)

    assert delivered() == HELD_MESSAGES
    assert Job.objects.filter(pk__in=held, state=Job.State.DONE).count() == len(held)
    assert Event.objects.filter(kind=EventKind.MESSAGE_DELIVERED).count() == HELD_MESSAGES
    assert Receipt.objects.filter(status="COMPLETED").count() == HELD_MESSAGES
