"""What every `digitalpost` command module shares: setting Django up, and the console it writes to."""

from __future__ import annotations

import os

from rich.console import Console

console = Console()


def django_setup() -> None:
    """Set Django up for a command (late, so `digitalpost --help` stays fast and works without a database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
    import django

    django.setup()

