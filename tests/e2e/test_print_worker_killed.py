"""kill -9 a real PRINT worker (and with it its render processes) mid-batch, again and again: every message
gets exactly one letter, one LETTER_RENDERED event, and no render process is left behind."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Event
from digitalpost.messages.services.events import verify_timeline
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.printing.models import PrintLetter
from digitalpost.registry.models import Contact
from digitalpost.registry.services import register_contact
from helpers.kombipost import send
from helpers.worker_processes import kill_while_working, worker_env

pytestmark = pytest.mark.slow
LETTERS = 90  # batches of 25: three kills after a commit, each mid the next batch


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "digitalpost"
    return subprocess.Popen([str(exe), "worker", "--kinds", "PRINT", "--lease-seconds", "1"],
                            env=env | {"DIGITALPOST_PRINT_RENDER_PROCESSES": "2"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def made() -> int:
    return PrintLetter.objects.count()


def test_print_worker_killed_mid_batch_makes_every_letter_exactly_once(tx_cast, settings):
    for n in range(LETTERS):
        person = register_contact(kind=Contact.Kind.CITIZEN, number=f"0303{n:06d}", name=f"Papir {n}",
                                  status=Contact.Status.EXEMPT, address_line=f"Papirvej {n}", postal_code="7100",
                                  city="Vejle")
        assert send(tx_cast, person).status_code == 201
    env = worker_env(settings)
    render_processes: set[int] = set()
    kills = kill_while_working(
        lambda: start_worker(env), made, goal=LETTERS, step=1,
        pending=Job.objects.filter(kind=WorkKind.PRINT, state=Job.State.PENDING).exists,
        deadline=time.monotonic() + 400,  # a safety net for a very busy machine, not a figure
        watch=lambda worker: render_processes.update(children_of(worker.pid)))

    assert kills >= 3
    assert render_processes  # the letters were made in render processes
    assert made() == LETTERS
    assert PrintLetter.objects.values("message_id").distinct().count() == LETTERS
    assert Event.objects.filter(kind=EventKind.LETTER_RENDERED).count() == LETTERS
    assert Job.objects.filter(kind=WorkKind.PRINT, state=Job.State.DONE).count() == LETTERS
    assert all(verify_timeline(letter.message) is None for letter in PrintLetter.objects.select_related("message"))
    # A render process whose worker was killed ends too (its pipe to the worker is gone).
    leftover_deadline = time.monotonic() + 20
    while any(running(pid) for pid in render_processes) and time.monotonic() < leftover_deadline:
        time.sleep(0.1)
    assert not [pid for pid in render_processes if running(pid)]
