"""A stand-in for the demo authority's mail server: stores every mail it receives as an .eml file.

Demo only. It accepts any recipient and answers 250, like a working secure-address mailbox would.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.folder / f".{name}"
        temporary.write_bytes(envelope.original_content)
        temporary.rename(self.folder / name)
        return "250 2.0.0 Stored"


def maildir_server(folder: Path, *, host: str, port: int) -> Controller:
    return Controller(MaildirHandler(folder), hostname=host, port=port)
