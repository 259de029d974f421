"""`digitalpost send-mail` writes a new letter the gateway accepts: with digitalpost-letter.xml, or as the plain
Outlook convention (the recipient on the first line)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from digitalpost.cli.main import app
from digitalpost.messages.models import Message
from digitalpost.outbox.models import WorkKind
from helpers.mail_letters import ANNA_CPR, LETTER_TEXT, open_receipt

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_settings")]


def send_mail(pki, *options: str):
    return CliRunner().invoke(app, [
        "send-mail", "--to", ANNA_CPR, "--text", LETTER_TEXT, "--cert", str(pki.nordby_sender.cert_file),
        "--key", str(pki.nordby_sender.key_file), "--hub-cert", str(pki.hub.cert_file), *options,
    ])


def test_send_mail_writes_a_letter_with_its_metadata_file_that_reaches_anna(
    tx_nordby_secure, authority_mail_server, securemail_pki, send_to_gateway, drain, tmp_path
):
    attachment = tmp_path / "afgoerelse.pdf"
    attachment.write_bytes(b"%PDF-1.4\n%%EOF\n")
    out = tmp_path / "letter.eml"
    result = send_mail(securemail_pki, "--subject", "Afgørelse om beboerlicens", "--reply", "--answer-mailbox",
                       str(tx_nordby_secure.mailbox.pk), "--attach", str(attachment), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert ANNA_CPR.encode() not in out.read_bytes()  # only inside the encrypted content

    status, answer = send_to_gateway(out.read_bytes())

    assert status == 250, answer
    assert drain() == 1
    letter = Message.objects.get(mailbox=tx_nordby_secure.cast.anna.mailbox)
    assert letter.label == "Afgørelse om beboerlicens"
    assert letter.answer_mailbox == tx_nordby_secure.mailbox
    assert sorted(letter.documents.values_list("filename", flat=True)) == ["afgoerelse.pdf", "brev.txt"]
    assert drain(WorkKind.LETTER_RECEIPT) == 1
    receipt = open_receipt(authority_mail_server.mails[0].data, pki=securemail_pki,
                           reader=securemail_pki.nordby_sender)
    assert receipt.message_id == str(letter.pk)


def test_send_mail_plain_sends_the_outlook_convention_through_the_gateway(
    tx_nordby_secure, authority_mail_server, securemail_pki, gateway, settings
):
    settings.DIGITALPOST_GATEWAY_HOST, settings.DIGITALPOST_GATEWAY_PORT = "127.0.0.1", gateway

    result = send_mail(securemail_pki, "--subject", "Beboerlicens", "--plain", "--send")

    assert result.exit_code == 0, result.output
    assert "accepted" in result.output
    letter = Message.objects.get(mailbox=tx_nordby_secure.cast.anna.mailbox)
    assert letter.label == "Beboerlicens"


def test_send_mail_names_a_recipient_that_is_not_a_number(securemail_pki, tmp_path):
    result = send_mail(securemail_pki, "--subject", "x", "--out", str(tmp_path / "x.eml"), "--to", "12")

    assert result.exit_code == 1
    assert "letter.recipient.invalid" in result.output
