"""How print batches reach the provider and its receipt files come back: a local spool folder, or SFTP.

Both transports offer the same small interface, so `services` does not care which one is configured
(DIGITALPOST_PRINT_TRANSPORT). A batch appears on the provider's side in one step: its files are written under a
temporary folder name, the manifest last, and the folder is renamed into place; a batch already in place is
never written twice. A receipt file is settled (archived or set aside) only after it was applied. Not for:
deciding what goes into a batch or what a receipt means (services).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from django.conf import settings

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.printing.layout import INCOMING_PREFIX, RECEIPTS_FOLDER


class Transport(Protocol):
    name: str

    def has_batch(self, batch: str) -> bool:
        """Whether the batch folder is complete on the provider's side."""
        ...

    def put_batch(self, batch: str, files: Sequence[tuple[str, bytes]]) -> None:
        """Write the files (in order, manifest last) under a temporary name, then rename the folder into place."""
        ...

    def list_receipts(self) -> list[str]:
        ...

    def read_receipt(self, name: str) -> bytes:
        ...

    def settle_receipt(self, name: str, data: bytes, *, rejected: bool) -> None:
        """Done with a receipt file: keep a copy in <spool>/receipts/done|rejected and take it off the inbox."""
        ...

    def where(self, batch: str) -> str:
        ...


class SpoolTransport:
    """A folder the print provider collects from (or a share mounted from the provider)."""

    name = "spool"

    def __init__(self, spool: Path) -> None:
        self.spool = spool

    def has_batch(self, batch: str) -> bool:
        return (self.spool / batch).is_dir()

    def put_batch(self, batch: str, files: Sequence[tuple[str, bytes]]) -> None:
        temporary = self.spool / f"{INCOMING_PREFIX}{batch}"
        shutil.rmtree(temporary, ignore_errors=True)  # left over from a crash: start the batch afresh
        temporary.mkdir(parents=True)
        for name, data in files:
            with (temporary / name).open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        temporary.rename(self.spool / batch)

    def list_receipts(self) -> list[str]:
        folder = self.spool / RECEIPTS_FOLDER
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))

    def read_receipt(self, name: str) -> bytes:
        return (self.spool / RECEIPTS_FOLDER / name).read_bytes()

    def settle_receipt(self, name: str, data: bytes, *, rejected: bool) -> None:
        folder = self.spool / RECEIPTS_FOLDER / ("rejected" if rejected else "done")
        folder.mkdir(exist_ok=True)
        (self.spool / RECEIPTS_FOLDER / name).replace(folder / name)

    def where(self, batch: str) -> str:
        return str(self.spool / batch)


@contextmanager
def open_transport(*, spool: Path | None = None) -> Iterator[Transport]:
    """The configured transport, connected for one pass; an explicit `spool` folder always means the spool."""
    kind = "spool" if spool is not None else settings.DIGITALPOST_PRINT_TRANSPORT
    if kind == "spool":
        yield SpoolTransport(spool or settings.DIGITALPOST_PRINT_SPOOL)
        return
    if kind != "sftp":
        raise DigitalPostError(ErrorCode.PRINT_PROVIDER_FAILED,
                               f"DIGITALPOST_PRINT_TRANSPORT is {kind!r}; use 'spool' or 'sftp'")
    # Imported here, not at the top: asyncssh takes about half a second to import, which a hub printing to a
    # spool folder need not pay.
    from digitalpost.printing.sftp import SftpTransport, sftp_settings

    with SftpTransport.connect(sftp_settings(), archive=settings.DIGITALPOST_PRINT_SPOOL) as transport:
        yield transport
