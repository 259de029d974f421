"""New letters started by secure mail (the Outlook path) through the real gateway (SMTP, STARTTLS).

A mail signed by a registered secure-mail sender system, encrypted to the hub and naming no dialog thread is a
new letter: accepted like a REST MeMo into the recipient's mailbox, or refused with 554 and its code; either
way the sender system gets a receipt by mail, signed by the hub and encrypted to its certificate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.core.errors import ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import mail
from digitalpost.systems.models import SenderSystem
from helpers.mail_letters import ANNA_CPR, LETTER_TEXT, letter_mail, open_receipt
from helpers.secure_mail import PDF, MailSink, free_port
from helpers.secure_mail_world import NordbySecure, register_nordby_sender

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_settings")]


@pytest.fixture
def nordby(tx_nordby_secure, authority_mail_server) -> NordbySecure:
    return tx_nordby_secure


def letters_to(contact) -> list[Message]:
    return list(Message.objects.filter(mailbox=contact.mailbox, direction=Message.Direction.TO_PARTY))


def document_text(message: Message, filename: str) -> str:
    return blob_store().read(message.documents.get(filename=filename).blob).decode().replace("\r\n", "\n")


def test_letter_with_a_recipient_line_reaches_annas_mailbox_and_the_receipt_verifies_with_openssl(
    nordby, securemail_pki, send_to_gateway, authority_mail_server, drain
):
    data = letter_mail(securemail_pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}",
                       attachments=(("afgoerelse.pdf", "application/pdf", PDF),))

    status, answer = send_to_gateway(data)

    assert status == 250, answer
    assert "Accepted as letter" in answer
    assert drain() == 1
    [letter] = letters_to(nordby.cast.anna)
    assert str(letter.pk) in answer
    assert letter.state == Message.State.DELIVERED
    assert letter.label == "Beboerlicens"
    assert letter.thread_id is None
    assert letter.sender_system == nordby.sender
    assert document_text(letter, "brev.txt").strip() == LETTER_TEXT  # the recipient line is not in the letter
    assert letter.documents.filter(filename="afgoerelse.pdf").exists()
    received = letter.events.get(kind=EventKind.MESSAGE_RECEIVED)
    assert received.data["via"] == "mail-letter"
    assert not RefusedReply.objects.exists()

    assert authority_mail_server.mails == []  # the receipt waits in the outbox, committed with the letter
    assert drain(WorkKind.LETTER_RECEIPT) == 1
    [sent] = authority_mail_server.mails
    assert sent.rcpt_tos == ["post@nordby.localhost"]  # the address in the sender system's certificate
    assert ANNA_CPR.encode() not in sent.data
    receipt = open_receipt(sent.data, pki=securemail_pki, reader=securemail_pki.nordby_sender)
    assert receipt.outcome == "accepted"
    assert receipt.message_id == str(letter.pk)
    assert receipt.code is None
    assert "digitalt" in receipt.text
    assert "digitally" in receipt.text
    assert receipt.subject == "Kvittering: Beboerlicens"


def test_the_same_mail_sent_twice_is_one_letter_with_a_receipt_for_each_sending(
    nordby, securemail_pki, send_to_gateway, authority_mail_server, drain
):
    """A mail server that never saw our 250 (a crash, a dropped connection) sends the mail again: same Message-ID."""
    data = letter_mail(securemail_pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}")
    first_status, first = send_to_gateway(data)
    again_status, again = send_to_gateway(data)
    assert (first_status, again_status) == (250, 250), (first, again)
    [letter] = letters_to(nordby.cast.anna)
    assert str(letter.pk) in first
    assert str(letter.pk) in again
    assert drain(WorkKind.LETTER_RECEIPT) == 2
    receipts = [open_receipt(m.data, pki=securemail_pki, reader=securemail_pki.nordby_sender)
                for m in authority_mail_server.mails]
    assert [(r.outcome, r.message_id) for r in receipts] == [("accepted", str(letter.pk))] * 2

    other = letter_mail(securemail_pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}")  # a new mail, same words
    assert send_to_gateway(other)[0] == 250
    assert len(letters_to(nordby.cast.anna)) == 2


def test_letter_described_by_digitalpost_letter_xml_takes_its_label_flags_and_answer_mailbox(
    nordby, securemail_pki, send_to_gateway, drain
):
    order = mail.LetterOrder(recipient_id=ANNA_CPR, recipient_type="CPR", label="Afgørelse om parkering",
                             mandatory=True, reply=True, answer_mailbox=str(nordby.mailbox.pk))
    data = letter_mail(securemail_pki, LETTER_TEXT, subject="intern sag 17",
                       attachments=((mail.LETTER_FILENAME, "application/xml", mail.render_letter_file(order)),))

    status, answer = send_to_gateway(data)

    assert status == 250, answer
    assert drain() == 1
    [letter] = letters_to(nordby.cast.anna)
    assert letter.label == "Afgørelse om parkering"
    assert letter.is_mandatory
    assert letter.answer_mailbox == nordby.mailbox
    assert document_text(letter, "brev.txt").strip() == LETTER_TEXT
    assert not letter.documents.filter(filename=mail.LETTER_FILENAME).exists()


def test_letter_to_an_exempt_citizen_is_printed_and_the_receipt_says_print(
    nordby, securemail_pki, send_to_gateway, authority_mail_server, drain
):
    status, answer = send_to_gateway(letter_mail(securemail_pki, f"Modtager: {nordby.cast.bent.number}\n\nHej"))

    assert status == 250, answer
    [letter] = letters_to(nordby.cast.bent)
    assert letter.channel == "PRINT"
    assert Job.objects.filter(kind=WorkKind.PRINT).count() == 1
    assert drain(WorkKind.LETTER_RECEIPT) == 1
    receipt = open_receipt(authority_mail_server.mails[0].data, pki=securemail_pki,
                           reader=securemail_pki.nordby_sender)
    assert receipt.outcome == "accepted"
    assert "print" in receipt.text


def test_the_receipt_waits_in_the_outbox_while_the_relay_is_down_and_goes_out_when_it_is_back(
    tx_nordby_secure, securemail_pki, send_to_gateway, settings, drain
):
    """Nothing listens on the relay's port at first: the letter is accepted, its receipt postponed, not lost."""
    port = free_port()
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", port

    status, answer = send_to_gateway(letter_mail(securemail_pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}"))
    assert status == 250, answer
    [letter] = letters_to(tx_nordby_secure.cast.anna)
    assert drain(WorkKind.LETTER_RECEIPT) == 1  # tried once: the relay is down
    job = Job.objects.get(kind=WorkKind.LETTER_RECEIPT)
    assert (job.state, job.attempts) == (Job.State.PENDING, 1)
    assert "postponed" in job.last_error
    assert job.run_after > timezone.now()  # backing off
    assert drain(WorkKind.LETTER_RECEIPT) == 0

    sink = MailSink()
    relay = Controller(sink, hostname="127.0.0.1", port=port)
    relay.start()
    try:
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())  # the back-off has run out
        assert drain(WorkKind.LETTER_RECEIPT) == 1
    finally:
        relay.stop()
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    [sent] = sink.mails
    receipt = open_receipt(sent.data, pki=securemail_pki, reader=securemail_pki.nordby_sender)
    assert (receipt.outcome, receipt.message_id) == ("accepted", str(letter.pk))


def no_recipient_line(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, LETTER_TEXT)


def unknown_recipient(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, f"Modtager: 0101010101\n\n{LETTER_TEXT}")


def closed_recipient(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, f"Recipient: {n.cast.carl.number}\n\n{LETTER_TEXT}")


def exempt_recipient_digital_only(n: NordbySecure, pki) -> bytes:
    SenderSystem.objects.filter(pk=n.sender.pk).update(default_kombi="digital")
    return letter_mail(pki, f"Modtager: {n.cast.bent.number}\n\n{LETTER_TEXT}")


def legal_notification_sydby_may_not_send(n: NordbySecure, pki) -> bytes:
    order = mail.LetterOrder(recipient_id=ANNA_CPR, recipient_type="CPR", legal_notification=True)
    return letter_mail(pki, LETTER_TEXT, signer=pki.sydby_sender,
                       attachments=((mail.LETTER_FILENAME, "application/xml", mail.render_letter_file(order)),))


def recipient_not_a_number(n: NordbySecure, pki) -> bytes:
    order = mail.render_letter_file(mail.LetterOrder(recipient_id="12345", recipient_type="CPR"))
    return letter_mail(pki, LETTER_TEXT, attachments=((mail.LETTER_FILENAME, "application/xml", order),))


def broken_letter_file(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, LETTER_TEXT, attachments=((mail.LETTER_FILENAME, "application/xml", b"<Letter>"),))


def forbidden_file_type(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}",
                       attachments=(("program.exe", "application/octet-stream", b"MZ\x90\x00"),))


def empty_file(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}",
                       attachments=(("tom.pdf", "application/pdf", b""),))


def nothing_to_send(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, f"Modtager: {ANNA_CPR}\n")


REFUSED_WITH_RECEIPT: dict[str, tuple[Callable[[NordbySecure, object], bytes], ErrorCode]] = {
    "no-recipient-line": (no_recipient_line, ErrorCode.LETTER_RECIPIENT_MISSING),
    "unknown-recipient": (unknown_recipient, ErrorCode.RECIPIENT_UNKNOWN),
    "closed-recipient": (closed_recipient, ErrorCode.RECIPIENT_IS_CLOSED),
    "exempt-recipient-digital-only": (exempt_recipient_digital_only, ErrorCode.RECIPIENT_IS_EXEMPT),
    "legal-notification-not-allowed": (legal_notification_sydby_may_not_send,
                                       ErrorCode.LEGAL_NOTIFICATION_NOT_ALLOWED),
    "recipient-not-a-number": (recipient_not_a_number, ErrorCode.LETTER_RECIPIENT_INVALID),
    "broken-letter-file": (broken_letter_file, ErrorCode.LETTER_METADATA_INVALID),
    "forbidden-file-type": (forbidden_file_type, ErrorCode.FILE_EXTENSION_NOT_ALLOWED),
    "empty-file": (empty_file, ErrorCode.FILE_EMPTY_NOT_ALLOWED),
    "no-text-no-file": (nothing_to_send, ErrorCode.LETTER_BODY_EMPTY),
}


@pytest.mark.parametrize(("build", "code"), REFUSED_WITH_RECEIPT.values(), ids=REFUSED_WITH_RECEIPT.keys())
def test_refused_letter_gets_554_a_receipt_naming_the_code_and_is_recorded_for_the_doctor(
    nordby, securemail_pki, send_to_gateway, authority_mail_server, drain, build, code
):
    status, answer = send_to_gateway(build(nordby, securemail_pki))

    assert status == 554, answer
    assert str(code) in answer
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()
    assert drain() == 0
    refusal = RefusedReply.objects.get()
    assert (refusal.code, refusal.channel) == (str(code), "mail-letter")
    assert refusal.sender_system is not None
    assert refusal.authority == refusal.sender_system.authority
    assert drain(WorkKind.LETTER_RECEIPT) == 1
    [sent] = authority_mail_server.mails
    sydby_signed = refusal.sender_system == nordby.sydby_sender
    reader = securemail_pki.sydby_sender if sydby_signed else securemail_pki.nordby_sender
    receipt = open_receipt(sent.data, pki=securemail_pki, reader=reader)
    assert (receipt.outcome, receipt.code) == ("refused", str(code))
    assert "Refused" in receipt.text
    assert "Afvist" in receipt.text


def stranger_signs(n: NordbySecure, pki) -> bytes:
    return letter_mail(pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}", signer=pki.stranger)


def rest_system_signs(n: NordbySecure, pki) -> bytes:
    register_nordby_sender(n, pki.nordby_rest, channel=SenderSystem.Channel.REST, name="Nordby REST med certifikat")
    return letter_mail(pki, f"Modtager: {ANNA_CPR}\n\n{LETTER_TEXT}", signer=pki.nordby_rest)


REFUSED_WITHOUT_RECEIPT: dict[str, tuple[Callable[[NordbySecure, object], bytes], ErrorCode]] = {
    "signer-registered-nowhere": (stranger_signs, ErrorCode.SENDER_CERTIFICATE_UNKNOWN),
    "signer-not-a-secure-mail-sender-system": (rest_system_signs, ErrorCode.SENDER_NOT_STANDARD_SYSTEM),
}


@pytest.mark.parametrize(("build", "code"), REFUSED_WITHOUT_RECEIPT.values(), ids=REFUSED_WITHOUT_RECEIPT.keys())
def test_letter_from_a_signer_that_is_no_secure_mail_sender_system_is_refused_without_a_receipt(
    nordby, securemail_pki, send_to_gateway, authority_mail_server, drain, build, code
):
    status, answer = send_to_gateway(build(nordby, securemail_pki))

    assert status == 554, answer
    assert str(code) in answer
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()
    assert RefusedReply.objects.get().code == str(code)
    assert drain(WorkKind.LETTER_RECEIPT) == 0  # no sender system to encrypt a receipt to
    assert authority_mail_server.mails == []


def test_mail_with_a_thread_tag_is_a_reply_not_a_letter_even_with_a_recipient_line(forwarded, send_to_gateway):
    status, answer = send_to_gateway(forwarded.reply(text=f"Modtager: {ANNA_CPR}\n\nSvar"))

    assert status == 250, answer
    assert "Filed in thread" in answer
    assert Message.objects.get(thread=forwarded.thread, direction=Message.Direction.TO_PARTY).thread_id is not None


def test_answer_mailbox_that_is_not_the_authoritys_is_refused(nordby, securemail_pki, send_to_gateway):
    sydby_box = AuthorityMailbox.objects.create(authority=nordby.cast.sydby.authority, name="Sydby borgerservice")
    order = mail.LetterOrder(recipient_id=ANNA_CPR, recipient_type="CPR", reply=True,
                             answer_mailbox=str(sydby_box.pk))
    data = letter_mail(securemail_pki, LETTER_TEXT,
                       attachments=((mail.LETTER_FILENAME, "application/xml", mail.render_letter_file(order)),))

    status, answer = send_to_gateway(data)

    assert status == 554, answer
    assert str(ErrorCode.LETTER_METADATA_INVALID) in answer


# --- NgDP's gateway address form: <CPR or CVR>@<CVR or mailbox id>.<hub mail domain> -------------------------------

HUB_DOMAIN = "digitalpost.localhost"


def gateway_address(number: str, organisation: str) -> str:
    return f"{number}@{organisation}.{HUB_DOMAIN}"


def test_letter_sent_to_a_gateway_address_reaches_the_number_before_the_at(
    nordby, securemail_pki, send_to_gateway, drain
):
    rcpt = gateway_address(ANNA_CPR, nordby.cast.nordby.authority.cvr)

    status, answer = send_to_gateway(letter_mail(securemail_pki, LETTER_TEXT), rcpt=rcpt)

    assert status == 250, answer
    assert drain() == 1
    [letter] = letters_to(nordby.cast.anna)
    assert document_text(letter, "brev.txt").strip() == LETTER_TEXT


def test_gateway_address_may_name_one_of_the_authoritys_mailboxes(nordby, securemail_pki, send_to_gateway):
    rcpt = gateway_address(nordby.cast.dorte.number, str(nordby.mailbox.pk))

    status, answer = send_to_gateway(letter_mail(securemail_pki, LETTER_TEXT), rcpt=rcpt)

    assert status == 250, answer
    assert len(letters_to(nordby.cast.dorte)) == 1


def gateway_switched_off(n: NordbySecure) -> tuple[str, str]:
    from digitalpost.authorities.services.organisation import set_secure_mail_policy

    set_secure_mail_policy(authority=n.cast.nordby.authority, refuse_sha1_signatures=False,
                           accepts_gateway_addresses=False)
    return gateway_address(ANNA_CPR, n.cast.nordby.authority.cvr), LETTER_TEXT


def gateway_of_another_organisation(n: NordbySecure) -> tuple[str, str]:
    return gateway_address(ANNA_CPR, n.cast.sydby.authority.cvr), LETTER_TEXT


def gateway_and_content_disagree(n: NordbySecure) -> tuple[str, str]:
    return gateway_address(ANNA_CPR, n.cast.nordby.authority.cvr), f"Modtager: {n.cast.bent.number}\n\n{LETTER_TEXT}"


GATEWAY_REFUSALS = {
    "switched-off": (gateway_switched_off, ErrorCode.LETTER_GATEWAY_ADDRESS_OFF),
    "another-organisation": (gateway_of_another_organisation, ErrorCode.LETTER_GATEWAY_ADDRESS_INVALID),
    "content-names-another": (gateway_and_content_disagree, ErrorCode.LETTER_RECIPIENT_CONFLICT),
}


@pytest.mark.parametrize(("build", "code"), GATEWAY_REFUSALS.values(), ids=GATEWAY_REFUSALS.keys())
def test_letter_to_a_gateway_address_is_refused_when_the_address_may_not_be_used(
    nordby, securemail_pki, send_to_gateway, authority_mail_server, drain, build, code
):
    rcpt, text = build(nordby)

    status, answer = send_to_gateway(letter_mail(securemail_pki, text), rcpt=rcpt)

    assert status == 554, answer
    assert str(code) in answer
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()
    assert RefusedReply.objects.get().code == str(code)
    assert drain(WorkKind.LETTER_RECEIPT) == 1
    receipt = open_receipt(authority_mail_server.mails[0].data, pki=securemail_pki,
                           reader=securemail_pki.nordby_sender)
    assert receipt.code == str(code)


def test_a_second_recipient_next_to_a_gateway_address_is_deferred_to_its_own_mail(nordby, gateway):
    import smtplib

    from helpers.secure_mail import unverified_tls

    with smtplib.SMTP("127.0.0.1", gateway, timeout=60) as client:
        client.ehlo("mail.nordby.localhost")
        client.starttls(context=unverified_tls())
        client.ehlo("mail.nordby.localhost")
        client.mail("borgerservice@nordby.localhost")
        assert client.rcpt(gateway_address(ANNA_CPR, nordby.cast.nordby.authority.cvr))[0] == 250
        code, answer = client.rcpt(gateway_address(nordby.cast.bent.number, nordby.cast.nordby.authority.cvr))

    assert code == 452, answer


@pytest.mark.parametrize("rcpt", [
    "0505851234@digitalpost.localhost", "anna@29190003.digitalpost.localhost",
    "0505851234@29190003.elsewhere.localhost", "050585123@29190003.digitalpost.localhost",
])
def test_addresses_that_are_not_gateway_addresses_are_refused_at_rcpt(nordby, securemail_pki, send_to_gateway, rcpt):
    status, answer = send_to_gateway(letter_mail(securemail_pki, LETTER_TEXT), rcpt=rcpt)

    assert status == 550, answer
