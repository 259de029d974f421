"""Print via the provider's SFTP server: whole batches or nothing, the host key checked, receipts fetched back.

The provider is a real SFTP server on 127.0.0.1 (asyncssh, tests/printing/conftest.py) rooted in a folder the
test reads, so what the provider would see is checked on disk.
"""

from __future__ import annotations

import io
import json

import asyncssh
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from digitalpost.cli.main import app
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.messages.models import Event, Message
from digitalpost.outbox.models import WorkKind
from digitalpost.printing.models import PrintBatch, PrintLetter
from digitalpost.printing.services import read_receipts, write_batches
from digitalpost.protocols.letters import ADDRESS_WINDOW
from helpers.kombipost import send
from helpers.letters import text_positions


def letters_for(cast, drain, *people) -> list[PrintLetter]:
    ids = [send(cast, person).json()["messageId"] for person in people]
    assert drain(WorkKind.PRINT) == len(ids)
    return [PrintLetter.objects.get(message_id=message_id) for message_id in ids]


def visible(provider) -> list[str]:
    """Everything the provider sees in its folder, hidden (dot) names included."""
    return sorted(str(p.relative_to(provider.root)) for p in provider.root.rglob("*"))


@pytest.mark.parametrize("pinned", ["public key line", "SHA256 fingerprint"])
def test_a_batch_is_uploaded_whole_with_its_manifest_and_then_marked_handed_over(cast, drain, provider,
                                                                                  sftp_settings, pinned):
    if pinned == "SHA256 fingerprint":
        sftp_settings.DIGITALPOST_PRINT_SFTP_HOST_KEY = provider.host_key.get_fingerprint("sha256")
    (letter,) = letters_for(cast, drain, cast.bent)
    report = write_batches()
    (batch,) = PrintBatch.objects.all()
    assert report.batches == [batch.name]
    assert (batch.transport, batch.handed_over_at is not None) == ("sftp", True)
    assert visible(provider) == [batch.name, f"{batch.name}/{letter.pk}.pdf", f"{batch.name}/manifest.json"]
    manifest = json.loads((provider.root / batch.name / "manifest.json").read_text())
    assert [(e["letterId"], e["recipient"]["name"]) for e in manifest["letters"]] == [(str(letter.pk),
                                                                                       "Bent Bertelsen")]
    cover = {text: (x, y) for text, x, y in
             text_positions(PdfReader(io.BytesIO((provider.root / batch.name / f"{letter.pk}.pdf").read_bytes()))
                            .pages[0])}
    assert ADDRESS_WINDOW.contains(*cover["Bent Bertelsen"])
    assert write_batches().letters == 0  # nothing twice
    assert len(provider.batches()) == 1


def test_a_batch_broken_off_mid_upload_is_uploaded_again_without_duplicates(cast, drain, provider, sftp_settings):
    first, second = letters_for(cast, drain, cast.bent, cast.bent)
    provider.fail_once.add("manifest.json")  # the PDFs are there, then the upload breaks off
    with pytest.raises(DigitalPostError) as refused:
        write_batches()
    assert refused.value.code == ErrorCode.PRINT_PROVIDER_FAILED
    assert "disk full" in refused.value.detail
    (batch,) = PrintBatch.objects.all()
    assert batch.handed_over_at is None
    assert provider.batches() == [provider.root / f".incoming-{batch.name}"]  # hidden: the provider ignores it
    report = write_batches()
    assert (report.batches, report.letters) == ([batch.name], 2)
    assert visible(provider) == sorted([batch.name, f"{batch.name}/{first.pk}.pdf", f"{batch.name}/{second.pk}.pdf",
                                        f"{batch.name}/manifest.json"])
    assert json.loads((provider.root / batch.name / "manifest.json").read_text())["count"] == 2
    assert PrintBatch.objects.get().handed_over_at is not None


def test_a_batch_in_place_before_the_crash_is_only_marked_not_uploaded_again(cast, drain, provider, sftp_settings):
    letters_for(cast, drain, cast.bent)
    write_batches()
    batch = PrintBatch.objects.get()
    manifest = provider.root / batch.name / "manifest.json"
    manifest.write_text("the provider already took this batch")  # so an upload would show
    PrintBatch.objects.filter(pk=batch.pk).update(handed_over_at=None)  # the process died right after the rename
    assert write_batches().batches == [batch.name]
    assert manifest.read_text() == "the provider already took this batch"
    assert PrintBatch.objects.get().handed_over_at is not None


def test_a_wrong_host_key_is_refused_before_anything_is_sent(cast, drain, provider, sftp_settings):
    letters_for(cast, drain, cast.bent)
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    sftp_settings.DIGITALPOST_PRINT_SFTP_HOST_KEY = impostor.export_public_key().decode().strip()
    with pytest.raises(DigitalPostError) as refused:
        write_batches()
    assert refused.value.code == ErrorCode.PRINT_PROVIDER_HOST_KEY_MISMATCH
    assert provider.host_key.get_fingerprint("sha256") in refused.value.detail  # what was offered
    assert impostor.get_fingerprint("sha256") in refused.value.detail  # and what was expected
    assert visible(provider) == []
    assert PrintBatch.objects.count() == 0
    assert PrintLetter.objects.get().state == "RENDERED"  # waits for the next pass
    result = CliRunner().invoke(app, ["print", "batch"])
    assert result.exit_code == 1
    assert "print.provider.host.key.mismatch" in result.output


def test_a_missing_host_key_setting_is_refused(cast, provider, sftp_settings):
    sftp_settings.DIGITALPOST_PRINT_SFTP_HOST_KEY = ""
    with pytest.raises(DigitalPostError) as refused:
        read_receipts()
    assert refused.value.code == ErrorCode.PRINT_PROVIDER_HOST_KEY_MISMATCH


def test_an_unreachable_provider_is_a_clear_error_and_the_letters_wait(cast, drain, provider, sftp_settings):
    letters_for(cast, drain, cast.bent)
    sftp_settings.DIGITALPOST_PRINT_SFTP_PORT = 1  # nobody listens there
    result = CliRunner().invoke(app, ["print", "batch"])
    assert result.exit_code == 1
    assert "print.provider.failed" in result.output
    assert PrintLetter.objects.get().state == "RENDERED"


def test_receipts_are_fetched_applied_and_only_then_removed_from_the_provider(cast, drain, provider,
                                                                              sftp_settings):
    sent, refused = letters_for(cast, drain, cast.bent, cast.bent)
    write_batches()
    inbox = provider.root / "receipts"
    inbox.mkdir()
    text = (f"{sent.pk};AFLEVERET;;2026-11-28T08:00:00+01:00\n"
            f"{refused.pk};AFVIST;Adressen kan ikke læses;2026-11-28T08:00:00+01:00\n")
    (inbox / "kvittering-1.csv").write_text(text, encoding="utf-8")
    (inbox / "garbage.csv").write_bytes(b"\xff\xfe not text")
    report = read_receipts()
    assert (report.files, report.applied) == (2, 2)
    assert report.problems == ["garbage.csv: not UTF-8 text"]
    assert Message.objects.get(pk=sent.message_id).state == "DELIVERED"
    assert Message.objects.get(pk=refused.message_id).state == "FAILED"
    assert Event.objects.filter(message_id=sent.message_id, kind="PHYSICAL_LETTER_SENT").count() == 1
    # applied: gone from the provider's inbox, our copy kept; the unreadable one set aside on both sides
    assert sorted(p.name for p in inbox.iterdir()) == ["rejected"]
    assert (inbox / "rejected" / "garbage.csv").exists()
    spool = sftp_settings.DIGITALPOST_PRINT_SPOOL
    assert (spool / "receipts" / "done" / "kvittering-1.csv").read_text(encoding="utf-8") == text
    assert (spool / "receipts" / "rejected" / "garbage.csv").exists()
    # the provider sends the same file again (it never saw our removal before a crash): nothing changes twice
    (inbox / "kvittering-1.csv").write_text(text, encoding="utf-8")
    again = read_receipts()
    assert (again.files, again.applied, again.unchanged) == (1, 0, 2)
    assert Event.objects.filter(message_id=sent.message_id, kind="PHYSICAL_LETTER_SENT").count() == 1
