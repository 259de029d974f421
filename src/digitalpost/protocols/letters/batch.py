"""Print batches and print receipts: the files exchanged with the print provider.

A batch is a folder of letter PDFs plus `manifest.json` listing each letter (id, file, SHA-256, pages, the
recipient's name and postcode) so the provider can check it received exactly what was sent and the hub can
match every receipt to one letter. Receipts come back as `;`-separated lines: letter id, status (AFLEVERET =
handed to the postal service, AFVIST = refused by the provider with a reason, RETURNERET = returned mail), the
reason, and when. Vocabulary after KOMBIT's SF1600 print contract. Not for: writing files or the spool folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MANIFEST_FORMAT = "digitalpost-print-batch/1"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True, slots=True)
class BatchLetter:
    letter_id: str
    message_uuid: str
    sender_cvr: str
    recipient_name: str
    postal_code: str
    city: str
    country: str
    pdf: bytes
    pages: int

    @property
    def filename(self) -> str:
        return f"{self.letter_id}.pdf"


def build_manifest(batch_id: str, created_at: datetime, letters: Sequence[BatchLetter]) -> bytes:
    """The manifest of one batch (UTF-8 JSON, letters in the given order)."""
    document = {
        "format": MANIFEST_FORMAT,
        "batchId": batch_id,
        "createdAt": created_at.isoformat(),
        "count": len(letters),
        "pages": sum(letter.pages for letter in letters),
        "letters": [
            {
                "letterId": letter.letter_id, "file": letter.filename,
                "sha256": hashlib.sha256(letter.pdf).hexdigest(), "pages": letter.pages,
                "messageUuid": letter.message_uuid, "senderCvr": letter.sender_cvr,
                "recipient": {"name": letter.recipient_name, "postalCode": letter.postal_code, "city": letter.city,
                              "country": letter.country},
            }
            for letter in letters
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


class PrintStatus(StrEnum):
    DELIVERED_TO_POST = "AFLEVERET"
    REFUSED = "AFVIST"
    RETURNED = "RETURNERET"


@dataclass(frozen=True, slots=True)
class PrintReceipt:
    letter_id: str
    status: PrintStatus
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReceiptFile:
    receipts: tuple[PrintReceipt, ...]
    problems: tuple[str, ...]  # "line 3: unknown status 'SENDT'": the rest of the file is still read


def read_print_receipts(text: str) -> ReceiptFile:
    """Every well-formed receipt line, and a problem (with its line number) for each one that is not."""
    receipts: list[PrintReceipt] = []
    problems: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        if len(row) != 4:
            problems.append(f"line {number}: expected 4 fields (letter id;status;reason;time), got {len(row)}")
            continue
        letter_id, status, reason, at = (field.strip() for field in row)
        try:
            parsed_status = PrintStatus(status.upper())
        except ValueError:
            problems.append(f"line {number}: unknown status {status!r} (AFLEVERET, AFVIST or RETURNERET)")
            continue
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            problems.append(f"line {number}: time {at!r} is not ISO 8601")
            continue
        if when.tzinfo is None:
            problems.append(f"line {number}: time {at!r} has no time zone")
            continue
        if not letter_id:
            problems.append(f"line {number}: no letter id")
            continue
        if parsed_status is not PrintStatus.DELIVERED_TO_POST and not reason:
            problems.append(f"line {number}: {parsed_status.value} needs a reason")
            continue
        receipts.append(PrintReceipt(letter_id=letter_id, status=parsed_status, reason=reason, at=when))
    return ReceiptFile(receipts=tuple(receipts), problems=tuple(problems))
