"""The SMTP relay every mail the hub sends leaves through: forwarded inquiries, probes, alerts, notices.

One place decides how the hub talks to its relay (host, port, STARTTLS, timeout); callers get the relay's
answer or an exception (aiosmtplib.SMTPException, OSError) naming why not. Not for: building mail.

Each thread that sends keeps one relay connection open (decision 0015): a worker forwarding a burst of inquiries
pays for the TCP connection, EHLO and STARTTLS once, not per mail, and the mail goes out from the calling thread
itself (the standard library's blocking `smtplib`: no event loop, no helper thread to wake per mail). Before a
mail goes over a kept connection, the socket is looked at without a round trip: anything the relay sent
unasked (a 421, its close) means the connection is gone. One idle for CHECK_AFTER_IDLE_SECONDS is asked with
NOOP first, one idle for REUSE_IDLE_SECONDS or more is not reused at all; in each case a new connection takes the
mail, so a relay that restarted costs nothing. The answer is still the relay's reply to the whole DATA, given
only after it; a connection that failed mid-mail is closed, never reused.

The failures raise aiosmtplib's exception classes, as when aiosmtplib sent the mail, so each caller maps them as
before: every refused recipient `SMTPRecipientsRefused` (with each one's code), a refused sender
`SMTPSenderRefused`, refused content `SMTPDataError`, any other answer `SMTPResponseException`, a lost connection
`SMTPServerDisconnected`; the network's own errors (refused connection, timeout) are OSError, as before.
Addresses that could smuggle SMTP syntax are refused with ValueError (aiosmtplib's check), and an EmailMessage is
serialised by aiosmtplib's `flatten_message` with the options it would have sent (BODY=8BITMIME, SMTPUTF8); a mail
given as bytes goes as it is, with SMTPUTF8 when an envelope address is not ASCII (decision 0019).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cache, lru_cache
from typing import NamedTuple

import aiosmtplib
from aiosmtplib.email import flatten_message, quote_address
from django.conf import settings

DEFAULT_TIMEOUT_SECONDS = 60
# Well under the usual server idle limits (Postfix's smtpd_timeout is 300 s).
REUSE_IDLE_SECONDS = 60.0
CHECK_AFTER_IDLE_SECONDS = 5.0


@dataclass(frozen=True)
class _Target:
    """Where and how to connect: a connection is reused only while the settings still name the same relay."""

    host: str
    port: int
    require_tls: bool
    timeout: float


@cache
def _local_hostname() -> str:
    # What EHLO says; smtplib would ask the resolver for it on every new connection.
    return socket.getfqdn()


def _tls_context() -> ssl.SSLContext:
    # As before (aiosmtplib's validate_certs=False): the relay is the operator's own, often with a local certificate.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _Connection:
    def __init__(self, target: _Target) -> None:
        self.target = target
        self.used_at = time.monotonic()
        self.smtp = smtplib.SMTP(target.host, target.port, local_hostname=_local_hostname(), timeout=target.timeout)
        try:
            self.smtp.ehlo()
            if self.smtp.has_extn("starttls"):  # as aiosmtplib did: STARTTLS whenever the relay offers it
                self.smtp.starttls(context=_tls_context())
                self.smtp.ehlo()
            elif target.require_tls:
                raise aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server.")
        except BaseException:
            self.close()
            raise

    def usable(self, target: _Target) -> bool:
        if target != self.target or self.smtp.sock is None:
            return False
        idle = time.monotonic() - self.used_at
        if idle >= REUSE_IDLE_SECONDS:
            return False
        try:
            readable, _, _ = select.select([self.smtp.sock], [], [], 0)
            if readable:  # a 421 or the relay's close, sent while we were not asking
                return False
            return idle < CHECK_AFTER_IDLE_SECONDS or self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError, ValueError):
            return False

    def send(self, message: bytes, *, sender: str, recipients: list[str], mail_options: list[str]) -> str:
        """smtplib's `sendmail`, step by step, keeping DATA's answer (sendmail drops it) and raising aiosmtplib's
        exceptions. Where the relay offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go in one write and their
        answers are read together: two round trips a mail instead of four (decision 0025)."""
        smtp = self.smtp
        options = [*mail_options]
        if smtp.has_extn("size"):
            options.append(f"SIZE={len(message)}")
        rcpts: list[tuple[int, bytes]] = []
        data: tuple[int, bytes] | None = None
        if smtp.has_extn("pipelining"):
            mail, rcpts, data = self._envelope_pipelined(sender, recipients, options)
        elif any(option.lower() == "smtputf8" for option in options):
            mail = smtp.mail(sender, options)  # smtplib switches the command encoding for it
        else:  # smtplib's `mail`, with the address quoted once per process instead of parsed per mail
            mail = _command(smtp, "mail", f"FROM:{_quoted(sender)}" + _option_list(smtp, options))
        code, reply = mail
        if code != 250:
            self._abandon_if_open(data)
            raise aiosmtplib.SMTPSenderRefused(code, reply.decode(errors="replace"), sender)
        refused: list[aiosmtplib.SMTPRecipientRefused] = []
        for position, recipient in enumerate(recipients):
            # smtplib's `rcpt`, unless it went with the envelope
            code, reply = rcpts[position] if data is not None else _command(smtp, "rcpt", f"TO:{_quoted(recipient)}")
            if code not in (250, 251):
                refused.append(aiosmtplib.SMTPRecipientRefused(code, reply.decode(errors="replace"), recipient))
            if code == 421:  # the relay is closing the session
                self.close()
                raise aiosmtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            self._abandon_if_open(data)
            smtp.rset()
            raise aiosmtplib.SMTPRecipientsRefused(refused)
        # smtplib's `data`, but with `_data_of` for its dot-stuffing: the same commands, replies and exceptions.
        # DATA was sent with the envelope when pipelined; its answer read with theirs.
        code, reply = data if data is not None else smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        smtp.send(_data_of(message))  # SMTPServerDisconnected if the connection is gone
        code, reply = smtp.getreply()
        if code != 250:
            raise aiosmtplib.SMTPDataError(code, reply.decode(errors="replace"))
        self.used_at = time.monotonic()
        answer = reply.decode(errors="replace")
        if refused:  # the others got it: say which were refused, it is the caller's log
            answer += "; refused: " + ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in refused)
        return answer

    def _envelope_pipelined(self, sender: str, recipients: list[str], options: list[str]) -> tuple[
            tuple[int, bytes], list[tuple[int, bytes]], tuple[int, bytes]]:
        """MAIL, every RCPT and DATA in one write; their answers, in order."""
        smtp = self.smtp
        utf8 = any(option.upper() == "SMTPUTF8" for option in options)
        if utf8 and not smtp.has_extn("smtputf8"):  # as smtplib.mail checks
            raise smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server")
        lines = [f"mail FROM:{_quoted(sender)}{_option_list(smtp, options)}",
                 *(f"rcpt TO:{_quoted(recipient)}" for recipient in recipients), "data"]
        smtp.send("".join(f"{line}\r\n" for line in lines).encode("utf-8" if utf8 else "ascii"))
        replies: list[tuple[int, bytes]] = []
        for _ in lines:
            # After a 421 the relay closes the session: the answers still owed are that same 421.
            replies.append(replies[-1] if replies and replies[-1][0] == 421 else smtp.getreply())
        return replies[0], replies[1:-1], replies[-1]

    def _abandon_if_open(self, data: tuple[int, bytes] | None) -> None:
        """A pipelined DATA the relay answered 354 although the envelope failed: it now waits for content that
        must not come, so the connection is dropped (the relay discards the unfinished mail)."""
        if data is not None and data[0] == 354:
            self.close()
            raise aiosmtplib.SMTPServerDisconnected("DATA accepted after a refused envelope; connection dropped")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.smtp.close()


# The hub sends from one address to a few: smtplib's `quoteaddr` (an `email.utils.parseaddr` per command) and
# aiosmtplib's check of the same address were a fifth of a small forward's hand-off.
_quoted = lru_cache(maxsize=1024)(smtplib.quoteaddr)
_checked = lru_cache(maxsize=1024)(quote_address)  # ValueError is raised every time, never cached


def _option_list(smtp: smtplib.SMTP, options: list[str]) -> str:
    return " " + " ".join(options) if options and smtp.does_esmtp else ""


def _command(smtp: smtplib.SMTP, verb: str, argument: str) -> tuple[int, bytes]:
    smtp.putcmd(verb, argument)
    return smtp.getreply()


_LINE_STARTING_WITH_DOT = re.compile(rb"(?m)^\.")


def _data_of(message: bytes) -> bytes:
    """What goes after DATA's 354 for `message` (bytes, CRLF line endings): every "." that starts a line doubled
    (RFC 5321 section 4.5.2), then the closing CRLF "." CRLF.

    smtplib's `data` runs its doubling expression over the whole mail, ~0.7 ms of CPU per 150 KB, the largest part
    of a forward's hand-off. A mail has few dots, and base64 (most of an S/MIME mail) none: looking at each dot
    (`find` of one byte runs at memory speed) and doubling only when one starts a line gives the same bytes.
    """
    dot = message.find(b".")
    while dot != -1:
        if dot == 0 or message[dot - 1] == 0x0A:  # the expression's `^`: the start, or after any "\n"
            message = _LINE_STARTING_WITH_DOT.sub(b"..", message)
            break
        dot = message.find(b".", dot + 1)
    ending = b".\r\n" if message.endswith(b"\r\n") else b"\r\n.\r\n"
    return message + ending


_connections = threading.local()


def _connection(target: _Target) -> _Connection:
    kept: _Connection | None = getattr(_connections, "kept", None)
    # After a fork the child must not write to the parent's connection.
    if kept is not None and getattr(_connections, "pid", None) == os.getpid() and kept.usable(target):
        return kept
    if kept is not None:
        _drop(kept)
    fresh = _connections.kept = _Connection(target)
    _connections.pid = os.getpid()
    return fresh


def _drop(connection: _Connection) -> None:
    if getattr(_connections, "kept", None) is connection:
        _connections.kept = None
    if getattr(_connections, "pid", None) == os.getpid():
        connection.close()


def send_via_relay(message: bytes | EmailMessage, *, sender: str, recipients: Sequence[str],
                   timeout: float = DEFAULT_TIMEOUT_SECONDS) -> str:
    """Hand one mail to the relay; the relay's answer, plus the recipients it refused (if some were)."""
    recipients = list(recipients)
    for address in (sender, *recipients):
        _checked(address)  # ValueError for an address that would inject SMTP syntax
    target = _Target(host=settings.DIGITALPOST_SMTP_RELAY_HOST, port=settings.DIGITALPOST_SMTP_RELAY_PORT,
                     require_tls=bool(settings.DIGITALPOST_SMTP_REQUIRE_TLS), timeout=timeout)
    try:
        connection = _connection(target)
    except smtplib.SMTPResponseException as refused:  # the greeting, EHLO or STARTTLS refused
        raise aiosmtplib.SMTPResponseException(refused.smtp_code,
                                               _text(refused.smtp_error)) from refused
    except smtplib.SMTPException as failed:
        raise aiosmtplib.SMTPException(str(failed)) from failed
    try:
        data, options = _serialised(message, connection, sender=sender, recipients=recipients)
        return connection.send(data, sender=sender, recipients=recipients, mail_options=options)
    except aiosmtplib.SMTPResponseException as refused:
        if refused.code == 421 or isinstance(refused, aiosmtplib.SMTPDataError):
            _drop(connection)
        raise
    except aiosmtplib.SMTPRecipientsRefused:
        raise  # answered, and RSET: the connection is fine
    except smtplib.SMTPDataError as refused:  # DATA itself refused (no 354)
        _drop(connection)
        raise aiosmtplib.SMTPDataError(refused.smtp_code, _text(refused.smtp_error)) from refused
    except smtplib.SMTPServerDisconnected as lost:
        _drop(connection)
        raise aiosmtplib.SMTPServerDisconnected(str(lost)) from lost
    except smtplib.SMTPResponseException as refused:
        _drop(connection)
        raise aiosmtplib.SMTPResponseException(refused.smtp_code,
                                               _text(refused.smtp_error)) from refused
    except smtplib.SMTPException as failed:
        _drop(connection)
        raise aiosmtplib.SMTPException(str(failed)) from failed
    except BaseException:
        _drop(connection)  # its state is unknown: never reuse it
        raise


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _serialised(message: bytes | EmailMessage, connection: _Connection, *, sender: str,
                recipients: list[str]) -> tuple[bytes, list[str]]:
    """The bytes and MAIL options to send: an EmailMessage as aiosmtplib's `send_message` would serialise it; bytes as
    they are, with SMTPUTF8 when an address is not ASCII (smtplib could not even say such an address without it)."""
    options = []
    utf8 = not (sender + "".join(recipients)).isascii()
    if utf8:
        if not connection.smtp.has_extn("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("An address containing non-ASCII characters was provided, but "
                                              "SMTPUTF8 is not supported by this server")
        options.append("SMTPUTF8")
    if isinstance(message, bytes):  # serialised by the caller: headers with such an address carry it as UTF-8
        return message, options
    eight_bit = connection.smtp.has_extn("8bitmime")
    if eight_bit:
        options.append("BODY=8BITMIME")
    return flatten_message(message, utf8=utf8, cte_type="8bit" if eight_bit else "7bit"), options


class Outgoing(NamedTuple):
    """One mail for `send_all_via_relay`: the message and its envelope."""

    message: bytes | EmailMessage
    sender: str
    recipients: Sequence[str]


def send_all_via_relay(mails: Sequence[Outgoing], *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> list[str | Exception]:
    """Hand several mails to the relay in order, over the thread's kept connection; per mail the relay's answer, or
    the exception (aiosmtplib.SMTPException, OSError) that says why that one was not taken.

    A refused mail does not stop the others (the envelope is reset); once the connection is lost or cannot be made,
    every mail after it gets that error, so a relay that is down costs one attempt per batch, not one per mail.
    """
    results: list[str | Exception] = []
    broken: Exception | None = None
    for mail in mails:
        if broken is not None:
            results.append(broken)
            continue
        try:
            results.append(send_via_relay(mail.message, sender=mail.sender, recipients=mail.recipients,
                                          timeout=timeout))
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError) as lost:
            broken = lost
            results.append(lost)
        except (aiosmtplib.SMTPException, ValueError) as refused:
            results.append(refused)
    return results
