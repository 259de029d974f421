"""Print (KombiPost): rendering a message into a letter, batching letters to the provider, reading receipts.

Each step is idempotent and crash-safe: a letter is rendered once per message (its row is the proof), a batch
is assigned in one transaction and its folder appears atomically with the provider (written under a temporary
name, then renamed; spool folder or SFTP, see transports) — a batch whose folder never appeared is written again
on the next run — and a receipt applied twice changes nothing. Not for: PDF layout (protocols.letters) or how
files travel (transports, sftp).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from digitalpost.blobstore import BlobStore
from digitalpost.core.kombi import Channel
from digitalpost.core.lifecycle import EventKind
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.leadership import exclusive
from digitalpost.messages.models import Document, Message
from digitalpost.messages.services.documents import documents_stored, received_bytes, store_documents
from digitalpost.messages.services.events import append_event, append_events
from digitalpost.messages.services.lifecycle import lock_message, lock_messages, record_delivered, record_failed
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import finish_job, finish_jobs
from digitalpost.printing.models import PrintBatch, PrintLetter
from digitalpost.printing.rendering import LetterMade, LetterWork, make_letter, make_letters
from digitalpost.printing.transports import Transport, open_transport
from digitalpost.protocols import letters

log = logging.getLogger(__name__)


def _letter_for(message: Message, documents: list[letters.LetterDocument]) -> letters.Letter:
    owner = message.mailbox.owner
    return letters.Letter(
        letter_id=str(uuid.uuid4()),
        recipient=letters.PostalAddress(name=owner.name, lines=(owner.address_line,), postal_code=owner.postal_code,
                                        city=owner.city, country="" if owner.country == "DK" else owner.country),
        sender=letters.SenderBlock(name=message.authority.name, address_lines=(), cvr=message.authority.cvr),
        title=message.label,
        sent_on=timezone.localdate(),
        documents=documents,
    )


@dataclass(frozen=True)
class RenderedLetter:
    """A message's letter PDF, stored, waiting to be recorded for the next print batch."""

    message_id: uuid.UUID
    letter: letters.Letter
    pdf_key: str
    pages: int
    documents: list[Document] | None  # to store with it (None: stored before)


def prepare_print_letter(message_id: uuid.UUID | str, *, store: BlobStore | None = None) -> RenderedLetter | None:
    """Render and store the letter PDF of an accepted print message; None when there is nothing (more) to do."""
    store = store or blob_store()
    message = _messages_to_print([message_id]).first()
    if message is None or PrintLetter.objects.filter(message_id=message_id).exists():
        return None
    work = _work_for(message, store)
    return _store(message, work.letter, make_letter(work), store)


def prepare_print_letters(message_ids: list[uuid.UUID | str], *, store: BlobStore) -> list[RenderedLetter]:
    """`prepare_print_letter` for a batch: one query for the messages, one for letters made before; the
    letters made in the render processes (rendering), stored as they come back. Those to record.

    The worker passes an unsynced `store` and syncs it once before recording the letters (record_print_letters).
    """
    messages = list(_messages_to_print(message_ids).order_by("pk"))
    printed = set(PrintLetter.objects.filter(message_id__in=[m.pk for m in messages])
                  .values_list("message_id", flat=True))
    messages = [message for message in messages if message.pk not in printed]
    works = [_work_for(message, store) for message in messages]
    return [_store(message, work.letter, made, store)
            for message, work, made in zip(messages, works, make_letters(works, store=store), strict=True)]


def _messages_to_print(message_ids: list[uuid.UUID | str]) -> QuerySet[Message]:
    return Message.objects.select_related("mailbox__owner", "authority").filter(
        pk__in=message_ids, state=Message.State.ACCEPTED, channel=Channel.PRINT)


def _work_for(message: Message, store: BlobStore) -> LetterWork:
    """The MeMo to read the documents out of, or (stored before, a letter retried) the documents themselves."""
    if not documents_stored(message):
        return LetterWork(letter=_letter_for(message, []), memo=received_bytes(message, store),
                          parts=message.document_parts)
    return LetterWork(letter=_letter_for(message, [
        letters.LetterDocument(d.filename, d.media_type, store.read(d.blob))
        for d in message.documents.order_by("position") if d.role != Document.Role.TECHNICAL]), memo=None)


def _store(message: Message, letter: letters.Letter, made: LetterMade, store: BlobStore) -> RenderedLetter:
    documents = None
    if made.files is not None:
        documents = store_documents(message, received_bytes(message, store), made.files, store)
    pdf_key = store.put(made.rendered.pdf).key
    return RenderedLetter(message_id=message.pk, letter=letter, pdf_key=pdf_key, pages=made.rendered.pages,
                          documents=documents)


@transaction.atomic(durable=True)
def record_print_letter(rendered: RenderedLetter, *, job: Job | None) -> bool:
    """Record the rendered letter for the next batch (LETTER_RENDERED) and finish the job; False if done before."""
    return _record_print_letter(rendered, job=job)


@transaction.atomic(durable=True)
def record_print_letters(rendered: list[RenderedLetter], jobs: list[Job]) -> None:
    """`record_print_letter` for a batch in one transaction, one multi-row statement per table; every job is
    finished (those with nothing (more) to print too).

    The same effects per letter, checked under the messages' row locks: a message no longer ACCEPTED, or with a
    letter already (a batch claimed again after a crash), gets no second one.
    """
    by_message = {letter.message_id: letter for letter in rendered}
    messages = lock_messages(list(by_message))
    printed = set(PrintLetter.objects.filter(message_id__in=list(by_message)).values_list("message_id", flat=True))
    waiting = [m for m in messages if m.state == Message.State.ACCEPTED and m.pk not in printed]
    with_documents = [m.pk for m in waiting if by_message[m.pk].documents is not None]
    stored = set(Document.objects.filter(message__in=with_documents).values_list("message_id", flat=True).distinct())
    Document.objects.bulk_create([document for pk in with_documents if pk not in stored
                                  for document in by_message[pk].documents or ()])
    Message.objects.filter(pk__in=[m.pk for m in waiting if m.pending_memo is not None]).update(pending_memo=None)
    now = timezone.now()
    PrintLetter.objects.bulk_create([
        PrintLetter(id=by_message[m.pk].letter.letter_id, message=m, pdf_blob=by_message[m.pk].pdf_key,
                    pages=by_message[m.pk].pages, rendered_at=now)
        for m in waiting
    ])
    append_events([(m, EventKind.LETTER_RENDERED, {"letter": by_message[m.pk].letter.letter_id,
                                                   "pages": by_message[m.pk].pages}) for m in waiting], at=now)
    finish_jobs(jobs)


def _record_print_letter(rendered: RenderedLetter, *, job: Job | None) -> bool:
    message = lock_message(rendered.message_id)
    if message.state != Message.State.ACCEPTED or PrintLetter.objects.filter(message=message).exists():
        return False
    now = timezone.now()
    if rendered.documents is not None and not message.documents.exists():
        Document.objects.bulk_create(rendered.documents)
    if message.pending_memo is not None:
        message.pending_memo = None
        message.save(update_fields=["pending_memo"])
    letter_id = rendered.letter.letter_id
    PrintLetter.objects.create(id=letter_id, message=message, pdf_blob=rendered.pdf_key, pages=rendered.pages,
                               rendered_at=now)
    append_event(message, EventKind.LETTER_RENDERED, at=now, data={"letter": letter_id, "pages": rendered.pages})
    if job is not None:
        finish_job(job)
    return True


@contextmanager
def _one_pass_at_a_time(spool: Path | None) -> Iterator[None]:
    """Print passes wait for each other on every host and node (hub.leadership): two overlapping passes could
    otherwise both write the same batch's temporary folder and hand the provider an incomplete batch, or two
    nodes hand the provider the same letters."""
    (spool or settings.DIGITALPOST_PRINT_SPOOL).mkdir(parents=True, exist_ok=True)
    with exclusive("print-pass"):
        yield


@dataclass
class BatchReport:
    batches: list[str] = field(default_factory=list)
    letters: int = 0


def write_batches(*, spool: Path | None = None, limit: int | None = None, now: datetime | None = None) -> BatchReport:
    """Put every rendered letter into batches of at most `limit` with the provider; finish interrupted ones.

    The transport is DIGITALPOST_PRINT_TRANSPORT (spool folder or SFTP); an explicit `spool` means that folder.
    """
    limit = limit or settings.DIGITALPOST_PRINT_BATCH_MAX
    report = BatchReport()
    with _one_pass_at_a_time(spool), open_transport(spool=spool) as transport:
        for batch in PrintBatch.objects.filter(handed_over_at__isnull=True).order_by("created_at"):
            _hand_over(batch, transport)  # assigned before a crash, never (completely) handed over: again
            report.batches.append(batch.name)
            report.letters += batch.letters
        while (fresh := _assign_batch(limit=limit, now=now or timezone.now())) is not None:
            _hand_over(fresh, transport)
            report.batches.append(fresh.name)
            report.letters += fresh.letters
    return report


@transaction.atomic(durable=True)
def _assign_batch(*, limit: int, now: datetime) -> PrintBatch | None:
    waiting = list(PrintLetter.objects.select_for_update().filter(state=PrintLetter.State.RENDERED)
                   .order_by("rendered_at", "id")[:limit])
    if not waiting:
        return None
    batch_id = uuid.uuid4()
    batch = PrintBatch.objects.create(id=batch_id, name=f"{now:%Y%m%d-%H%M%S}-{batch_id.hex[:8]}", created_at=now,
                                      letters=len(waiting), pages=sum(w.pages for w in waiting))
    PrintLetter.objects.filter(pk__in=[w.pk for w in waiting]).update(state=PrintLetter.State.BATCHED, batch=batch,
                                                                      status_at=now)
    for item in waiting:
        message = Message.objects.select_for_update(no_key=True).get(pk=item.message_id)
        append_event(message, EventKind.LETTER_BATCHED, at=now, data={"letter": str(item.pk), "batch": batch.name})
    return batch


def _batch_letters(batch: PrintBatch) -> list[letters.BatchLetter]:
    store = blob_store()
    found = []
    for item in batch.items.select_related("message__mailbox__owner", "message__authority").order_by("id"):
        owner = item.message.mailbox.owner
        found.append(letters.BatchLetter(
            letter_id=str(item.pk), message_uuid=str(item.message.message_uuid), sender_cvr=item.message.authority.cvr,
            recipient_name=owner.name, postal_code=owner.postal_code, city=owner.city, country=owner.country,
            pdf=store.read(item.pdf_blob), pages=item.pages,
        ))
    return found


def _hand_over(batch: PrintBatch, transport: Transport) -> None:
    """Put the batch folder in place (atomically: see transports), then mark it handed over."""
    if not transport.has_batch(batch.name):  # in place already: a crash came between the rename and the mark
        items = _batch_letters(batch)
        files = [(item.filename, item.pdf) for item in items]
        files.append((letters.MANIFEST_NAME, letters.build_manifest(batch.name, batch.created_at, items)))
        transport.put_batch(batch.name, files)
    PrintBatch.objects.filter(pk=batch.pk).update(handed_over_at=timezone.now(), transport=transport.name)
    log.info("print batch %s: %d letters, %d pages in %s", batch.name, batch.letters, batch.pages,
             transport.where(batch.name))


@dataclass
class ReceiptReport:
    files: int = 0
    applied: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


_TRANSITIONS = {
    letters.PrintStatus.DELIVERED_TO_POST: ({PrintLetter.State.BATCHED}, PrintLetter.State.SENT,
                                            EventKind.PHYSICAL_LETTER_SENT),
    letters.PrintStatus.REFUSED: ({PrintLetter.State.BATCHED}, PrintLetter.State.REFUSED, EventKind.PRINT_REFUSED),
    letters.PrintStatus.RETURNED: ({PrintLetter.State.BATCHED, PrintLetter.State.SENT}, PrintLetter.State.RETURNED,
                                   EventKind.PHYSICAL_LETTER_RETURNED),
}


def read_receipts(*, spool: Path | None = None) -> ReceiptReport:
    """Apply every receipt file from the provider's receipts folder, then settle it (done, or rejected).

    A file is settled only after its receipts were applied: a crash in between applies it again, which changes
    nothing (apply_print_receipt is idempotent).
    """
    with _one_pass_at_a_time(spool):
        report = ReceiptReport()
        with open_transport(spool=spool) as transport:
            for name in transport.list_receipts():
                report.files += 1
                data = transport.read_receipt(name)
                try:
                    parsed = letters.read_print_receipts(data.decode("utf-8"))
                except UnicodeDecodeError:
                    report.problems.append(f"{name}: not UTF-8 text")
                    transport.settle_receipt(name, data, rejected=True)
                    continue
                report.problems += [f"{name} {problem}" for problem in parsed.problems]
                for receipt in parsed.receipts:
                    outcome = apply_print_receipt(receipt)
                    if outcome is None:
                        report.unchanged += 1
                    elif outcome:
                        report.applied += 1
                    else:
                        report.problems.append(f"{name}: letter {receipt.letter_id} is not one of ours")
                transport.settle_receipt(name, data, rejected=bool(parsed.problems) and not parsed.receipts)
        return report


@transaction.atomic(durable=True)
def apply_print_receipt(receipt: letters.PrintReceipt) -> bool | None:
    """True when applied, None when it changes nothing (already applied), False for an unknown letter."""
    try:
        letter_id = uuid.UUID(receipt.letter_id)
    except ValueError:
        return False
    item = PrintLetter.objects.select_for_update().filter(pk=letter_id).first()
    if item is None:
        return False
    allowed_from, target, event = _TRANSITIONS[receipt.status]
    if item.state not in allowed_from:
        return None
    item.state, item.status_reason, item.status_at = target, receipt.reason, receipt.at
    item.save(update_fields=["state", "status_reason", "status_at"])
    message = lock_message(item.message_id)
    append_event(message, event, at=timezone.now(),
                 data={"letter": str(item.pk), "reason": receipt.reason, "at": receipt.at.isoformat()})
    # The provider's own event (PHYSICAL_LETTER_SENT, PRINT_REFUSED) is the one on the timeline for the new state.
    if target is PrintLetter.State.SENT:
        record_delivered(message, at=timezone.now(), delivered_at=receipt.at, event=False)
    elif target is PrintLetter.State.REFUSED:
        record_failed(message, at=timezone.now(), reason=None)
    return True
