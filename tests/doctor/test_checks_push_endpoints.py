"""Receipt-push endpoints that fail: a sender system's endpoint (a real HTTPS server on 127.0.0.1, certificate
from the test CA) answers 503 — the doctor warns; after a week of failures (the clock moved by data) the hub
deactivates it and the doctor says so; repaired and reactivated, what waited is pushed in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.core.findings import Severity, SubjectKind
from digitalpost.core.roles import SYSTEM_ACTOR
from digitalpost.messages.models import EventPush
from digitalpost.messages.services.pushes import reactivate_push_endpoint
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.systems.models import SenderPushEndpoint
from digitalpost.systems.services.push_endpoints import register_push_endpoint
from helpers.doctor_world import HealthyOrg, codes, findings_of, only
from helpers.https_endpoints import EndpointServer, endpoint_server
from helpers.push_server import server_certificate

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver(healthy: HealthyOrg, tmp_path, settings) -> Iterator[EndpointServer]:
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the test's endpoint: loopback, allowed here only
    with endpoint_server(*server_certificate(tmp_path, "endpoint", healthy.pki.base.ca)) as server:
        yield server


def make_due(endpoint: SenderPushEndpoint, **changes) -> None:
    SenderPushEndpoint.objects.filter(pk=endpoint.pk).update(retry_after=None, **changes)
    Job.objects.filter(kind=WorkKind.PUSH_EVENTS, state=Job.State.PENDING).update(
        run_after=timezone.now() - timedelta(seconds=1))


def test_a_failing_endpoint_is_reported_then_deactivated_after_seven_days_and_resumes_in_order(
        cast, healthy, receiver, drain, settings):
    assert codes(findings_of(healthy)) == []
    endpoint = register_push_endpoint(system=healthy.rest_sender, url=receiver.url).endpoint
    receiver.down = True
    for _ in range(2):
        assert cast.nordby.submit(cast.nordby.memo(cast.anna)).status_code in (200, 201, 202)
    drain(WorkKind.DELIVER)
    drain(WorkKind.PUSH_EVENTS)
    assert receiver.refused
    assert not receiver.posts

    failing = only(findings_of(healthy), "sender.push.failing")
    assert failing.severity == Severity.WARNING
    assert (failing.subject.kind, failing.subject.id) == (SubjectKind.SENDER_SYSTEM, str(healthy.rest_sender.pk))
    assert failing.facts["waitingPushes"] == 4
    assert failing.facts["lastError"] == "HTTP 503"

    # Six days and a bit: still failing, still active.
    make_due(endpoint, failing_since=timezone.now() - timedelta(days=6, hours=23))
    drain(WorkKind.PUSH_EVENTS)
    assert SenderPushEndpoint.objects.get(pk=endpoint.pk).is_active
    assert only(findings_of(healthy), "sender.push.failing").severity == Severity.CRITICAL

    week = timedelta(days=settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS)
    make_due(endpoint, failing_since=timezone.now() - week)
    drain(WorkKind.PUSH_EVENTS)
    off = SenderPushEndpoint.objects.get(pk=endpoint.pk)
    assert not off.is_active
    assert off.deactivated_at is not None
    assert not Job.objects.filter(kind=WorkKind.PUSH_EVENTS, state=Job.State.PENDING).exists()
    found = findings_of(healthy)
    assert codes(found) == ["sender.push.deactivated"]
    deactivated = only(found, "sender.push.deactivated")
    assert deactivated.severity == Severity.CRITICAL
    assert deactivated.facts["waitingPushes"] == 4

    receiver.down = False
    reactivate_push_endpoint(off, actor=SYSTEM_ACTOR)
    drain(WorkKind.PUSH_EVENTS)
    types = {}
    for doc in (json.loads(p.body) for p in receiver.posts):
        types.setdefault(doc["messageUUID"], []).append(doc["type"])
    assert list(types.values()) == [["received", "delivered"], ["received", "delivered"]]
    assert not EventPush.objects.filter(pushed_at__isnull=True).exists()
    assert codes(findings_of(healthy)) == []
