"""The start of a render process (printing.rendering): Django's settings and models, and an end with its worker.

Kept apart from rendering.py, which imports models: a spawned process unpickles its initializer before the app
registry is ready. The process watches its parent: when the worker is killed (kill -9 included) the pool's pipes
stay open in its sibling processes, so nothing else would ever tell it to stop.
"""

from __future__ import annotations

import os
import threading
import time
from importlib import import_module

import django

PARENT_CHECK_SECONDS = 0.5


def start_render_process(worker_pid: int) -> None:
    threading.Thread(target=_end_with_worker, args=(worker_pid,), name="end-with-worker", daemon=True).start()
    django.setup()  # loads the settings and the models; no database connection is ever opened here
    import_module("digitalpost.printing.rendering")  # reportlab, qpdf, lxml: loaded now, not with the first letter


def _end_with_worker(worker_pid: int) -> None:
    while os.getppid() == worker_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)  # the worker is gone: nobody is waiting for letters from this process
