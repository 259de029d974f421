"""The SMTP server authorities send secure mail (replies) to. STARTTLS is required; AUTH is off.

Recipients other than the hub's address or an NgDP gateway address (`<CPR or CVR>@<CVR or mailbox id>.<hub
domain>`, a new letter's recipient, one per mail) are refused at RCPT; the mail itself is judged by
`receive_secure_mail`, whose outcome (250, or 554 with the refusal code and its fix) is the DATA reply.
Mail sent with bare LF line endings is accepted like Postfix accepts it and made CRLF before it is judged,
instead of aiosmtpd's misleading "500 Line too long".

Limits (docs/deploy.md, "Security limits"), each answered before the connection is closed: a session idle longer
than DIGITALPOST_GATEWAY_IDLE_SECONDS or older than DIGITALPOST_GATEWAY_SESSION_SECONDS gets 421
`session.too.long`; a connection beyond DIGITALPOST_GATEWAY_MAX_SESSIONS open at once gets 421
`sessions.too.many` at once; a MAIL FROM whose SIZE= already exceeds DIGITALPOST_MAX_MAIL_BYTES gets 552
`message.too.large` before any DATA is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.conf import settings

from digitalpost.conversations.services.receive import receive_secure_mail, refuse_unread_mail
from digitalpost.core.errors import ErrorCode
from digitalpost.gateway.answers import smtp_answer, smtp_refusal
from digitalpost.gateway.lines import normalize_line_endings
from digitalpost.gateway.spool import DataSpool
from digitalpost.hub.metrics import GATEWAY_MAILS
from digitalpost.protocols import mail

log = logging.getLogger(__name__)

HARD_CAP_MARGIN = 16 * 1024 * 1024
# `<local@domain>` and any ESMTP parameters, in the plain form every mail server sends: a dot-atom local part, a
# domain of letters, digits and hyphens, single spaces between parameters. aiosmtpd reads MAIL and RCPT arguments
# with the email package's RFC 5322 parser and declares a typing.Protocol class on every call (~0.1 ms per
# command); for this form its answer is the text between the brackets and the parameters as written
# (tests/gateway/test_plain_address.py holds the two to the same answer). Anything else goes to aiosmtpd's parser.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PARAM = r"[A-Za-z0-9][A-Za-z0-9=+./:_-]*"
_PLAIN_ADDRESS = re.compile(
    rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(?:[ \t]+({_PARAM}(?: {_PARAM})*))?")
# Mails of different sessions are judged and filed side by side, each in a thread of its own with its own database
# connection: one's commit (the fsync, or waiting for the writer lock) no longer holds up the next (decision 0018).
# The Python work still shares one core per process; DIGITALPOST_GATEWAY_PROCESSES spreads it over the cores.
FILING_THREADS = 4
FILING = ThreadPoolExecutor(max_workers=FILING_THREADS, thread_name_prefix="gateway-filing")
# Wrapped once: asgiref's SyncToAsync inspects the function (coroutine checks, ABC look-ups) when it is built.
_RECEIVE = sync_to_async(receive_secure_mail, thread_sensitive=False, executor=FILING)
_REFUSE_UNREAD = sync_to_async(refuse_unread_mail, thread_sensitive=False, executor=FILING)
REPLY_UNKNOWN_RECIPIENT = "550 5.1.1 Unknown recipient: send secure mail to the hub's address"
REPLY_ONE_LETTER_PER_RECIPIENT = "452 4.5.3 One letter per gateway address: send the other recipients separately"


class GatewayHandler:
    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        declared = _declared_size(mail_options)
        if declared is not None and declared > settings.DIGITALPOST_MAX_MAIL_BYTES:
            # The sender said how large the mail is: refuse before it sends a byte of it.
            return smtp_refusal(ErrorCode.MESSAGE_TOO_LARGE, status=552)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        is_hub = address.strip().lower() == settings.DIGITALPOST_HUB_ADDRESS.lower()
        gateway = None if is_hub else _gateway_address(address)
        if not is_hub and gateway is None:
            return REPLY_UNKNOWN_RECIPIENT
        if envelope.rcpt_tos and (gateway is not None or _gateway_address(envelope.rcpt_tos[0]) is not None):
            # A gateway address is one letter to one recipient: the sending server sends the others apart.
            return REPLY_ONE_LETTER_PER_RECIPIENT
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        outcome = await _RECEIVE(
            raw=normalize_line_endings(envelope.original_content), envelope_from=envelope.mail_from or "",
            gateway=_gateway_address(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None,
        )
        GATEWAY_MAILS.labels(outcome="filed" if outcome.code is None else str(outcome.code)).inc()
        return smtp_answer(outcome)


def _gateway_address(address: str) -> mail.GatewayAddress | None:
    """NgDP's `<CPR or CVR>@<CVR or mailbox id>.<hub domain>`; whether the organisation accepts it is decided once
    the signature names the organisation (at DATA, letter.gateway.address.off)."""
    return mail.parse_gateway_address(address, hub_domain=settings.DIGITALPOST_HUB_ADDRESS.rpartition("@")[2])


def _declared_size(mail_options: list[str]) -> int | None:
    for option in mail_options:
        name, _, value = option.partition("=")
        if name.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


class SessionCount:
    """The sessions one gateway has open (all of them live on its one event loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP session, reading lines up to the mail size limit instead of RFC 5321's 1000 octets, with a
    cap on open sessions and a total session time on top of aiosmtpd's idle timeout, each answered with 421.

    A bare-LF mail is one CRLF "line" as long as the mail; the size limit still bounds it (552 beyond it).
    """

    def __init__(self, handler: Any, *, data_size_limit: int, sessions: SessionCount, session_seconds: float,
                 **kwargs: Any) -> None:
        self.line_length_limit = data_size_limit  # read by SMTP.__init__ to size its stream reader
        super().__init__(handler, data_size_limit=data_size_limit, **kwargs)
        self._sessions = sessions
        self._session_seconds = session_seconds
        self._counted = False
        self._session_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        starting = self.transport is None  # not the STARTTLS upgrade of a session already counted
        super().connection_made(transport)
        if starting:
            self._sessions.open += 1
            self._counted = True
            self._session_timer = self.loop.call_later(self._session_seconds, self._close_with_421,
                                                       ErrorCode.SESSION_TOO_LONG)

    def connection_lost(self, error: Exception | None) -> None:
        if self._counted:
            self._sessions.open -= 1
            self._counted = False
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self._sessions.open > self._sessions.limit:
            log.warning("gateway: %d sessions open, refusing %r", self._sessions.open - 1,
                        self.session.peer if self.session else None)
            await self.push(smtp_refusal(ErrorCode.SESSIONS_TOO_MANY, status=421))
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = _PLAIN_ADDRESS.fullmatch(arg)
        if plain is None:
            return super()._getaddr(arg)
        address, params = plain.group(1), plain.group(2) or ""
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None  # as aiosmtpd answers a local part over its limit
        return address, params

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, read into a DataSpool instead of a list of lines in memory (see gateway.spool)."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        spool = DataSpool(max_bytes=settings.DIGITALPOST_MAX_MAIL_BYTES)
        try:
            while self.transport is not None:
                try:
                    line = await self._reader.readuntil(b"\r\n")
                except asyncio.LimitOverrunError as overrun:
                    # One "line" beyond the reader's limit (the mail size limit): count it, keep none of it.
                    spool.skip(overrun.consumed)
                    await self._reader.read(overrun.consumed)
                    continue
                if line == b".\r\n":
                    break
                spool.add(line[1:] if line.startswith(b".") else line)  # RFC 5321 §4.5.2 dot-stuffing undone
            if spool.refusal is not None:
                code, detail = spool.refusal
                outcome = await _REFUSE_UNREAD(code, detail, envelope_from=self.envelope.mail_from or "")
                GATEWAY_MAILS.labels(outcome=str(code)).inc()
                status = smtp_answer(outcome)
            else:
                self.envelope.original_content = self.envelope.content = spool.read()
                spool.close()
                status = await self._call_handler_hook("DATA")
        finally:
            spool.close()
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push(status)

    def _timeout_cb(self) -> None:
        # aiosmtpd's idle timeout closes silently; say why first.
        self._close_with_421(ErrorCode.SESSION_TOO_LONG)

    def _close_with_421(self, code: ErrorCode) -> None:
        if self.transport is None:
            return
        with contextlib.suppress(OSError, RuntimeError):
            self._writer.write(f"{smtp_refusal(code, status=421)}\r\n".encode("ascii"))
        self.transport.close()


class GatewayController(Controller):
    def __init__(self, handler: Any, *, max_sessions: int, session_seconds: float, reuse_port: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.sessions = SessionCount(max_sessions)
        self.session_seconds = session_seconds
        self.reuse_port = reuse_port

    def _create_server(self) -> Any:
        # aiosmtpd's, plus SO_REUSEPORT when several gateway processes share the port (the kernel spreads the
        # connections over them).
        return self.loop.create_server(self._factory_invoker, host=self.hostname, port=self.port,
                                       ssl=self.ssl_context, reuse_port=self.reuse_port or None)

    def _trigger_server(self) -> None:
        if self.reuse_port:
            # aiosmtpd connects to itself so that its loop calls the session factory once (start() checks it
            # worked); on a shared port that connection may reach another process. Call it on the loop instead.
            self.loop.call_soon_threadsafe(self._factory_invoker)
            return
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def factory(self) -> SMTP:
        return GatewaySMTP(self.handler, sessions=self.sessions, session_seconds=self.session_seconds,
                           **self.SMTP_kwargs)


@dataclass
class Gateway:
    host: str
    port: int
    require_starttls: bool = True
    reuse_port: bool = False  # one of several processes on the port (`digitalpost smtp --processes`)

    def controller(self) -> Controller:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(settings.DIGITALPOST_HUB_CERT, settings.DIGITALPOST_HUB_KEY)
        return GatewayController(
            GatewayHandler(), hostname=self.host, port=self.port, tls_context=context,
            # A margin above the limit: oversized mail reaches the service and is refused with its code
            # (message.too.large) and counted; only runaway streams are cut off by aiosmtpd itself.
            require_starttls=self.require_starttls,
            data_size_limit=settings.DIGITALPOST_MAX_MAIL_BYTES + HARD_CAP_MARGIN,
            server_hostname=settings.DIGITALPOST_HUB_DOMAIN, auth_required=False, auth_require_tls=True,
            timeout=settings.DIGITALPOST_GATEWAY_IDLE_SECONDS,
            max_sessions=settings.DIGITALPOST_GATEWAY_MAX_SESSIONS,
            session_seconds=settings.DIGITALPOST_GATEWAY_SESSION_SECONDS, reuse_port=self.reuse_port,
        )
