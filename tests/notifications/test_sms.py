"""NemSMS: a delivered NEMSMS message's notification goes to the recipient's mobile number through the SMS
provider: the file sink (one JSON file per SMS) or an HTTP provider (a real http.server on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from digitalpost.messages.models import Message
from digitalpost.notifications.models import Sms
from digitalpost.notifications.sms import sms_text
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import memo
from helpers.notices_world import kinds, wants_notices

TEXT = "Husk din tid hos Borgerservice i morgen kl. 10. Mvh Nordby Kommune"


def send_nemsms(cast, recipient, text: str = TEXT) -> Message:
    message = memo.simple_message(
        sender_cvr=cast.nordby.authority.cvr, sender_label="Nordby Kommune", recipient_id=recipient.number,
        recipient_id_type="CVR" if recipient.kind == "COMPANY" else "CPR", label="Påmindelse", files=[],
        created=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        message_type=memo.MessageType.NEMSMS, notification=text,
    )
    response = cast.nordby.submit(message)
    assert response.status_code == 201, response.content
    return Message.objects.get(pk=response.json()["messageId"])


@pytest.fixture
def sink(settings, tmp_path):
    settings.DIGITALPOST_SMS_PROVIDER = "file"
    settings.DIGITALPOST_SMS_SINK = tmp_path / "sms"
    return tmp_path / "sms"


class Provider(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, Any]]]
    answers: list[int]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.received.append((dict(self.headers), body))
        payload = json.dumps({"id": f"prov-{len(self.received)}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_provider(settings) -> Iterator[type[Provider]]:
    handler = type("RecordingProvider", (Provider,), {"received": [], "answers": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.DIGITALPOST_SMS_PROVIDER = "http"
    settings.DIGITALPOST_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.DIGITALPOST_SMS_HTTP_TOKEN = "provider-token"
    yield handler
    server.shutdown()
    server.server_close()


def test_nemsms_goes_to_the_file_sink_as_one_json_file(cast, drain, sink):
    wants_notices(cast.anna, "", on=False, mobile="+4520123456")
    message = send_nemsms(cast, cast.anna)
    drain()
    assert drain(WorkKind.SMS) == 1
    [written] = sink.glob("*.json")
    assert json.loads(written.read_text("utf-8")) == {
        "reference": str(message.pk), "to": "+4520123456", "from": "Nordby Kommune", "text": TEXT,
    }
    assert kinds(message)[-1] == "SMS_SENT"
    assert message.events.get(kind="SMS_SENT").data == {"provider": "file"}
    assert Sms.objects.get(message=message).state == Sms.State.SENT


def test_nemsms_job_run_twice_is_one_sms(cast, drain, sink):
    from digitalpost.delivery.handlers import HANDLERS

    wants_notices(cast.anna, "", on=False, mobile="+4520123456")
    message = send_nemsms(cast, cast.anna)
    drain()
    job = Job.objects.get(key=f"sms:{message.pk}")
    HANDLERS[WorkKind.SMS](job)
    HANDLERS[WorkKind.SMS](job)
    assert len(list(sink.glob("*.json"))) == 1
    assert kinds(message).count("SMS_SENT") == 1


def test_nemsms_is_posted_to_the_http_provider(cast, drain, http_provider):
    wants_notices(cast.dorte, "", on=False, mobile="+4533445566")
    message = send_nemsms(cast, cast.dorte, "Jeres momsangivelse mangler.")
    drain()
    assert drain(WorkKind.SMS) == 1
    [(headers, body)] = http_provider.received
    assert body == {"reference": str(message.pk), "to": "+4533445566", "from": "Nordby Kommune",
                    "text": "Jeres momsangivelse mangler."}
    assert headers["Authorization"] == "Bearer provider-token"
    assert headers["Idempotency-Key"] == str(message.pk)
    assert Sms.objects.get(message=message).provider_reference == "prov-1"


def test_http_provider_down_is_retried_and_sends_once(cast, drain, http_provider):
    http_provider.answers.extend([503])
    wants_notices(cast.anna, "", on=False, mobile="20123456")
    message = send_nemsms(cast, cast.anna)
    drain()
    assert drain(WorkKind.SMS) == 1
    job = Job.objects.get(key=f"sms:{message.pk}")
    assert job.state == Job.State.PENDING
    assert "503" in job.last_error
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    assert drain(WorkKind.SMS) == 1
    assert [body["to"] for _, body in http_provider.received] == ["+4520123456"]
    assert kinds(message).count("SMS_SENT") == 1


def test_http_provider_refusal_buries_the_job(cast, drain, http_provider):
    http_provider.answers.extend([400])
    wants_notices(cast.anna, "", on=False, mobile="+4520123456")
    message = send_nemsms(cast, cast.anna)
    drain()
    drain(WorkKind.SMS)
    job = Job.objects.get(key=f"sms:{message.pk}")
    assert job.state == Job.State.DEAD
    assert "400" in job.last_error
    assert "SMS_SENT" not in kinds(message)


def test_without_a_mobile_number_the_message_stays_in_the_mailbox_only(cast, drain, sink):
    message = send_nemsms(cast, cast.anna)
    drain()
    drain(WorkKind.SMS)
    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert list(sink.glob("*.json")) == []
    assert Sms.objects.get(message=message).state == Sms.State.NO_NUMBER
    assert "SMS_SENT" not in kinds(message)


def test_digital_post_messages_send_no_sms(cast, drain, sink):
    from helpers.notices_world import submit

    wants_notices(cast.anna, "", on=False, mobile="+4520123456")
    message = submit(cast, cast.anna)
    drain()
    assert not Job.objects.filter(key=f"sms:{message.pk}").exists()


def test_sms_text_is_trimmed_with_plain_line_breaks():
    assert sms_text("  Hej Anna \r\n Din tid er kl. 10 \r") == "Hej Anna\nDin tid er kl. 10"
    assert sms_text(None) == ""
