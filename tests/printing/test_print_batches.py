"""The PRINT lane in batches: letters made in the render processes (or in-process), stored with one sync and
recorded with one statement per table; one letter per message, whatever is claimed again or fails."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from digitalpost.blobstore.sealing import MAGIC
from digitalpost.delivery.handlers import BATCH_HANDLERS, GIVE_UP, HANDLERS
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Event, Message
from digitalpost.messages.services.events import verify_timeline
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.worker import run_batch
from digitalpost.printing.models import PrintLetter
from digitalpost.registry.models import Contact
from digitalpost.registry.services import register_contact
from helpers.kombipost import send
from helpers.letters import text_positions


def exempt_messages(cast, count: int) -> dict[str, Contact]:
    people = [register_contact(kind=Contact.Kind.CITIZEN, number=f"02027{n:05d}"[:10], name=f"Papir {n:02d}",
                               status=Contact.Status.EXEMPT, address_line=f"Papirvej {n}", postal_code="7100",
                               city="Vejle") for n in range(1, count + 1)]
    return {send(cast, person).json()["messageId"]: person for person in people}


def print_batch(limit: int = 25) -> bool:
    return run_batch(WorkKind.PRINT, BATCH_HANDLERS[WorkKind.PRINT], HANDLERS, on_give_up=GIVE_UP, limit=limit)


def letters_of(message_id) -> int:
    return PrintLetter.objects.filter(message_id=message_id).count()


@pytest.mark.parametrize("processes", [1, 2], ids=["in-process", "render-processes"])
def test_a_batch_makes_each_letter_once_with_its_documents_event_and_the_recipients_cover(cast, settings, processes):
    settings.DIGITALPOST_PRINT_RENDER_PROCESSES = processes
    sent = exempt_messages(cast, 12)
    assert print_batch(limit=10)
    assert print_batch(limit=10)
    assert not print_batch(limit=10)
    store = blob_store()
    for message_id, person in sent.items():
        message = Message.objects.get(pk=message_id)
        assert (message.state, message.pending_memo) == ("ACCEPTED", None)  # until the provider's receipt
        assert message.documents.count() == 1
        assert store.read(message.documents.get().blob)[:5] == b"%PDF-"
        letter = PrintLetter.objects.get(message=message)
        cover = {text for text, _, _ in text_positions(PdfReader(io.BytesIO(store.read(letter.pdf_blob))).pages[0])}
        assert {person.name, person.address_line, "7100 Vejle"} <= cover
        assert list(message.events.order_by("seq").values_list("kind", flat=True))[-1] == "LETTER_RENDERED"
        assert verify_timeline(message) is None
    assert set(Job.objects.filter(kind=WorkKind.PRINT).values_list("state", flat=True)) == {"DONE"}


def test_blobs_written_in_the_render_processes_are_sealed_with_the_workers_keys(cast, settings):
    # The render processes write each letter's blobs into the worker's own store (its folder, its keys), not one
    # they make from their settings: here the keys exist only in the worker's settings.
    settings.DIGITALPOST_PRINT_RENDER_PROCESSES = 2
    settings.DIGITALPOST_BLOB_KEYS = "print-test:" + base64.b64encode(bytes(range(32))).decode()
    sent = exempt_messages(cast, 6)
    assert print_batch()
    store = blob_store()
    for message_id in sent:
        message = Message.objects.get(pk=message_id)
        letter = PrintLetter.objects.get(message=message)
        for key in (message.memo_blob, message.documents.get().blob, letter.pdf_blob):
            with store.objects.open(key) as raw:
                assert raw.read(len(MAGIC)) == MAGIC
        assert store.read(letter.pdf_blob)[:5] == b"%PDF-"


def test_a_batch_claimed_again_after_its_lease_makes_no_second_letter(cast):
    sent = exempt_messages(cast, 4)
    assert print_batch()
    # a worker died after committing, before anyone knew: the jobs come due again
    Job.objects.filter(kind=WorkKind.PRINT).update(state="PENDING", run_after=timezone.now() - timedelta(seconds=1))
    assert print_batch()
    assert all(letters_of(message_id) == 1 for message_id in sent)
    assert Event.objects.filter(kind="LETTER_RENDERED").count() == len(sent)
    assert set(Job.objects.filter(kind=WorkKind.PRINT).values_list("state", flat=True)) == {"DONE"}


def test_one_bad_letter_falls_back_to_one_by_one_and_the_others_are_made(cast):
    sent = list(exempt_messages(cast, 5))
    bad = sent.pop(1)
    Message.objects.filter(pk=bad).update(pending_memo=b"<not a memo", memo_blob="0" * 64)
    assert print_batch()
    assert all(letters_of(message_id) == 1 for message_id in sent)
    assert letters_of(bad) == 0
    bad_job = Job.objects.get(kind=WorkKind.PRINT, payload__message=bad)
    assert (bad_job.state, bad_job.attempts) == ("PENDING", 1)
    assert bad_job.last_error


@pytest.mark.parametrize("state", ["RECALLED", "FAILED"])
def test_messages_no_longer_waiting_are_finished_without_a_letter(cast, state):
    sent = list(exempt_messages(cast, 3))
    Message.objects.filter(pk=sent[0]).update(state=state)
    assert print_batch()
    assert letters_of(sent[0]) == 0
    assert [letters_of(message_id) for message_id in sent[1:]] == [1, 1]
    assert set(Job.objects.filter(kind=WorkKind.PRINT).values_list("state", flat=True)) == {"DONE"}
