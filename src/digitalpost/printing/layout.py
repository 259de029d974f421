"""The folder layout a print provider shares with us, whichever transport reaches it (spool folder or SFTP).

Batches land as <folder>/<batch>/ after being written under a dot-name; receipts come in under
<folder>/receipts/, and our own copy of each settled receipt is kept under <spool>/receipts/done|rejected. Both
transports.py and sftp.py build on this, so neither needs to import the other's module for it. Not for: moving
any bytes (the transports) or what a batch or receipt means (services).
"""

from __future__ import annotations

from pathlib import Path

RECEIPTS_FOLDER = "receipts"
INCOMING_PREFIX = ".incoming-"  # providers ignore dot-names: a batch being written is invisible


def archive_receipt(spool: Path, name: str, data: bytes, *, rejected: bool) -> Path:
    folder = spool / RECEIPTS_FOLDER / ("rejected" if rejected else "done")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(data)
    return target
