"""Print end to end: exempt recipients' messages become letters in spool batches, and receipts come back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from digitalpost.messages.models import Event, Message, Receipt
from digitalpost.outbox.models import WorkKind
from digitalpost.printing.models import PrintBatch, PrintLetter
from digitalpost.printing.services import _assign_batch, read_receipts, write_batches
from digitalpost.protocols.letters import ADDRESS_WINDOW
from digitalpost.registry.models import Contact
from digitalpost.registry.services import register_contact
from helpers.kombipost import a4_pdf, send
from helpers.letters import text_positions


@pytest.fixture
def spool(tmp_path) -> Path:
    return tmp_path / "spool"


def events(message_id) -> list[str]:
    return list(Event.objects.filter(message_id=message_id).order_by("seq").values_list("kind", flat=True))


def cover_lines(pdf: bytes) -> dict[str, tuple[float, float]]:
    return {text: (x, y) for text, x, y in text_positions(PdfReader(io.BytesIO(pdf)).pages[0])}


def test_an_exempt_citizens_letter_lands_in_the_spool_with_the_address_in_the_window(cast, drain, spool):
    response = send(cast, cast.bent, files=[("afgoerelse.pdf", "application/pdf", a4_pdf("Afgørelse side"))])
    message_id = response.json()["messageId"]
    assert drain(WorkKind.PRINT) == 1
    letter = PrintLetter.objects.get(message_id=message_id)
    assert (letter.state, letter.pages) == ("RENDERED", 2)
    report = write_batches(spool=spool)
    assert report.letters == 1
    (folder,) = [p for p in spool.iterdir() if not p.name.startswith(".")]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [(e["letterId"], e["recipient"]["name"], e["pages"]) for e in manifest["letters"]] == [
        (str(letter.pk), "Bent Bertelsen", 2)]
    pdf = (folder / f"{letter.pk}.pdf").read_bytes()
    lines = cover_lines(pdf)
    for line in ("Bent Bertelsen", "Åboulevarden 12, 3. tv.", "8000 Aarhus C"):
        assert ADDRESS_WINDOW.contains(*lines[line]), line
    assert "Afgørelse side" in PdfReader(io.BytesIO(pdf)).pages[1].extract_text()
    assert events(message_id) == ["MESSAGE_RECEIVED", "LETTER_RENDERED", "LETTER_BATCHED"]
    assert Message.objects.get(pk=message_id).state == "ACCEPTED"  # on paper only once the post has it
    assert write_batches(spool=spool).letters == 0  # nothing twice


def test_many_recipients_in_batches_never_get_each_others_letters(cast, drain, spool):
    people = [register_contact(kind=Contact.Kind.CITIZEN, number=f"01018{n:05d}"[:10], name=f"Modtager {n:02d}",
                               status=Contact.Status.EXEMPT, address_line=f"Vej {n}", postal_code=f"{8000 + n}",
                               city="Aarhus") for n in range(1, 24)]
    sent = {send(cast, person).json()["messageId"]: person for person in people}
    assert drain(WorkKind.PRINT) == len(people)
    report = write_batches(spool=spool, limit=10)
    assert (len(report.batches), report.letters) == (3, len(people))
    seen = set()
    for name in report.batches:
        manifest = json.loads((spool / name / "manifest.json").read_text())
        for entry in manifest["letters"]:
            letter = PrintLetter.objects.get(pk=entry["letterId"])
            person = sent[str(letter.message_id)]
            lines = cover_lines((spool / name / entry["file"]).read_bytes())
            assert entry["recipient"]["name"] == person.name
            assert person.name in lines
            assert f"{person.postal_code} Aarhus" in lines
            assert not any(other.name in lines for other in people if other is not person)
            seen.add(entry["letterId"])
    assert len(seen) == len(people)


def test_a_batch_assigned_before_a_crash_is_written_on_the_next_run(cast, drain, spool, settings):
    send(cast, cast.bent)
    drain(WorkKind.PRINT)
    from django.utils import timezone

    batch = _assign_batch(limit=10, now=timezone.now())  # the process died before writing the folder
    assert not (spool / batch.name).exists()
    report = write_batches(spool=spool)
    assert report.batches == [batch.name]
    assert (spool / batch.name / "manifest.json").exists()
    assert PrintBatch.objects.get(pk=batch.pk).handed_over_at is not None
    assert not [p for p in spool.iterdir() if p.name.startswith(".incoming")]


def _receipts(spool, name: str, text: str) -> None:
    folder = spool / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_print_receipts_turn_into_events_states_and_sender_receipts(cast, drain, spool):
    first, second = (send(cast, cast.bent).json()["messageId"] for _ in range(2))
    drain(WorkKind.PRINT)
    write_batches(spool=spool)
    one, two = (PrintLetter.objects.get(message_id=m).pk for m in (first, second))
    _receipts(spool, "kvittering-1.csv", f"{one};AFLEVERET;;2026-11-28T08:00:00+01:00\n"
                                            f"{two};AFVIST;Adressen kan ikke læses;2026-11-28T08:00:00+01:00\n"
                                            "00000000-0000-0000-0000-000000000000;AFLEVERET;;2026-11-28T08:00:00+01:00\n")
    report = read_receipts(spool=spool)
    assert (report.files, report.applied) == (1, 2)
    assert report.problems == ["kvittering-1.csv: letter 00000000-0000-0000-0000-000000000000 is not one of ours"]
    assert (spool / "receipts" / "done" / "kvittering-1.csv").exists()
    sent, refused = Message.objects.get(pk=first), Message.objects.get(pk=second)
    assert (sent.state, refused.state) == ("DELIVERED", "FAILED")
    assert events(first)[-1] == "PHYSICAL_LETTER_SENT"
    assert events(second)[-1] == "PRINT_REFUSED"
    assert Event.objects.get(message_id=second, kind="PRINT_REFUSED").data["reason"] == "Adressen kan ikke læses"
    assert Receipt.objects.filter(message_id=first, status="COMPLETED").count() == 1
    # the same file again changes nothing; returned mail comes later
    _receipts(spool, "kvittering-1-igen.csv", f"{one};AFLEVERET;;2026-11-28T08:00:00+01:00\n")
    _receipts(spool, "retur.csv", f"{one};RETURNERET;Ubekendt på adressen;2026-12-02T10:00:00+01:00\n")
    again = read_receipts(spool=spool)
    assert (again.files, again.applied, again.unchanged) == (2, 1, 1)
    assert PrintLetter.objects.get(pk=one).state == "RETURNED"
    assert events(first)[-1] == "PHYSICAL_LETTER_RETURNED"
    assert Receipt.objects.filter(message_id=first, status="COMPLETED").count() == 1


@pytest.mark.parametrize("content", [b"\xff\xfe garbage", b"L-1;SENDT;;x\n"])
def test_unreadable_receipt_files_are_set_aside_and_reported(cast, spool, content):
    (spool / "receipts").mkdir(parents=True)
    (spool / "receipts" / "bad.csv").write_bytes(content)
    report = read_receipts(spool=spool)
    assert report.problems
    assert (spool / "receipts" / "rejected" / "bad.csv").exists()
