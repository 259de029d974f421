"""What operators and their tools ask the hub: alive (`/healthz`), ready (`/readyz`), and metrics (`/metrics`).

`/healthz` answers while the process serves requests at all; `/readyz` also checks what a request needs (the
database, the blob store) and that deliveries are not falling behind, so a load balancer stops sending work to a
node that cannot do it. `/metrics` is the Prometheus text format; restrict it to the scraper in the proxy, or
set `DIGITALPOST_METRICS_TOKEN` to require `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from digitalpost.doctor.selectors import open_findings_by_severity
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.metrics import exposition
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.selectors import queue_states

log = logging.getLogger(__name__)
READINESS_PROBE = b"digitalpost readiness probe\n"
# Work whose lag a citizen or an authority would notice; mass sends and notices may lag by design.
WATCHED_KINDS = (WorkKind.DELIVER, WorkKind.FORWARD)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return "database unreachable"
    return None


def _check_blob_store() -> str | None:
    try:
        store = blob_store()
        stored = store.put(READINESS_PROBE)
        if store.read(stored.key) != READINESS_PROBE:
            return "blob store returned other bytes"
    except Exception as exc:
        log.warning("readiness: blob store unusable: %s", exc)
        return "blob store unusable"
    return None


def _check_queues() -> tuple[str | None, dict[str, float]]:
    limit = settings.DIGITALPOST_READY_MAX_LAG_SECONDS
    lags = {state.kind.value: state.oldest_due_seconds for state in queue_states() if state.kind in WATCHED_KINDS}
    behind = [kind for kind, lag in lags.items() if lag > limit]
    return (f"queue lag over {limit:g} s: {', '.join(behind)}" if behind else None), lags


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    problems = [p for p in (_check_database(), _check_blob_store()) if p]
    lags: dict[str, float] = {}
    if not problems:
        lag_problem, lags = _check_queues()
        if lag_problem:
            problems.append(lag_problem)
    body: dict[str, Any] = {"status": "not ready" if problems else "ready", "problems": problems,
                            "queueLagSeconds": lags}
    return JsonResponse(body, status=503 if problems else 200)


class DatabaseFigures(Collector):
    """Figures read from the database at scrape time: the queues and the doctor's open findings."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("digitalpost_queue_jobs", "Outbox jobs pending, by work kind and whether due.",
                                  labels=["kind", "state"])
        age = GaugeMetricFamily("digitalpost_queue_oldest_due_seconds",
                                "How long the oldest due job of each work kind has waited.", labels=["kind"])
        for state in queue_states():
            depth.add_metric([state.kind.value, "due"], state.due)
            depth.add_metric([state.kind.value, "scheduled_or_claimed"], state.pending - state.due)
            age.add_metric([state.kind.value], state.oldest_due_seconds)
        findings = GaugeMetricFamily("digitalpost_doctor_open_findings", "Open doctor findings, by severity.",
                                     labels=["severity"])
        for severity, count in open_findings_by_severity().items():
            findings.add_metric([severity], count)
        yield from (depth, age, findings)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.DIGITALPOST_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("metrics need the scraper's token\n", status=401, content_type="text/plain")
    return HttpResponse(exposition([DatabaseFigures()]), content_type=CONTENT_TYPE_LATEST)
