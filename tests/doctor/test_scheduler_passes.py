"""The scheduler records each pass with the node that ran it: finished when it ends, also when it fails."""

import pytest

from digitalpost.doctor.models import SchedulerPass
from digitalpost.doctor.services import scheduler_pass


def test_a_pass_is_recorded_with_its_node_start_and_end(db):
    with scheduler_pass(node="node-a", pid=4242):
        running = SchedulerPass.objects.get()
        assert (running.node, running.pid, running.finished_at) == ("node-a", 4242, None)
    finished = SchedulerPass.objects.get()
    assert finished.finished_at is not None
    assert finished.finished_at >= finished.started_at


def test_a_failed_pass_is_finished_too(db):
    with pytest.raises(RuntimeError), scheduler_pass(node="node-a", pid=1):
        raise RuntimeError("the doctor failed")
    assert SchedulerPass.objects.get().finished_at is not None
