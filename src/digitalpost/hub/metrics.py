"""The hub's Prometheus metrics: what happened, counted where it happens (prometheus-client).

`digitalpost run` starts many processes (web, workers, gateway); each writes its counts to files in
`PROMETHEUS_MULTIPROC_DIR` and `/metrics` adds them up, so a scrape sees the whole hub, not one process.
Figures that live in the database (queue depth, doctor findings) are read at scrape time by the endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.registry import Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

MESSAGES_ACCEPTED = Counter(
    "digitalpost_messages_accepted_total", "Messages accepted by the hub, by the way they came in.", ["lane"])
REFUSALS = Counter(
    "digitalpost_refusals_total", "Requests and mails refused, by entry point and error code.", ["entry", "code"])
JOBS = Counter(
    "digitalpost_jobs_total", "Outbox jobs run by the workers, by work kind and outcome.", ["kind", "outcome"])
JOB_SECONDS = Histogram(
    "digitalpost_job_seconds", "Time a worker spent on one job, by work kind.", ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ACCEPT_TO_DELIVERED = Histogram(
    "digitalpost_accept_to_delivered_seconds", "From acceptance to delivery into the mailbox (or hand-off).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600))
GATEWAY_MAILS = Counter(
    "digitalpost_gateway_mails_total", "Secure mails through the SMTP gateway, by outcome (filed or the code).",
    ["outcome"])


def prepare_multiprocess_dir(folder: Path) -> dict[str, str]:
    """An empty folder for the counts of a hub about to start, and the environment its processes need."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return {MULTIPROCESS_DIR: str(folder)}


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text a Prometheus scrape reads: every process's counts plus the collectors given."""
    if os.environ.get(MULTIPROCESS_DIR):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY  # one process (tests, a single worker): its own counts
    read_now = CollectorRegistry(auto_describe=False)
    for collector in extra:
        read_now.register(collector)
    return generate_latest(counted) + generate_latest(read_now)
