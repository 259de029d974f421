"""The reply assistant (library call and `digitalpost reply`) answers so that the reply is filed; thread show tells
support where a reply went."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from digitalpost.cli.main import app
from digitalpost.protocols.mail.assistant import build_reply, read_received
from helpers.secure_mail_world import REPLY_TEXT, assert_filed_and_delivered

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_settings")]


def test_reply_built_by_the_assistant_is_filed_in_the_citizens_thread(forwarded, authority_mail_server,
                                                                       send_to_gateway, drain):
    pki = forwarded.pki
    received = read_received(authority_mail_server.mails[0].data, certificate=pki.nordby_address.certificate,
                             key=pki.nordby_address.key, at=timezone.now())
    data = build_reply(received, text=REPLY_TEXT, attachments=[("kvittering.pdf", "application/pdf", b"%PDF-1.4 k")],
                       signer_certificate=pki.nordby_sender.certificate, signer_key=pki.nordby_sender.key,
                       hub_certificate=pki.hub.certificate, from_addr="post@nordby.localhost", now=timezone.now(),
                       message_id_domain="nordby.localhost")
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")

    status, answer = send_to_gateway(data)

    assert status == 250, answer
    reply = assert_filed_and_delivered(forwarded, drain)
    assert sorted(reply.documents.values_list("filename", flat=True)) == ["kvittering.pdf", "svar.txt"]


def test_digitalpost_reply_writes_a_reply_the_gateway_files(forwarded, authority_mail_server, send_to_gateway,
                                                            drain, tmp_path):
    pki = forwarded.pki
    received = tmp_path / "received.eml"
    received.write_bytes(authority_mail_server.mails[0].data)
    out = tmp_path / "reply.eml"
    result = CliRunner().invoke(app, [
        "reply", str(received), "--text", REPLY_TEXT, "--cert", str(pki.nordby_sender.cert_file),
        "--key", str(pki.nordby_sender.key_file), "--decrypt-cert", str(pki.nordby_address.cert_file),
        "--decrypt-key", str(pki.nordby_address.key_file), "--hub-cert", str(pki.hub.cert_file), "--out", str(out),
    ])
    assert result.exit_code == 0, result.output

    status, answer = send_to_gateway(out.read_bytes())

    assert status == 250, answer
    assert_filed_and_delivered(forwarded, drain)


def test_digitalpost_reply_explains_a_mail_it_cannot_open(forwarded, tmp_path):
    pki = forwarded.pki
    bogus = tmp_path / "not-for-us.eml"
    bogus.write_bytes(b"From: a@b\r\nSubject: x\r\n\r\nplain text\r\n")
    result = CliRunner().invoke(app, [
        "reply", str(bogus), "--text", "x", "--cert", str(pki.nordby_sender.cert_file),
        "--key", str(pki.nordby_sender.key_file), "--hub-cert", str(pki.hub.cert_file),
    ])
    assert result.exit_code == 1
    assert "encryption.missing" in result.output


def test_thread_show_lists_messages_and_refusal_codes(forwarded, send_to_gateway, drain):
    status, _ = send_to_gateway(forwarded.reply(attachments=(("virus.exe", "application/octet-stream", b"MZ"),)))
    assert status == 554
    send_to_gateway(forwarded.reply())
    drain()

    result = CliRunner().invoke(app, ["thread", "show", str(forwarded.thread.pk), "--json"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert [m["direction"] for m in shown["messages"]] == ["TO_AUTHORITY", "TO_PARTY"]
    assert [r["code"] for r in shown["refusals"]] == ["file.extension.not.allowed"]
