"""One request id from the web request through the outbox to the worker that does the work, in every log line.

The web entry takes the caller's `X-Request-ID` when it is a plain token (else makes one), answers with it, and
keeps it in a context variable. Work queued while it is set carries it (`Job.request_id`), and the worker sets it
again while it runs that job, so an operator follows one letter from the POST to its delivery with one grep.
With `DIGITALPOST_LOG_FORMAT=json` every line is one JSON object (python-json-logger) with `request_id`.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("digitalpost_request_id", default="")


def current_request_id() -> str:
    return _current.get()


@contextmanager
def request_id_set(value: str) -> Iterator[None]:
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    """Gives every web request its id (the caller's, if it is a plain token of at most 64 characters)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        value = given if _SAFE.fullmatch(given) else uuid.uuid4().hex
        with request_id_set(value):
            response = self.get_response(request)
        response[HEADER] = value
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True
