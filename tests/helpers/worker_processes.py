"""Real worker processes on the test's database and blob store: their environment, and killing them mid-work."""

import os
import signal
import subprocess
import time
from collections.abc import Callable

from django.db import connection


def worker_env(settings) -> dict[str, str]:
    env = {**os.environ, "DIGITALPOST_BLOB_DIR": str(settings.DIGITALPOST_BLOB_DIR)}
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DIGITALPOST_SQLITE"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


# A stopped worker finishes its batch first; at a load average of 20 on two cores that took over 30 s once. A safety
# net for a very busy machine, not a figure.
STOP_SECONDS = 120


def kill_while_working(start: Callable[[], subprocess.Popen], done: Callable[[], int], *, goal: int, step: int,
                       pending: Callable[[], bool], deadline: float,
                       watch: Callable[[subprocess.Popen], None] = lambda _: None) -> int:
    """Start a worker, kill -9 it once `step` more items are done, again and again until `goal` are; then one last
    worker finishes what the killed ones had leased (until nothing is `pending`). The number of kills.

    `watch` sees the running worker at every look (to note its child processes, say)."""
    kills = 0
    while done() < goal and time.monotonic() < deadline:
        worker = start()
        target = done() + step
        while done() < min(target, goal) and worker.poll() is None and time.monotonic() < deadline:
            watch(worker)
            time.sleep(0.005)
        if done() < goal:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        else:
            worker.terminate()
        worker.wait(timeout=STOP_SECONDS)
    worker = start()
    while pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.terminate()
    worker.wait(timeout=STOP_SECONDS)
    return kills
