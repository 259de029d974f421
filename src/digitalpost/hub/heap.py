"""What a long-running process does with the objects its start-up left, before its first piece of work.

After Django, the models, the handlers and the caches are loaded, a process (a web process, `digitalpost worker`,
the gateway) holds 125,000-165,000 objects the garbage collector tracks, nearly all of which live as long as the
process does. Python's full collection walks every one of them whenever the objects that survived younger
collections grow by a quarter (they count even when they die right after), so a busy process reaches it every few
hundred requests: 40-180 ms of CPU at once, landing on whichever request, forward or mail runs then (decisions
0029 and 0033).
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect once, then move every object the process holds so far out of the collector's sight (`gc.freeze`).

    Collected first, so start-up's own garbage is freed rather than kept; the frozen objects were alive anyway, so
    memory stays the same. Objects made later are collected as before. (A cycle among start-up objects that becomes
    garbage later is not collected: start-up state lives as long as the process.)"""
    gc.collect()
    gc.freeze()
