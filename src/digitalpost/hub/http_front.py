"""The web hub's front: request bodies are read by the event loop, bounded in size and time, before a thread runs
Django.

Slow clients (slowloris: headers or a body trickled a byte a second) must not hold the request threads that
Django's views — and group commit — run in. The HTTP server (granian, `digitalpost run`) reads the headers
asynchronously and drops a client that has not sent them within its header timeout. This ASGI application then
reads the body on the event loop into a spooled file (memory up to `SPOOL_IN_MEMORY_BYTES`, disk beyond), and
only a complete body reaches a request thread, where Django runs as a WSGI application (a2wsgi's bridge, a fixed
pool of threads: persistent database connections and group commit work as under a threaded WSGI server).

Limits, each from settings (docs/deploy.md, "Security limits"):
- the body of a request may be at most its route's cap (`body_cap`): a declared Content-Length above it is refused
  with 413 `request.too.large` before a byte of the body is read; a chunked body is cut off once it passes the cap.
  A MeMo (`POST /apis/v1/memos`, XML) above `DIGITALPOST_MAX_MEMO_BYTES` is handed to the API unread, which refuses
  it with its receipt (`memo.too.large`), as it did before this front existed;
- a body must arrive at `DIGITALPOST_WEB_MIN_UPLOAD_RATE` bytes a second on average after a grace of
  `DIGITALPOST_WEB_BODY_GRACE_SECONDS`: a slower one is answered 408 `request.too.slow` and closed.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import IO, Any

from a2wsgi.wsgi import WSGIMiddleware, WSGIResponder, build_environ

from digitalpost.core.errors import CATALOGUE, ErrorCode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SPOOL_IN_MEMORY_BYTES = 1024 * 1024
MEMO_PATH = "/apis/v1/memos"
ARCHIVE_TYPES = ("application/x-lzma", "application/x-xz")
FORM_TYPES = ("application/x-www-form-urlencoded", "text/plain", "")


@dataclass(frozen=True)
class BodyLimits:
    """The per-route caps on a request body (bytes) and the slowest upload accepted."""

    form_bytes: int  # urlencoded forms and other small bodies to the web pages (Django's DATA_UPLOAD_MAX_MEMORY_SIZE)
    upload_bytes: int  # multipart uploads to the web pages (attachments of inquiries and replies)
    memo_bytes: int  # one MeMo on POST /apis/v1/memos
    archive_bytes: int  # a mass send (an LZMA tar of MeMos) on POST /apis/v1/memos
    api_bytes: int  # every other API request (JSON, register CSV)
    min_upload_rate: int  # bytes a second, on average, after the grace
    grace_seconds: float

    def body_cap(self, path: str, content_type: str) -> int:
        if path.rstrip("/") == MEMO_PATH:
            return self.archive_bytes if content_type.startswith(ARCHIVE_TYPES) else self.memo_bytes
        if path.startswith("/apis/"):
            return self.api_bytes
        if content_type.startswith("multipart/form-data"):
            return self.upload_bytes
        return self.form_bytes

    def allowed_seconds(self, received: int) -> float:
        return self.grace_seconds + received / self.min_upload_rate


class BodyRefused(Exception):
    def __init__(self, status: int, code: ErrorCode) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


class BufferedWSGI:
    """ASGI application: read the whole body within the limits, then run the WSGI app in a worker thread."""

    def __init__(self, wsgi_app: Callable[..., Any], *, threads: int, limits: BodyLimits) -> None:
        self.bridge = WSGIMiddleware(wsgi_app, workers=threads)
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.bridge(scope, receive, send)  # type: ignore[arg-type]
            return
        headers = {name.decode("latin1").lower(): value.decode("latin1") for name, value in scope["headers"]}
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        cap = self.limits.body_cap(scope["path"], content_type)
        declared = _declared_length(headers.get("content-length"))
        if declared is not None and declared > cap:
            if scope["path"].rstrip("/") == MEMO_PATH and scope["method"] == "POST":
                # The API refuses an oversized MeMo by its Content-Length, with a receipt; the body is never read.
                with tempfile.SpooledTemporaryFile() as nothing:
                    await self._run(scope, send, nothing, unread=True)
                return
            await _refuse(send, BodyRefused(413, ErrorCode.REQUEST_TOO_LARGE))
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as body:
            try:
                await self._read_body(receive, body, cap)
            except BodyRefused as refused:
                await _refuse(send, refused)
                return
            except _Disconnected:
                return
            await self._run(scope, send, body)

    async def _read_body(self, receive: Receive, body: IO[bytes], cap: int) -> None:
        started = time.monotonic()
        received = 0
        while True:
            remaining = self.limits.allowed_seconds(received) - (time.monotonic() - started)
            if remaining <= 0:
                raise BodyRefused(408, ErrorCode.REQUEST_TOO_SLOW)
            try:
                async with asyncio.timeout(remaining):
                    message = await receive()
            except TimeoutError:
                raise BodyRefused(408, ErrorCode.REQUEST_TOO_SLOW) from None
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > cap:
                raise BodyRefused(413, ErrorCode.REQUEST_TOO_LARGE)
            body.write(chunk)
            if not message.get("more_body", False):
                return

    async def _run(self, scope: Scope, send: Send, body: IO[bytes], *, unread: bool = False) -> None:
        responder = WSGIResponder(self.bridge.app, self.bridge.executor, self.bridge.send_queue_size)
        environ: dict[str, Any] = dict(build_environ(scope, body))  # type: ignore[arg-type]
        if not unread:
            # A chunked body has its length now; Django reads exactly this much.
            environ["CONTENT_LENGTH"] = str(body.seek(0, 2))
            body.seek(0)
        await _respond(responder, environ, send)


class _Disconnected(Exception):
    pass


async def _respond(responder: WSGIResponder, environ: dict[str, Any], send: Send) -> None:
    """a2wsgi's WSGIResponder.__call__, given our environ (whose wsgi.input is the body already read)."""
    sender = responder.loop.create_task(responder.sender(send))  # type: ignore[arg-type]
    try:
        context = contextvars.copy_context()
        func = functools.partial(context.run, responder.wsgi)  # type: ignore[call-arg]
        await responder.loop.run_in_executor(responder.executor, func, environ, responder.start_response)
        await responder.send_queue.put(None)
        await sender
        if responder.exc_info is not None:
            raise responder.exc_info[0].with_traceback(responder.exc_info[1], responder.exc_info[2])
    finally:
        if not sender.done():
            sender.cancel()


def _declared_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


async def _refuse(send: Send, refused: BodyRefused) -> None:
    """A problem+json answer with the catalogue's code; the connection is closed (the body was not read)."""
    spec = CATALOGUE[refused.code]
    body = json.dumps({"status": refused.status, "errorCode": str(refused.code), "errorMessage": spec.text}).encode()
    await send({"type": "http.response.start", "status": refused.status,
                "headers": [(b"content-type", b"application/problem+json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
