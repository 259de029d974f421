"""One slow push receiver does not delay the others: each receiver system is a lane of the forward queue, worked
by at most one of the worker's forward threads at a time. Nordby's endpoint holds every request open; Sydby's
inquiry, queued after two of Nordby's, is delivered while Nordby's first is still hanging, and Nordby's second is
not even started until its first is answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.delivery.handlers import GIVE_UP, HANDLERS
from digitalpost.messages.models import Message
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.worker import run_forever
from digitalpost.systems.services.receivers import create_push_receiver
from helpers.push_server import PushServer, run_server

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings")]


@pytest.fixture
def released() -> threading.Event:
    return threading.Event()


@pytest.fixture
def slow_server(server_certs, released) -> Iterator[PushServer]:
    yield from run_server(*server_certs["trusted"], hold=released)


def wait_for(condition: Callable[[], bool], *, seconds: float = 60) -> bool:
    """Poll until `condition` holds (bounded; the assertion is on the outcome, not on the time it took)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def delivered(message: Message) -> bool:
    return Message.objects.get(pk=message.pk).state == Message.State.DELIVERED


def test_a_hanging_endpoint_holds_up_only_its_own_organisations_inquiries(
        tx_cast, settings, slow_server, push_server, released):
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DIGITALPOST_PUSH_TIMEOUT_SECONDS = 120

    def inquiry_to(cast_sender, url: str, count: int) -> list[Message]:
        receiver = create_push_receiver(authority=cast_sender.authority, name="ESDH", endpoint_url=url)
        mailbox = create_mailbox(authority=cast_sender.authority, name="Post", receiver_system=receiver)
        return [send_inquiry(party=tx_cast.anna, mailbox=mailbox, inquiry=Inquiry(subject=f"Nr. {n}", text="Hej"))
                for n in range(count)]

    nordby_first, nordby_second = inquiry_to(tx_cast.nordby, slow_server.url, 2)
    (sydby,) = inquiry_to(tx_cast.sydby, push_server.url, 1)  # queued last

    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=([WorkKind.FORWARD], HANDLERS),
                              kwargs={"stop": stop, "on_give_up": GIVE_UP, "lane_threads": {WorkKind.FORWARD: 2}})
    worker.start()
    try:
        assert wait_for(lambda: delivered(sydby))
        assert not delivered(nordby_first)
        # Nordby's lane: its first inquiry is hanging at the endpoint, its second waits for it.
        assert [r.headers["x-digitalpost-message-id"] for r in slow_server.requests] == [str(nordby_first.pk)]
        released.set()
        assert wait_for(lambda: delivered(nordby_first) and delivered(nordby_second))
        assert [r.headers["x-digitalpost-message-id"] for r in slow_server.requests] == \
            [str(nordby_first.pk), str(nordby_second.pk)]
    finally:
        released.set()
        stop.set()
        worker.join(60)
