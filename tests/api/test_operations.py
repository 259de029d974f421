"""/healthz, /readyz and /metrics: what an operator's load balancer and Prometheus read."""

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from digitalpost.core.findings import Severity
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.metrics import MULTIPROCESS_DIR
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from helpers.worker_processes import worker_env


def scrape(client, **headers) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(figures, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_answers_while_the_process_serves(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readyz_is_ready_with_a_database_a_blob_store_and_no_backlog(cast, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert set(response.json()["queueLagSeconds"]) == {"DELIVER", "FORWARD"}


def test_readyz_is_not_ready_when_deliveries_fall_behind(cast, client, settings):
    settings.DIGITALPOST_READY_MAX_LAG_SECONDS = 60
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    Job.objects.filter(kind=WorkKind.DELIVER).update(run_after=timezone.now() - timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["queue lag over 60 s: DELIVER"]
    assert response.json()["queueLagSeconds"]["DELIVER"] >= 300


def test_readyz_is_not_ready_when_the_blob_store_cannot_be_written(cast, client, settings, tmp_path):
    not_a_folder = tmp_path / "blobs"
    not_a_folder.write_text("a file where the blob store should be")
    settings.DIGITALPOST_BLOB_DIR = not_a_folder
    blob_store.cache_clear()
    try:
        response = client.get("/readyz")
    finally:
        blob_store.cache_clear()
    assert response.status_code == 503
    assert response.json()["problems"] == ["blob store unusable"]


def test_metrics_count_acceptances_refusals_deliveries_and_the_wait(
    cast, client, drain, django_capture_on_commit_callbacks,
):
    before = scrape(client)
    assert cast.nordby.submit(cast.nordby.memo(cast.anna)).status_code == 201
    assert cast.nordby.submit(b"<not-memo/>").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):  # the wait is counted once the delivery commits
        assert drain() == 1
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("digitalpost_messages_accepted_total", lane="single") == 1
    refused = {labels: n - value(before, name, **dict(labels)) for (name, labels), n in after.items()
               if name == "digitalpost_refusals_total"}
    assert sum(refused.values()) == 1
    assert grew("digitalpost_jobs_total", kind="DELIVER", outcome="done") == 1
    assert grew("digitalpost_accept_to_delivered_seconds_count") == 1
    assert value(after, "digitalpost_queue_jobs", kind="DELIVER", state="due") == 0
    severities = {dict(labels)["severity"] for name, labels in after if name == "digitalpost_doctor_open_findings"}
    assert severities == {s.value for s in Severity}


def test_queue_gauges_show_what_waits_and_for_how_long(cast, client):
    for _ in range(3):
        cast.nordby.submit(cast.nordby.memo(cast.anna))
    Job.objects.filter(kind=WorkKind.DELIVER).update(run_after=timezone.now() - timedelta(seconds=90))
    figures = scrape(client)
    assert value(figures, "digitalpost_queue_jobs", kind="DELIVER", state="due") == 3
    assert value(figures, "digitalpost_queue_oldest_due_seconds", kind="DELIVER") >= 90
    assert value(figures, "digitalpost_queue_jobs", kind="FORWARD", state="due") == 0


def test_metrics_ask_for_the_scrapers_token_when_one_is_set(client, db, settings):
    settings.DIGITALPOST_METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer scrape-secret")


@pytest.mark.slow
def test_metrics_add_up_the_counts_of_every_worker_process(tx_cast, client, settings, tmp_path, monkeypatch):
    """Two real worker processes count into one folder; the web process's /metrics sums them."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    monkeypatch.setenv(MULTIPROCESS_DIR, str(folder))
    messages = 20
    for _ in range(messages):
        assert tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna)).status_code == 201
    env = {**worker_env(settings), MULTIPROCESS_DIR: str(folder)}
    exe = Path(sys.executable).parent / "digitalpost"
    workers = [subprocess.Popen([str(exe), "worker", "--kinds", "DELIVER"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while (Message.objects.filter(state=Message.State.DELIVERED).count() < messages
               and time.monotonic() < deadline):
            time.sleep(0.05)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    assert len(list(folder.glob("*.db"))) >= 2  # each process wrote its own counts
    figures = scrape(client)
    assert value(figures, "digitalpost_jobs_total", kind="DELIVER", outcome="done") == messages
    assert value(figures, "digitalpost_accept_to_delivered_seconds_count") == messages
