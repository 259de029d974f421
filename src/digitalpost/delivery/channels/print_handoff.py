"""The print hand-off channel: a KombiPost print message becomes a letter PDF waiting for the next print batch.

`prepare` renders and stores the PDF (printing.services, outside any transaction); `send` records the letter
for the batch with its LETTER_RENDERED event and finishes the job. The message stays ACCEPTED until the print
provider's receipt says the letter went to the post (DELIVERED) or was refused (FAILED): printing applies those
receipts through the lifecycle service. Not for: batches, transports or receipts (the printing app).
"""

from __future__ import annotations

import uuid

from digitalpost.delivery.channels.base import Sent
from digitalpost.hub.blobs import blob_store
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import complete
from digitalpost.printing.services import (
    RenderedLetter,
    prepare_print_letter,
    prepare_print_letters,
    record_print_letter,
    record_print_letters,
)

PRINT_CHANNEL = "print"


class PrintChannel:
    name = PRINT_CHANNEL

    def prepare(self, message_id: uuid.UUID | str, /) -> RenderedLetter | None:
        """The rendered letter; None when there is nothing (more) to print."""
        return prepare_print_letter(message_id)

    def send(self, outgoing: RenderedLetter | None, /, *, job: Job | None = None) -> Sent:
        """Record the letter for the next batch; with nothing to print, the job is simply done."""
        if outgoing is None:
            if job is not None:
                complete(job)
            return Sent(answer="", recorded=False)
        return Sent(answer="", recorded=record_print_letter(outgoing, job=job))


def hand_over_to_print(*, message_id: uuid.UUID | str, job: Job | None = None) -> bool:
    """Make the letter of an accepted print message; False when there is nothing (more) to do."""
    channel = PrintChannel()
    return channel.send(channel.prepare(message_id), job=job).recorded


def print_batch(jobs: list[Job]) -> None:
    """Render the letters of many PRINT jobs, make their blobs durable with one sync, record them in one commit."""
    store = blob_store()
    rendered: list[RenderedLetter] = []
    try:
        rendered = prepare_print_letters([job.payload["message"] for job in jobs], store=store.unsynced())
    finally:
        store.sync()  # also when rendering fails: the one-by-one fallback relies on the blobs written so far
    record_print_letters(rendered, jobs)
