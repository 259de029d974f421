"""An inquiry is forwarded to the mailbox's secure address: encrypted to it, signed by the hub, readable by the
real openssl, carrying the metadata and dialog-thread files; nothing is lost while the relay is down."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind
from digitalpost.delivery.channels.base import ForwardPostponed
from digitalpost.delivery.channels.receivers import OutgoingInquiry, inquiry_of
from digitalpost.delivery.forward import forward_inquiry
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import mail, memo
from digitalpost.protocols.threads import THREAD_FILENAME, ReplyRule, read_thread_file
from digitalpost.systems.models import ReceiverSystem
from helpers.secure_mail import PDF, free_port, open_forwarded
from helpers.secure_mail_pki import HUB_ADDRESS, NORDBY_ADDRESS, openssl

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings")]

PDF_NAME = "pas.pdf"


def test_forwarded_inquiry_reaches_the_secure_address_once_and_is_marked_delivered(
    nordby_secure, authority_mail_server, drain
):
    message = nordby_secure.inquiry()

    assert drain(WorkKind.FORWARD) == 1

    assert len(authority_mail_server.mails) == 1
    received = authority_mail_server.mails[0]
    assert received.rcpt_tos == [NORDBY_ADDRESS]
    assert received.mail_from == HUB_ADDRESS
    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert message.delivered_at is not None
    delivered = [e for e in message.events.all() if e.kind == EventKind.MESSAGE_DELIVERED]
    assert len(delivered) == 1
    assert delivered[0].data["channel"] == "secure-address"
    assert not Job.objects.filter(kind=WorkKind.FORWARD, state=Job.State.PENDING).exists()
    assert drain(WorkKind.FORWARD) == 0
    assert len(authority_mail_server.mails) == 1


def test_real_openssl_decrypts_the_forwarded_mail_and_verifies_the_hubs_signature(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    nordby_secure.inquiry()
    drain(WorkKind.FORWARD)
    pki = securemail_pki
    raw = pki.file("forwarded.eml", authority_mail_server.mails[0].data)

    decrypted = openssl("cms", "-decrypt", "-in", raw, "-recip", pki.nordby_address.cert_file,
                        "-inkey", pki.nordby_address.key_file)
    signed = pki.file("forwarded-signed.eml", decrypted)
    content = openssl("cms", "-verify", "-in", signed, "-CAfile", pki.ca.cert_file,
                      "-signer", pki.folder / "forwarded-signer.pem")

    assert (pki.folder / "forwarded-signer.pem").read_bytes().strip() == pki.hub.pem.strip()
    entity = BytesParser(policy=policy.default).parsebytes(content)
    names = [part.get_filename() for part in entity.walk() if part.get_filename()]
    assert names == [PDF_NAME, mail.METADATA_FILENAME, THREAD_FILENAME]


def test_real_openssl_refuses_the_forwarded_mail_with_a_key_it_was_not_encrypted_to(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    nordby_secure.inquiry()
    drain(WorkKind.FORWARD)
    pki = securemail_pki
    raw = pki.file("forwarded-other.eml", authority_mail_server.mails[0].data)

    with pytest.raises(AssertionError, match="failed"):
        openssl("cms", "-decrypt", "-in", raw, "-recip", pki.sydby_sender.cert_file, "-inkey",
                pki.sydby_sender.key_file)


def test_forwarded_mail_carries_metadata_thread_file_and_the_citizens_pdf(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    message = nordby_secure.inquiry()
    drain(WorkKind.FORWARD)
    opened = open_forwarded(authority_mail_server.mails[0].data, address=securemail_pki.nordby_address,
                            at=timezone.now())
    thread = message.thread

    meta = mail.read_metadata_file(opened.part(mail.METADATA_FILENAME))
    assert (meta.sender_type, meta.sender_number) == (mail.IdentityType.CPR, nordby_secure.cast.anna.number)
    assert meta.sender_name == nordby_secure.cast.anna.name
    assert meta.authority_cvr == nordby_secure.cast.nordby.authority.cvr
    assert (meta.mailbox_id, meta.mailbox_name) == (nordby_secure.mailbox.pk, "Borgerservice")
    assert meta.topic == "Pas"
    assert meta.fields == (("Sagsnummer", "S-2026-17"),)
    assert meta.thread_id == thread.pk
    assert meta.message_id == message.pk
    assert meta.reply_rule == ReplyRule.REPLY_ALLOWED
    assert [a.filename for a in meta.attachments] == [PDF_NAME]

    assert opened.part(PDF_NAME) == PDF
    assert read_thread_file(opened.part(THREAD_FILENAME)) == opened.token
    assert opened.parsed.thread_carriers.attachment == opened.token
    assert "Hvornår er mit pas klar?" in opened.parsed.text


def test_forwarded_subject_names_the_mailbox_and_carries_the_thread_tag(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    nordby_secure.inquiry()
    drain(WorkKind.FORWARD)
    raw = authority_mail_server.mails[0].data
    outer = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    opened = open_forwarded(raw, address=securemail_pki.nordby_address, at=timezone.now())

    subject = str(outer["Subject"])
    assert "Borgerservice" in subject
    assert "Pas" in subject
    assert "Mit pas" in subject
    assert "[DP:" in subject
    assert opened.parsed.thread_carriers.subject == opened.token
    assert str(outer["To"]) == NORDBY_ADDRESS
    assert outer["Message-ID"]


def test_forwarded_mail_has_crlf_line_endings_only(nordby_secure, authority_mail_server, drain, securemail_pki):
    nordby_secure.inquiry()
    drain(WorkKind.FORWARD)
    raw = authority_mail_server.mails[0].data
    opened = open_forwarded(raw, address=securemail_pki.nordby_address, at=timezone.now())

    for data in (raw, opened.decrypted, opened.content):
        assert data.count(b"\n") == data.count(b"\r\n")
        assert data.count(b"\r") == data.count(b"\r\n")


def test_relay_down_keeps_the_job_pending_and_delivers_once_when_the_relay_is_back(
    nordby_secure, authority_mail_server, drain, settings
):
    message = nordby_secure.inquiry()
    relay_port = settings.DIGITALPOST_SMTP_RELAY_PORT
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()  # nobody listens there

    assert drain(WorkKind.FORWARD) == 1

    job = Job.objects.get(kind=WorkKind.FORWARD)
    assert job.state == Job.State.PENDING
    assert job.attempts == 1
    assert job.last_error
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    receiver = ReceiverSystem.objects.get(pk=nordby_secure.receiver.pk)
    assert receiver.failing_since is not None
    assert receiver.is_active
    assert authority_mail_server.mails == []

    settings.DIGITALPOST_SMTP_RELAY_PORT = relay_port
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    assert drain(WorkKind.FORWARD) == 1
    assert drain(WorkKind.FORWARD) == 0

    assert len(authority_mail_server.mails) == 1
    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert ReceiverSystem.objects.get(pk=receiver.pk).failing_since is None
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE


def test_relay_down_postpones_forward_inquiry_and_the_message_stays_accepted(
    nordby_secure, settings
):
    message = nordby_secure.inquiry()
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()

    with pytest.raises(ForwardPostponed):
        forward_inquiry(message_id=message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert ReceiverSystem.objects.get(pk=nordby_secure.receiver.pk).failing_since is not None


def test_forwarding_an_already_delivered_inquiry_sends_nothing_again(nordby_secure, authority_mail_server):
    message = nordby_secure.inquiry()

    assert forward_inquiry(message_id=message.pk) is True
    assert forward_inquiry(message_id=message.pk) is False
    assert len(authority_mail_server.mails) == 1


def test_receiver_failing_longer_than_the_limit_is_deactivated_and_the_inquiry_waits(
    nordby_secure, drain, settings
):
    from datetime import timedelta

    message = nordby_secure.inquiry()
    ReceiverSystem.objects.filter(pk=nordby_secure.receiver.pk).update(
        failing_since=timezone.now() - timedelta(days=settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS + 1))
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()

    assert drain(WorkKind.FORWARD) == 1

    receiver = ReceiverSystem.objects.get(pk=nordby_secure.receiver.pk)
    assert not receiver.is_active
    assert receiver.deactivated_at is not None
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert Job.objects.get(kind=WorkKind.FORWARD).state == Job.State.PENDING
    alert = message.events.get(kind="RECEIVER_DEACTIVATED")
    assert alert.data["receiver"] == str(receiver.pk)


def test_inquiry_survives_a_relay_outage_longer_than_the_retry_budget_and_is_delivered_once(
    nordby_secure, authority_mail_server, drain, settings
):
    message = nordby_secure.inquiry()
    relay_port = settings.DIGITALPOST_SMTP_RELAY_PORT
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()
    for _ in range(10):  # ten retries, each made due at once: a quarter of an hour of outage at most
        Job.objects.filter(kind=WorkKind.FORWARD).update(run_after=timezone.now())
        drain(WorkKind.FORWARD)

    settings.DIGITALPOST_SMTP_RELAY_PORT = relay_port
    Job.objects.filter(kind=WorkKind.FORWARD).update(run_after=timezone.now())
    drain(WorkKind.FORWARD)

    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert len(authority_mail_server.mails) == 1


def test_an_inquiry_records_its_files_and_one_stored_without_the_record_forwards_the_same(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    recorded = nordby_secure.inquiry()
    older = nordby_secure.inquiry()
    assert recorded.document_parts is not None
    assert [part["filename"] for part in recorded.document_parts] == ["henvendelse.txt", PDF_NAME]
    # As an inquiry stored before acceptance recorded the parts: its forward parses the MeMo.
    Message.objects.filter(pk=older.pk).update(document_parts=None)

    assert drain(WorkKind.FORWARD) == 2

    opened = {}
    for received in authority_mail_server.mails:
        forward = open_forwarded(received.data, address=securemail_pki.nordby_address, at=timezone.now())
        meta = mail.read_metadata_file(forward.part(mail.METADATA_FILENAME))
        opened[meta.message_id] = (forward, meta)
    for message in (recorded, older):
        forward, meta = opened[message.pk]
        assert forward.part(PDF_NAME) == PDF
        assert meta.fields == (("Sagsnummer", "S-2026-17"),)
        assert meta.topic == "Pas"
        assert [(a.filename, a.size) for a in meta.attachments] == [(PDF_NAME, len(PDF))]
        assert "Hvornår er mit pas klar?" in forward.parsed.text


def test_the_forward_copies_the_files_base64_text_from_the_memo_into_the_same_entity(nordby_secure):
    def loaded() -> Message:
        return Message.objects.select_related("thread__authority", "thread__authority_mailbox", "thread__party") \
            .get(pk=message.pk)

    def entity(inquiry: OutgoingInquiry) -> bytes:
        return mail.build_inner_entity(meta=inquiry.meta, body_text=mail.content_bytes(inquiry.files[0][2]).decode(),
                                       attachments=inquiry.files[1:], thread_token=token)

    message = nordby_secure.inquiry()
    assert message.document_parts is not None
    assert all(len(part["sha256"]) == 64 for part in message.document_parts)  # both texts canonical: copyable
    copied = inquiry_of(loaded())
    token = copied.thread_token
    assert isinstance(copied.files[1][2], mail.EncodedContent)
    # As recorded before the forward copied the text (or for a text that is not canonical): decoded.
    Message.objects.filter(pk=message.pk).update(document_parts=[
        {key: value for key, value in part.items() if key != "sha256"} for part in message.document_parts])
    decoded = inquiry_of(loaded())

    assert decoded.files[1] == (PDF_NAME, "application/pdf", PDF)
    assert copied.meta == decoded.meta
    assert entity(copied) == entity(decoded)


def test_an_inquiry_records_the_entered_fields_and_the_forward_reads_no_memo_header(nordby_secure, monkeypatch):
    def loaded() -> Message:
        return Message.objects.select_related("thread__authority", "thread__authority_mailbox", "thread__party") \
            .get(pk=message.pk)

    message = nordby_secure.inquiry()
    assert message.entered_fields == [["Sagsnummer", "S-2026-17"]]
    parse_header = memo.parse_header
    monkeypatch.setattr(memo, "parse_header", lambda *args, **kwargs: pytest.fail("the MeMo's header was parsed"))
    recorded = inquiry_of(loaded())
    assert recorded.meta.fields == (("Sagsnummer", "S-2026-17"),)
    # As stored before the fields were recorded: read from the MeMo's header, the same metadata.
    monkeypatch.setattr(memo, "parse_header", parse_header)
    Message.objects.filter(pk=message.pk).update(entered_fields=None)
    assert inquiry_of(loaded()).meta == recorded.meta


def test_forward_inquiry_loads_the_secure_address_and_its_certificate_with_the_message(
    nordby_secure, authority_mail_server
):
    message = nordby_secure.inquiry()
    with CaptureQueriesContext(connection) as queries:
        assert forward_inquiry(message_id=message.pk)
    tables = " ".join(query["sql"] for query in queries.captured_queries).lower()
    assert len(authority_mail_server.mails) == 1
    # Read in the message's own SELECT (a join), never by a SELECT of their own.
    assert not [q for q in queries.captured_queries if q["sql"].lower().startswith("select")
                and 'from "systems_secureaddress"' in q["sql"].lower()]
    assert not [q for q in queries.captured_queries if q["sql"].lower().startswith("select")
                and 'from "systems_certificate"' in q["sql"].lower()]
    assert '"systems_certificate"' in tables
