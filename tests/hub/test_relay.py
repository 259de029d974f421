"""The relay connection a sending thread keeps: reused for the next mail, replaced when the relay dropped it.

A real aiosmtpd relay on 127.0.0.1 that counts the connections it was opened; the hub sends through
`send_via_relay` as every caller does.
"""

from __future__ import annotations

import smtplib
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from digitalpost.hub.relay import _data_of, send_via_relay
from helpers.smtp_relay import free_port

MAIL = b"From: post@digitalpost.localhost\r\nTo: a@nordby.example\r\nSubject: x\r\n\r\nhello\r\n"


class CountingRelay:
    def __init__(self, *, pipelining: bool = False) -> None:
        self.connections = 0
        self.mails: list[tuple[list[str], bytes]] = []
        self.pipelining = pipelining

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address.startswith("refused@"):
            return "550 5.7.1 Sender refused"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Queued"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address.startswith("unknown@"):
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class CountingController(Controller):
    def factory(self) -> SMTP:
        self.handler.connections += 1
        return super().factory()


def started(handler: CountingRelay, port: int) -> CountingController:
    controller = CountingController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.connections = 0  # start() opens one of its own to see that the server answers
    return controller


@pytest.fixture(params=[False, True], ids=["one command at a time", "PIPELINING"])
def relay(request, settings):
    handler = CountingRelay(pipelining=request.param)
    controllers = [started(handler, free_port())]
    settings.DIGITALPOST_SMTP_RELAY_HOST = "127.0.0.1"
    settings.DIGITALPOST_SMTP_RELAY_PORT = controllers[0].port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    yield handler, controllers
    if controllers:
        controllers[-1].stop()


def test_a_thread_sends_its_mails_over_one_connection(relay):
    handler, _ = relay
    for _ in range(3):
        assert send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"]) \
            .startswith("2.0.0 Queued")
    assert len(handler.mails) == 3
    assert handler.connections == 1


def test_a_relay_that_restarted_gets_the_next_mail_over_a_new_connection(relay):
    handler, controllers = relay
    send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"])
    controllers[0].stop()  # drops the connection the hub kept
    controllers[0] = started(handler, controllers[0].port)
    send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["b@nordby.example"])
    assert [rcpts for rcpts, _ in handler.mails] == [["a@nordby.example"], ["b@nordby.example"]]
    assert handler.connections == 1  # the new relay's


def test_refusals_raise_what_callers_map_and_the_next_mail_still_goes(relay):
    handler, _ = relay
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["unknown@nordby.example"])
    assert refused.value.recipients[0].code == 550
    answer = send_via_relay(MAIL, sender="post@digitalpost.localhost",
                            recipients=["a@nordby.example", "unknown@nordby.example"])
    assert "refused: unknown@nordby.example (550" in answer
    assert [rcpts for rcpts, _ in handler.mails] == [["a@nordby.example"]]


def test_a_relay_that_is_gone_raises_oserror(relay, settings):
    _, controllers = relay
    send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"])
    controllers.pop().stop()
    with pytest.raises((aiosmtplib.SMTPException, OSError)):
        send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"], timeout=5)


@pytest.mark.parametrize("body", [
    b".\r\n",  # alone, unstuffed, the line would end the DATA here
    b".hidden\r\n..two\r\nend.\r\n. \r\n",
    b"no dot at a line start. None.\r\n",
    b"last line without its ending\r\n.x",
])
def test_a_line_starting_with_a_dot_reaches_the_relay_unchanged(relay, body):
    handler, _ = relay
    mail = MAIL + body
    send_via_relay(mail, sender="post@digitalpost.localhost", recipients=["a@nordby.example"])
    received = handler.mails[-1][1]
    assert received == mail if mail.endswith(b"\r\n") else received == mail + b"\r\n"


def test_a_mail_starting_with_a_dot_reaches_the_relay_unchanged(relay):
    handler, _ = relay
    send_via_relay(b".\r\n" + MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"])
    assert handler.mails[-1][1] == b".\r\n" + MAIL


def test_content_the_relay_refuses_raises_a_data_error_and_the_next_mail_goes_on_a_new_connection(relay):
    handler, _ = relay
    taken = handler.handle_DATA

    async def refusing(server: Any, session: Any, envelope: Any) -> str:
        if b"virus" in envelope.original_content:
            return "554 5.6.0 Content refused"
        return await taken(server, session, envelope)

    handler.handle_DATA = refusing  # type: ignore[method-assign]
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        send_via_relay(MAIL + b"virus\r\n", sender="post@digitalpost.localhost", recipients=["a@nordby.example"])
    assert (refused.value.code, refused.value.message) == (554, "5.6.0 Content refused")
    assert send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"]) \
        .startswith("2.0.0 Queued")
    assert len(handler.mails) == 1
    assert handler.connections == 2  # a connection whose DATA was refused is not reused


@given(st.lists(st.sampled_from([b".", b"\r\n", b"\n", b"\r", b"a", b"..", b"\r\n."]), max_size=30).map(b"".join))
def test_the_data_sent_is_what_smtplib_would_send(message):
    stuffed = smtplib._quote_periods(message)  # what smtplib's `data` sends for bytes
    expected = stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n"
    assert _data_of(message) == expected


# One command at a time only: pipelined, MAIL and RCPT are written in one piece, not one putcmd each.
@pytest.mark.parametrize("relay", [False], ids=["one command at a time"], indirect=True)
def test_mail_and_rcpt_say_what_smtplib_would_say_and_a_bad_address_is_refused_every_time(relay, monkeypatch):
    handler, _ = relay
    said: list[tuple[str, str]] = []
    putcmd = smtplib.SMTP.putcmd

    def recording(smtp: smtplib.SMTP, cmd: str, args: str = "") -> None:
        said.append((cmd.lower(), args))
        putcmd(smtp, cmd, args)

    monkeypatch.setattr(smtplib.SMTP, "putcmd", recording)
    addresses = ("Digital Post <post@digitalpost.localhost>", " a@nordby.example ", "<b@nordby.example>")
    for _ in range(2):  # the second time from what was quoted the first
        send_via_relay(MAIL, sender=addresses[0], recipients=list(addresses[1:]))
        commands = [(cmd, args) for cmd, args in said if cmd in ("mail", "rcpt")]
        assert commands == [("mail", f"FROM:{smtplib.quoteaddr(addresses[0])} SIZE={len(MAIL)}"),
                            *(("rcpt", f"TO:{smtplib.quoteaddr(a)}") for a in addresses[1:])]
        said.clear()
    assert [rcpts for rcpts, _ in handler.mails] == [["a@nordby.example", "b@nordby.example"]] * 2
    for _ in range(2):
        with pytest.raises(ValueError, match="not permitted"):
            send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a b@nordby.example"])


def test_refused_senders_and_recipients_leave_the_connection_in_step_for_the_next_mail(relay):
    handler, _ = relay
    with pytest.raises(aiosmtplib.SMTPSenderRefused):
        send_via_relay(MAIL, sender="refused@digitalpost.localhost", recipients=["a@nordby.example"])
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["unknown@nordby.example"])
    assert send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"]) \
        .startswith("2.0.0 Queued")
    assert [rcpts for rcpts, _ in handler.mails] == [["a@nordby.example"]]
    assert handler.connections == 1


def test_a_relay_offering_pipelining_gets_a_mail_in_two_writes_instead_of_four(relay, monkeypatch):
    handler, _ = relay
    send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example"])  # connected
    writes: list[bytes] = []
    original = smtplib.SMTP.send

    def counted(self: smtplib.SMTP, data: bytes | str) -> None:
        writes.append(data if isinstance(data, bytes) else data.encode())
        original(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", counted)
    send_via_relay(MAIL, sender="post@digitalpost.localhost", recipients=["a@nordby.example", "b@nordby.example"])
    # Envelope (MAIL, both RCPTs, DATA) in one write, the content in the other; one command a write without it.
    assert len(writes) == (2 if handler.pipelining else 5)
    assert handler.mails[-1][0] == ["a@nordby.example", "b@nordby.example"]
