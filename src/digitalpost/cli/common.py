"""What every `digitalpost` command module shares: setting Django up, and the console it writes to."""

from __future__ import annotations

import gc
import os

from rich.console import Console

console = Console()


def django_setup() -> None:
    """Set Django up for a command (late, so `digitalpost --help` stays fast and works without a database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
    import django

    django.setup()


def freeze_startup_heap() -> None:
    """Keep the collector from walking what start-up left behind, for a process that runs until stopped.

    After Django, the models and the handlers are loaded a worker holds ~125,000 objects that live as long as it
    does. Python's full collection walks all of them whenever the objects that survived younger collections grow by
    a quarter: ~40-180 ms of CPU at once, landing on whichever job runs then (a forward of ~1 ms stalled 100 ms).
    `gc.freeze` moves them to a generation no collection looks at; collections then walk only what came after.
    Collected first, so that start-up's own garbage is not kept; the frozen objects were alive anyway, so memory
    stays the same. (A cycle among them that becomes garbage later is not collected: start-up state lives as long
    as the process.)"""
    gc.collect()
    gc.freeze()
