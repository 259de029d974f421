"""Template context for every page: whether demo sign-in is on."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def inbox_context(request: HttpRequest) -> dict[str, object]:
    return {"demo_mode": settings.DEMO_MODE}
