"""Group commit's merged writes: the payloads of one batch go to their `write_many` in one call; when that call
fails, each payload is written alone, so only the failing one fails and the others are committed. Real
transactions (transactional_db): the committer's batch is a durable transaction of its own."""

from __future__ import annotations

import contextvars
from concurrent.futures import Future

import pytest
from django.db import IntegrityError
from django.utils import timezone

from digitalpost.hub.group_commit import GroupCommitter, _Merged
from digitalpost.outbox.models import Job, WorkKind

pytestmark = pytest.mark.django_db(transaction=True)


def new_job(key: str) -> Job:
    now = timezone.now()
    return Job.objects.create(kind=WorkKind.NOTIFY, key=key, run_after=now, created_at=now)


class Jobs:
    """A write_many that records how it was called: one job row per payload (the key is unique)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, keys: list[str]) -> list[str]:
        self.calls.append(list(keys))
        for key in keys:
            new_job(key)
        return [f"written {key}" for key in keys]


def merged(write_many: Jobs, key: str) -> tuple[_Merged, Future]:
    return _Merged(write_many, key, contextvars.copy_context()), Future()


def test_the_merged_writes_of_a_batch_are_written_in_one_call_and_each_gets_its_own_result():
    jobs, others = Jobs(), Jobs()
    plain = (lambda: "plain", Future())
    batch = [merged(jobs, "a"), merged(jobs, "b"), merged(jobs, "c"), plain, merged(jobs, "d"), merged(others, "e")]

    GroupCommitter()._commit(batch)

    # A run is broken by a write of another kind: consecutive payloads of the same write_many only.
    assert jobs.calls == [["a", "b", "c"], ["d"]]
    assert others.calls == [["e"]]
    assert [future.result() for _, future in batch] == [
        "written a", "written b", "written c", "plain", "written d", "written e"]
    assert sorted(Job.objects.values_list("key", flat=True)) == ["a", "b", "c", "d", "e"]


def test_when_the_merged_call_fails_each_payload_is_written_alone_and_only_the_failing_one_fails():
    new_job("taken")
    jobs = Jobs()
    batch = [merged(jobs, "a"), merged(jobs, "taken"), merged(jobs, "b")]

    GroupCommitter()._commit(batch)

    assert jobs.calls == [["a", "taken", "b"], ["a"], ["taken"], ["b"]]
    assert batch[0][1].result() == "written a"
    with pytest.raises(IntegrityError):
        batch[1][1].result()
    assert batch[2][1].result() == "written b"
    # The failed call left nothing behind: each row once, from its own write.
    assert sorted(Job.objects.values_list("key", flat=True)) == ["a", "b", "taken"]
