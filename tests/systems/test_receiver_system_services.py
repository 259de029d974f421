"""Receiver systems: REST push (https only) and pull (token once), reactivation, and deletion only when unused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import (
    create_pull_receiver,
    create_push_receiver,
    create_secure_address,
    delete_receiver_system,
    reactivate_receiver_system,
    rotate_receiver_token,
)
from helpers.systems_pki import NORDBY_ADDRESS

PULL = "/apis/v1/receiving/memos"


def pulls(token: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(PULL).status_code


def test_a_push_receiver_needs_an_https_endpoint(cast):
    with pytest.raises(DigitalPostError) as refused:
        create_push_receiver(authority=cast.nordby.authority, name="ESDH", endpoint_url="http://esdh.nordby.dk/in")
    assert refused.value.code == ErrorCode.REQUEST_INVALID
    receiver = create_push_receiver(authority=cast.nordby.authority, name="ESDH",
                                    endpoint_url=" https://esdh.nordby.dk/in ")
    assert receiver.endpoint_url == "https://esdh.nordby.dk/in"
    entry = AuditEntry.objects.get(action="receiver_system.created")
    assert entry.after["endpoint_url"] == "https://esdh.nordby.dk/in"


def test_a_pull_token_is_rotated_and_the_old_one_stops_at_once(cast):
    receiver, old = create_pull_receiver(authority=cast.nordby.authority, name="ESDH")
    assert pulls(old) == 200
    new = rotate_receiver_token(receiver=receiver)
    assert pulls(old) == 401
    assert pulls(new) == 200
    assert AuditEntry.objects.filter(action="receiver_system.token_rotated", object_id=str(receiver.pk)).exists()


def test_a_push_receiver_has_no_token_to_rotate(cast):
    receiver = create_push_receiver(authority=cast.nordby.authority, name="ESDH", endpoint_url="https://esdh.dk/")
    with pytest.raises(DigitalPostError) as refused:
        rotate_receiver_token(receiver=receiver)
    assert refused.value.code == ErrorCode.REQUEST_INVALID


def test_reactivation_clears_the_failure_and_is_logged(cast):
    receiver = create_push_receiver(authority=cast.nordby.authority, name="ESDH", endpoint_url="https://esdh.dk/")
    failed_at = timezone.now()
    ReceiverSystem.objects.filter(pk=receiver.pk).update(is_active=False, failing_since=failed_at,
                                                         deactivated_at=failed_at)
    reactivate_receiver_system(receiver=receiver)
    receiver.refresh_from_db()
    assert (receiver.is_active, receiver.failing_since, receiver.deactivated_at) == (True, None, None)
    entry = AuditEntry.objects.get(action="receiver_system.reactivated")
    assert entry.before["is_active"] is False
    assert entry.before["deactivated_at"] is not None
    assert entry.after["deactivated_at"] is None


def test_a_receiver_that_mailboxes_use_cannot_be_deleted(cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="ESDH")
    create_mailbox(authority=cast.nordby.authority, name="Byggesager", receiver_system=receiver)
    with pytest.raises(DigitalPostError) as refused:
        delete_receiver_system(receiver=receiver)
    assert refused.value.code == ErrorCode.RECEIVER_SYSTEM_IN_USE
    assert refused.value.detail == "Byggesager"
    assert ReceiverSystem.objects.filter(pk=receiver.pk).exists()


def test_an_unused_receiver_is_deleted_and_logged(cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="ESDH")
    delete_receiver_system(receiver=receiver)
    assert not ReceiverSystem.objects.filter(pk=receiver.pk).exists()
    entry = AuditEntry.objects.get(action="receiver_system.deleted")
    assert entry.before["name"] == "ESDH"
    assert entry.after is None


def test_a_secure_address_receiver_goes_only_with_its_address(cast, pki, anchors):
    receiver = create_secure_address(authority=cast.nordby.authority, email=NORDBY_ADDRESS,
                                     certificate_pem=pki.address.certificate_pem, trust_anchors=anchors)
    with pytest.raises(DigitalPostError) as refused:
        delete_receiver_system(receiver=receiver)
    assert refused.value.code == ErrorCode.REQUEST_INVALID
    assert ReceiverSystem.objects.filter(pk=receiver.pk).exists()


def test_receiver_names_are_unique_within_an_organisation(cast):
    create_pull_receiver(authority=cast.nordby.authority, name="ESDH")
    with pytest.raises(DigitalPostError) as refused:
        create_push_receiver(authority=cast.nordby.authority, name="esdh", endpoint_url="https://esdh.dk/")
    assert refused.value.code == ErrorCode.NAME_TAKEN
