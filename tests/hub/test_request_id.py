"""One request id from the POST through the outbox to the worker's log line."""

import json
import subprocess
import sys
import time
from pathlib import Path

from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job
from helpers.worker_processes import worker_env


def test_the_callers_request_id_is_answered_and_goes_with_the_queued_work(cast):
    response = cast.nordby.submit(cast.nordby.memo(cast.anna), HTTP_X_REQUEST_ID="case-4711.trace")
    assert response.status_code == 201
    assert response["X-Request-ID"] == "case-4711.trace"
    assert Job.objects.get(payload__message=response.json()["messageId"]).request_id == "case-4711.trace"


def test_a_request_id_that_is_not_a_plain_token_is_replaced(cast):
    for given in ("a b", "x" * 65, "<script>", ""):
        response = cast.nordby.submit(cast.nordby.memo(cast.anna), HTTP_X_REQUEST_ID=given)
        assert response.status_code == 201
        made = response["X-Request-ID"]
        assert made != given
        assert len(made) == 32
        assert Job.objects.get(payload__message=response.json()["messageId"]).request_id == made


def test_the_worker_logs_the_job_under_the_request_id_in_json(tx_cast, settings):
    response = tx_cast.nordby.submit(tx_cast.nordby.memo(tx_cast.anna), HTTP_X_REQUEST_ID="trace-from-the-post")
    assert response.status_code == 201
    env = {**worker_env(settings), "DIGITALPOST_LOG_FORMAT": "json", "DIGITALPOST_LOG_LEVEL": "DEBUG"}
    exe = Path(sys.executable).parent / "digitalpost"
    worker = subprocess.Popen([str(exe), "worker", "--kinds", "DELIVER"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not Message.objects.filter(state=Message.State.DELIVERED).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    done = [line for line in lines if line["message"].startswith("job deliver:")]
    assert done, err[-2000:]
    assert {line["request_id"] for line in done} == {"trace-from-the-post"}
    assert {"time", "level", "logger"} <= set(done[0])
