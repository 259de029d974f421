"""The pushed types of the hub's events, the subscription filter and the signed content (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from digitalpost.core.lifecycle import EventKind
from digitalpost.core.receipt_push import PushType, hmac_signature, parse_types, push_type, signed_content


@pytest.mark.parametrize(("kind", "expected"), [
    (EventKind.MESSAGE_RECEIVED, PushType.RECEIVED),
    (EventKind.MESSAGE_DELIVERED, PushType.DELIVERED),
    (EventKind.MESSAGE_LEGALLY_NOTIFIED, PushType.LEGALLY_NOTIFIED),
    (EventKind.MESSAGE_READ, PushType.READ),
    (EventKind.PHYSICAL_LETTER_SENT, PushType.PRINTED),
    (EventKind.PHYSICAL_LETTER_RETURNED, PushType.RETURNED),
    (EventKind.PRINT_REFUSED, PushType.REFUSED),
    (EventKind.DELIVERY_FAILED, PushType.FAILED),
    (EventKind.NOTICE_SENT, None),
    (EventKind.LETTER_RENDERED, None),
    ("NOT_A_KIND", None),
])
def test_each_event_kind_is_pushed_under_its_type(kind, expected):
    assert push_type(kind) == expected


def test_every_pushed_type_is_reachable_from_some_event():
    reachable = {push_type(kind) for kind in EventKind}
    assert set(PushType) <= reachable


def test_the_filter_keeps_catalogue_order_and_names_an_unknown_type():
    assert parse_types(["read", " Delivered "]) == [PushType.DELIVERED, PushType.READ]
    assert parse_types([]) == []
    with pytest.raises(ValueError, match="opened"):
        parse_types(["read", "opened"])


def test_the_signature_covers_timestamp_dot_exact_body():
    body = b'{"eventId":1}'
    assert signed_content(1764750000, body) == b'1764750000.{"eventId":1}'
    expected = base64.b64encode(hmac.new(b"s3cret", b'1764750000.{"eventId":1}', hashlib.sha256).digest()).decode()
    assert hmac_signature("s3cret", 1764750000, body) == expected
    assert hmac_signature("s3cret", 1764750001, body) != expected
