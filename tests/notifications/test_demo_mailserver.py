"""The demo mail server stores mail for an authority's secure address in the authority folder and every other
mail (citizens' notices) in the notification folder, so the demo's notices land where var/demo.json says."""

from __future__ import annotations

import asyncio
import shutil
import smtplib
import socket
from email.message import EmailMessage

import pytest

from digitalpost.cli.mailserver import maildir_server, store
from digitalpost.hub.relay import send_via_relay
from helpers.smtp_relay import free_port

SECURE = "borgerservice@nordby.example"


@pytest.fixture
def server(settings, tmp_path):
    port = free_port()
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    settings.DIGITALPOST_NOTIFICATION_MAILDIR = tmp_path / "notifications"
    controller = maildir_server(tmp_path / "authority", host="127.0.0.1", port=port,
                                is_authority_address=lambda address: address.lower() == SECURE)
    controller.start()
    yield tmp_path
    controller.stop()


def mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "no-reply@digitalpost.localhost", to, f"til {to}"
    message.set_content("hej")
    return message


def test_notice_to_a_citizen_lands_in_the_notification_folder(server):
    send_via_relay(mail("anna@example.org"), sender="no-reply@digitalpost.localhost", recipients=["anna@example.org"])
    [stored] = (server / "notifications").glob("*.eml")
    assert b"til anna@example.org" in stored.read_bytes()
    assert not (server / "authority").exists()


def test_mail_for_a_secure_address_lands_in_the_authority_folder(server):
    send_via_relay(mail(SECURE), sender="post@digitalpost.localhost", recipients=["Borgerservice@nordby.example"])
    assert len(list((server / "authority").glob("*.eml"))) == 1
    assert not (server / "notifications").exists()


def test_nothing_is_refused(server):
    answer = send_via_relay(mail("x@y.example"), sender="a@b.example", recipients=["x@y.example", SECURE])
    assert "refused" not in answer
    assert len(list((server / "notifications").glob("*.eml"))) == 1
    assert len(list((server / "authority").glob("*.eml"))) == 1


@pytest.mark.django_db(transaction=True)
def test_the_address_of_a_sender_systems_certificate_is_the_authoritys_own(tx_cast):
    """Receipts for letters started by secure mail go to the sender system's certificate address."""
    from digitalpost.cli.mailserver import is_secure_address
    from digitalpost.systems.models import Certificate, SenderSystem

    row = Certificate.objects.create(authority=tx_cast.nordby.authority, pem="-", sha256="0" * 64, subject="CN=x",
                                     issuer="CN=ca", serial="1", emails=["Post@nordby.example"],
                                     not_before=tx_cast.nordby.authority.created_at,
                                     not_after=tx_cast.nordby.authority.created_at)
    SenderSystem.objects.filter(pk=tx_cast.nordby.system.pk).update(certificate=row)

    assert is_secure_address("post@nordby.example")
    assert not is_secure_address("anna@example.org")


def test_the_kind_of_an_address_is_looked_up_once_for_many_mails(settings, tmp_path):
    asked: list[str] = []

    def is_authority_address(address: str) -> bool:
        asked.append(address)
        return address.lower() == SECURE

    port = free_port()
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    settings.DIGITALPOST_NOTIFICATION_MAILDIR = tmp_path / "notifications"
    controller = maildir_server(tmp_path / "authority", host="127.0.0.1", port=port,
                                is_authority_address=is_authority_address)
    controller.start()
    try:
        for _ in range(3):
            send_via_relay(mail("anna@example.org"), sender="a@b.example", recipients=["anna@example.org"])
            send_via_relay(mail(SECURE), sender="a@b.example", recipients=[SECURE])
    finally:
        controller.stop()
    assert sorted(asked) == sorted(["anna@example.org", SECURE])
    assert len(list((tmp_path / "notifications").glob("*.eml"))) == 3
    assert len(list((tmp_path / "authority").glob("*.eml"))) == 3


def test_it_offers_pipelining_and_files_pipelined_mails(server, settings):
    with smtplib.SMTP("127.0.0.1", settings.DIGITALPOST_SMTP_RELAY_PORT) as client:
        client.ehlo()
        assert client.has_extn("pipelining")
    for to in ("anna@example.org", "bent@example.org"):  # over the kept connection, MAIL + RCPT + DATA in one write
        send_via_relay(mail(to), sender="no-reply@digitalpost.localhost", recipients=[to])
    assert len(list((server / "notifications").glob("*.eml"))) == 2


def test_answers_to_pipelined_commands_are_written_together(server, settings, monkeypatch):
    """MAIL, RCPT and DATA in one write get their three answers in one write (RFC 2920 3.2), not one write each."""
    written: list[bytes] = []
    write = asyncio.StreamWriter.write

    def recording(self, data):
        written.append(bytes(data))
        return write(self, data)

    monkeypatch.setattr(asyncio.StreamWriter, "write", recording)
    with socket.create_connection(("127.0.0.1", settings.DIGITALPOST_SMTP_RELAY_PORT)) as client:
        replies = client.makefile("rb")
        assert replies.readline().startswith(b"220")
        client.sendall(b"EHLO hub.example\r\n")
        while not replies.readline().startswith(b"250 "):
            pass
        client.sendall(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<anna@example.org>\r\nDATA\r\n")
        assert [replies.readline()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        client.sendall(b"Subject: hej\r\n\r\nhej\r\n.\r\nQUIT\r\n")
        assert replies.readline().startswith(b"250")
        assert replies.readline().startswith(b"221")
    envelope = next(data for data in written if b"354" in data)
    assert envelope.count(b"\r\n") == 3
    assert envelope.startswith(b"250")
    assert len(list((server / "notifications").glob("*.eml"))) == 1


def test_a_mail_is_still_filed_after_its_folder_was_removed(tmp_path):
    folder = tmp_path / "mail"
    first = store(folder, b"Subject: one\r\n\r\nfirst\r\n")
    shutil.rmtree(folder)  # a demo reset while the server runs: the folder is made again, the mail not lost
    second = store(folder, b"Subject: two\r\n\r\nsecond\r\n")
    assert not first.exists()
    assert second.read_bytes() == b"Subject: two\r\n\r\nsecond\r\n"
