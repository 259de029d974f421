"""Rendering catalogue errors as problem+json, and receipts for refused MeMos."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from digitalpost.core.errors import CATALOGUE, DigitalPostError, ErrorCode
from digitalpost.hub.metrics import REFUSALS

log = logging.getLogger(__name__)


def problem(code: ErrorCode, detail: str = "", *, status: int | None = None) -> JsonResponse:
    spec = CATALOGUE[code]
    REFUSALS.labels(entry="api", code=str(code)).inc()
    body = {
        "type": f"https://digitalpost.invalid/errors/{code}",
        "title": spec.text,
        "status": status or spec.http,
        "errorCode": str(code),
        "detail": detail,
        "timeStamp": timezone.now().isoformat(),
    }
    return JsonResponse(body, status=status or spec.http, content_type="application/problem+json")


def render_error(request: HttpRequest, exc: DigitalPostError) -> HttpResponse:
    return problem(exc.code, exc.detail)


def render_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return problem(ErrorCode.INTERNAL_ERROR)
