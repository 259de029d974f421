"""Template context for every page: whether demo sign-in is on, and the mailbox session's idle limits."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def inbox_context(request: HttpRequest) -> dict[str, object]:
    return {"demo_mode": settings.DEMO_MODE,
            "mailbox_idle_seconds": settings.DIGITALPOST_MAILBOX_IDLE_SECONDS,
            "mailbox_idle_warning_seconds": settings.DIGITALPOST_MAILBOX_IDLE_WARNING_SECONDS}
