"""CPR numbers stay out of every log line: `digitalpost run` (granian's access log, the web app's and the
workers' logs, all in one output) serves a full flow — contact lookups (the old GET with the number in the URL
too), letters to the cast, a portal message-log search by CPR number, delivery by the worker — and afterwards
no CPR number of the cast is anywhere in what the hub wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from cast import build_staff
from digitalpost.messages.models import Message
from digitalpost.protocols import memo
from helpers.live import csrf_token, staff_session
from helpers.secure_mail import free_port
from helpers.worker_processes import worker_env

pytestmark = pytest.mark.slow


def hub_env(settings, tmp_path: Path) -> dict[str, str]:
    return {**worker_env(settings), "DIGITALPOST_PRINT_SPOOL": str(tmp_path / "spool"),
            "DIGITALPOST_LOG_LEVEL": "DEBUG"}


def wait_until_up(base: str, hub: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and hub.poll() is None:
        try:
            if requests.get(f"{base}/apis/v1/health", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the hub did not start")


def test_a_full_flow_writes_no_cpr_number_of_the_cast_to_any_log(tx_cast, settings, tmp_path):
    staff = build_staff(tx_cast)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    output = tmp_path / "hub.log"
    with output.open("wb") as sink:
        hub = subprocess.Popen(
            [str(Path(sys.executable).parent / "digitalpost"), "run", "--port", str(port), "--web-workers", "1",
             "--no-smtp", "--no-scheduler"],
            env=hub_env(settings, tmp_path), stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(base, hub)
            sender = requests.Session()
            sender.headers["Authorization"] = f"Bearer {tx_cast.nordby.token}"
            citizens = [tx_cast.anna, tx_cast.bent, tx_cast.carl]
            assert sender.get(f"{base}/apis/v1/contacts", params={"cprNumber": tx_cast.anna.number},
                              timeout=30).status_code == 200
            assert sender.get(f"{base}/apis/v1/contacts", params={"cprNumber": "050585-1234", "cvrNumber": "1"},
                              timeout=30).status_code == 400
            lookup = sender.post(f"{base}/apis/v1/contacts/lookup", timeout=30,
                                 json={"cprNumbers": [c.number for c in citizens], "cvrNumbers": []})
            assert lookup.status_code == 200
            for label in ("Brev", "Andet brev"):
                letter = tx_cast.nordby.memo(tx_cast.anna, label=label)
                sent = sender.post(f"{base}/apis/v1/memos", params={"memo-message-uuid": letter.header.message_uuid},
                                   data=memo.build(letter), headers={"Content-Type": "application/xml"}, timeout=30)
                assert sent.status_code == 201, sent.text
            portal = staff_session(base, staff.nora)
            page = f"/portal/{tx_cast.nordby.authority.cvr}/message-log/"
            found = portal.post(base + page, timeout=30, data={
                "csrfmiddlewaretoken": csrf_token(portal, base, page), "party": tx_cast.anna.number})
            assert found.status_code == 200
            assert found.text.count("<tr data-message=") == 2
            deadline = time.monotonic() + 60
            while Message.objects.filter(state=Message.State.DELIVERED).count() < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert Message.objects.filter(state=Message.State.DELIVERED).count() == 2
        finally:
            os.killpg(hub.pid, signal.SIGINT)
            hub.wait(timeout=30)
    log = output.read_text(errors="replace")
    assert '"GET /apis/v1/contacts' in log  # the access log is in there, the old GET included
    numbers = [c.number for c in (tx_cast.anna, tx_cast.bent, tx_cast.carl)]
    leaks = [line for line in log.splitlines()
             if any(n in line or f"{n[:6]}-{n[6:]}" in line for n in numbers)]
    assert leaks == []
