"""A claim only leases jobs: it commits without waiting for the disk, and leaves the connection as it found it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import claim_batch, claim_next

pytestmark = pytest.mark.django_db(transaction=True)


def _level() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("claim", [
    lambda: claim_batch(WorkKind.DELIVER, lease=timedelta(minutes=5), limit=25),
    lambda: [claim_next(WorkKind.DELIVER, lease=timedelta(minutes=5))],
], ids=["batch", "one"])
def test_a_claim_commits_without_a_flush_and_later_commits_are_durable_again(tx_cast, claim):
    tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna))
    before = _level() if connection.vendor == "sqlite" else None
    with CaptureQueriesContext(connection) as queries:
        [job] = claim()
    statements = [query["sql"] for query in queries]
    assert Job.objects.get(pk=job.pk).attempts == 1
    if connection.vendor == "sqlite":
        assert before == 2  # FULL, as the settings open a connection
        assert statements[1:3] == ["PRAGMA synchronous", "PRAGMA synchronous=NORMAL"]  # after the look, before BEGIN
        assert statements[-1] == "PRAGMA synchronous=2"
        assert _level() == 2
    else:
        assert "SET LOCAL synchronous_commit TO OFF" in statements
        with connection.cursor() as cursor:  # only that transaction's
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


def test_a_look_that_finds_nothing_builds_no_query_set(tx_cast, monkeypatch):
    """An idle kind's look is the one prepared statement: the ORM query is built only when a job is due."""
    def no_query_set(*args, **kwargs):
        raise AssertionError("claim_next built a QuerySet although nothing was due")

    monkeypatch.setattr(Job.objects, "filter", no_query_set)
    with CaptureQueriesContext(connection) as queries:
        assert claim_next(WorkKind.SMS, lease=timedelta(minutes=5)) is None
    assert len(queries) == 1
