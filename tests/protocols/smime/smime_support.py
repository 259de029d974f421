"""Helpers for the S/MIME tests: a throwaway PKI on disk for the real openssl command line."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from helpers.secure_mail_pki import Party

__all__ = ["BARE_LF", "BODY_ENTITY", "MESSAGE", "Party", "Pki", "openssl"]

MESSAGE = (
    b"From: Nordby Kommune <post@nordby.example>\r\n"
    b"To: hub@digitalpost.example\r\n"
    b"Subject: Svar paa din henvendelse\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hej,\r\n\r\nvi har modtaget din ans=C3=B8gning.\r\n"
)
BODY_ENTITY = MESSAGE.split(b"Subject: Svar paa din henvendelse\r\n", 1)[1]

BARE_LF = re.compile(rb"(?<!\r)\n")


def openssl(*args: str | Path, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(["openssl", *map(str, args)], input=stdin, capture_output=True, timeout=30)
    if check and result.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed: {result.stderr.decode(errors='replace')}")
    return result


@dataclass(frozen=True)
class Pki:
    folder: Path
    now: datetime
    ca: Party
    other_ca: Party
    hub: Party  # the hub's secure-mail certificate (EMAIL)
    sender: Party  # an authority's sender system (EMAIL), serial 4242
    twin: Party  # other CA, same serial 4242 as sender
    client: Party  # REST client certificate (CLIENT_AUTH)

    def file(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path
