"""The notice mail as the bytes the relay gets: whatever the authority's or the sender's name holds, the mail reads
back (with the standard library's parser) as exactly the notice's text, in encoded, folded 7-bit header lines."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from digitalpost.hub.relay import send_via_relay
from digitalpost.messages.models import Message
from digitalpost.notifications.compose import new_mail_text, notice_mail_bytes, reminder_text
from digitalpost.outbox.models import WorkKind
from helpers.notices_world import MAILBOX_URL, submit, wants_notices
from helpers.smtp_relay import free_port

AWKWARD_NAMES = [
    "Nordby Kommune",
    'Børn & "Unge", Nordby — Kommune',
    "=?utf-8?q?Falsk?= Kommune",
    "Kommune " + "meget lang afdeling " * 12,
    "Tab\tand\nline break Kommune",
]


def parsed(mail: bytes):
    return BytesParser(policy=policy.default).parsebytes(mail)


@pytest.mark.parametrize("authority", AWKWARD_NAMES)
@pytest.mark.parametrize("sender_name", ["Digital Post", 'Digital Post, "Nordby" æøå'])
def test_a_notice_reads_back_as_its_text_whatever_the_names_hold(authority, sender_name):
    now = timezone.now()
    for text in (new_mail_text(authority=authority, mailbox_url=MAILBOX_URL),
                 reminder_text(authority=authority, mailbox_url=MAILBOX_URL, received_on=now.date())):
        mail = notice_mail_bytes(text, kind="new-mail", to="anna@example.org", sender="no-reply@post.example",
                                 sender_name=sender_name, now=now)
        header_part = mail.split(b"\r\n\r\n", 1)[0]
        assert mail.isascii()
        assert [line for line in header_part.split(b"\r\n") if len(line) > 78] == []
        assert b"\n" not in mail.replace(b"\r\n", b"")  # CRLF line ends only
        read = parsed(mail)
        assert not read.defects
        assert read["Subject"] == text.subject
        assert read["From"].addresses[0].display_name == sender_name
        assert read["From"].addresses[0].addr_spec == "no-reply@post.example"
        assert read["To"] == "anna@example.org"
        assert read["X-DigitalPost-Notice"] == "new-mail"
        assert read["Auto-Submitted"] == "auto-generated"
        assert read["Date"].datetime == now.replace(microsecond=0)
        assert read["Message-ID"].endswith("@post.example>")
        assert read.get_content_type() == "text/plain"
        assert read.get_content().replace("\r\n", "\n") == text.body  # CRLF on the wire, as every mail


def test_every_notice_has_its_own_message_id():
    text = new_mail_text(authority="Nordby Kommune", mailbox_url=MAILBOX_URL)
    ids = {parsed(notice_mail_bytes(text, kind="new-mail", to="anna@example.org", sender="no-reply@post.example",
                                    sender_name="Digital Post", now=timezone.now()))["Message-ID"] for _ in range(50)}
    assert len(ids) == 50


def test_a_line_break_in_the_address_is_refused():
    text = new_mail_text(authority="Nordby Kommune", mailbox_url=MAILBOX_URL)
    with pytest.raises(ValueError, match="line break"):
        notice_mail_bytes(text, kind="new-mail", to="anna@example.org\r\nBcc: eve@example.org",
                          sender="no-reply@post.example", sender_name="Digital Post", now=timezone.now())


def test_the_notice_a_worker_sends_reads_back_as_the_text(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna)
    message.authority.name = 'Børn & "Unge", Nordby Kommune'
    message.authority.save(update_fields=["name"])
    drain()
    assert drain(WorkKind.NOTIFY) == 1
    [(_, mail)] = relay.notices()
    text = new_mail_text(authority='Børn & "Unge", Nordby Kommune', mailbox_url=MAILBOX_URL)
    assert mail["Subject"] == text.subject
    assert mail.get_content().replace("\r\n", "\n") == text.body
    assert Message.objects.get(pk=message.pk).events.filter(kind="NOTICE_SENT").count() == 1


class Utf8Relay:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], bool, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), envelope.smtp_utf8, envelope.original_content))
        return "250 2.0.0 Queued"


@pytest.mark.parametrize("relay_speaks_utf8", [True, False])
def test_an_address_that_is_not_ascii_goes_with_smtputf8_or_not_at_all(settings, relay_speaks_utf8):
    handler = Utf8Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=relay_speaks_utf8)
    controller.start()
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = controller.port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    try:
        mail = notice_mail_bytes(new_mail_text(authority="Nordby Kommune", mailbox_url=MAILBOX_URL), kind="new-mail",
                                 to="søren@bøgh.example", sender="no-reply@post.example", sender_name="Digital Post",
                                 now=timezone.now())
        if not relay_speaks_utf8:
            with pytest.raises(aiosmtplib.SMTPNotSupported):
                send_via_relay(mail, sender="no-reply@post.example", recipients=["søren@bøgh.example"])
            assert handler.mails == []
            return
        send_via_relay(mail, sender="no-reply@post.example", recipients=["søren@bøgh.example"])
        [(recipients, utf8, content)] = handler.mails
        assert recipients == ["søren@bøgh.example"]
        assert utf8
        assert parsed(content)["To"] == "søren@bøgh.example"
    finally:
        controller.stop()
