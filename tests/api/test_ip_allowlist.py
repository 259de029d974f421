"""The sender API honours each system's IP allow-list: empty allows any address, else only listed ones."""

from __future__ import annotations

import pytest

from cast import new_uuid
from digitalpost.systems.services.senders import set_ip_allowlist

RECEIPTS = "/apis/v1/receipts"
PROXY = "10.9.8.7"


@pytest.fixture
def allow(cast):
    def set_to(*entries: str) -> None:
        set_ip_allowlist(system=cast.nordby.system, entries=list(entries))

    return set_to


def test_without_an_allowlist_any_address_may_call(cast):
    assert cast.nordby.client().get(RECEIPTS, REMOTE_ADDR="203.0.113.99").status_code == 200


def test_an_address_inside_a_listed_network_may_call(cast, allow):
    allow("198.51.100.7", "192.0.2.0/24")
    client = cast.nordby.client()
    assert client.get(RECEIPTS, REMOTE_ADDR="192.0.2.77").status_code == 200
    assert client.get(RECEIPTS, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_an_address_outside_the_list_is_refused_with_ip_not_allowed(cast, allow):
    allow("192.0.2.0/24")
    response = cast.nordby.client().get(RECEIPTS, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "ip.not.allowed"
    assert "198.51.100.1" in response.json()["detail"]


def test_a_memo_from_outside_the_list_is_not_accepted(cast, allow):
    allow("192.0.2.0/24")
    message = cast.nordby.memo(cast.anna)
    refused = cast.nordby.submit(message, client=cast.nordby.client())  # the test client calls from 127.0.0.1
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "ip.not.allowed"
    allow("127.0.0.1")
    assert cast.nordby.submit(message).status_code == 201


def test_a_changed_list_applies_at_once_in_this_process(cast, allow):
    client = cast.nordby.client()
    assert client.get(RECEIPTS, REMOTE_ADDR="198.51.100.1").status_code == 200  # the system is cached now
    allow("192.0.2.0/24")
    assert client.get(RECEIPTS, REMOTE_ADDR="198.51.100.1").status_code == 403


def test_the_list_of_one_system_does_not_restrict_another(cast, allow):
    allow("192.0.2.0/24")
    assert cast.sydby.client().get(RECEIPTS, REMOTE_ADDR="198.51.100.1").status_code == 200


def test_ipv6_networks_and_ipv4_mapped_addresses_match(cast, allow):
    allow("2001:db8::/32", "192.0.2.10")
    client = cast.nordby.client()
    assert client.get(RECEIPTS, REMOTE_ADDR="2001:db8::1").status_code == 200
    assert client.get(RECEIPTS, REMOTE_ADDR="::ffff:192.0.2.10").status_code == 200
    assert client.get(RECEIPTS, REMOTE_ADDR="2001:db9::1").status_code == 403


def test_behind_a_trusted_proxy_the_last_forwarded_address_counts(cast, allow, settings):
    settings.DIGITALPOST_TRUSTED_PROXIES = [PROXY]
    allow("192.0.2.0/24")
    client = cast.nordby.client()
    # The client may claim anything in front; the proxy appends the address it saw.
    assert client.get(RECEIPTS, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.5").status_code == 200
    refused = client.get(RECEIPTS, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.5, 198.51.100.1")
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "ip.not.allowed"


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(cast, allow, settings):
    settings.DIGITALPOST_TRUSTED_PROXIES = [PROXY]
    allow("192.0.2.0/24")
    response = cast.nordby.client().get(RECEIPTS, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.5")
    assert response.status_code == 403


def test_an_unknown_token_is_still_refused_as_unauthenticated_not_by_address(cast, allow):
    allow("192.0.2.0/24")
    from django.test import Client

    response = Client(HTTP_AUTHORIZATION=f"Bearer dp_{new_uuid()}").get(RECEIPTS, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 401
