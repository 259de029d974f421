"""Receiver system pages: kinds, status and users at a glance; push and pull set-up, reactivation, deletion."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import create_pull_receiver, create_push_receiver

PULL = "/apis/v1/receiving/memos"


def base(cvr: str) -> str:
    return f"/portal/{cvr}/receiver-systems/"


def shown_token(body: str) -> str:
    (token,) = re.findall(r'<p class="secret"[^>]*>(dp_[^<]+)</p>', body)
    return token


def pulls(token: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(PULL).status_code


def test_the_list_shows_kind_status_and_the_mailboxes_using_each(staff, cast):
    push = create_push_receiver(authority=cast.nordby.authority, name="Nordby ESDH", endpoint_url="https://esdh.dk/in")
    create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    create_pull_receiver(authority=cast.sydby.authority, name="Sydby arkiv")
    create_mailbox(authority=cast.nordby.authority, name="Byggesager", receiver_system=push)
    failing = timezone.now()
    ReceiverSystem.objects.filter(pk=push.pk).update(failing_since=failing)

    body = staff.client(staff.nora).get(base(cast.nordby.authority.cvr)).content.decode()

    assert "https://esdh.dk/in" in body
    assert "Byggesager" in body
    assert f"failing since {timezone.localtime(failing):%Y-%m-%d %H:%M}" in body
    assert "Nordby arkiv" in body
    assert "Sydby arkiv" not in body


def test_a_push_receiver_without_https_is_refused_on_the_page(staff, cast):
    response = staff.client(staff.nora).post(base(cast.nordby.authority.cvr) + "new-push/",
                                             {"name": "ESDH", "endpoint_url": "http://esdh.dk/in"})
    assert response.status_code == 400
    assert "request.invalid" in response.content.decode()
    assert not ReceiverSystem.objects.filter(name="ESDH").exists()
    saved = staff.client(staff.nora).post(base(cast.nordby.authority.cvr) + "new-push/",
                                          {"name": "ESDH", "endpoint_url": "https://esdh.dk/in"})
    assert saved.status_code == 302


def test_a_pull_receiver_token_is_shown_once_and_rotation_replaces_it(staff, cast):
    client = staff.client(staff.nora)
    created = client.post(base(cast.nordby.authority.cvr) + "new-pull/", {"name": "Nordby arkiv"})
    assert created.status_code == 200
    first = shown_token(created.content.decode())
    assert pulls(first) == 200
    receiver = ReceiverSystem.objects.get(name="Nordby arkiv")
    rotated = client.post(f"{base(cast.nordby.authority.cvr)}{receiver.pk}/token/")
    second = shown_token(rotated.content.decode())
    assert pulls(first) == 401
    assert pulls(second) == 200
    assert first not in client.get(base(cast.nordby.authority.cvr)).content.decode()


def test_a_deactivated_receiver_is_reactivated_from_the_list(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    ReceiverSystem.objects.filter(pk=receiver.pk).update(is_active=False, deactivated_at=timezone.now(),
                                                         failing_since=timezone.now())
    client = staff.client(staff.nora)
    assert "deactivated at" in client.get(base(cast.nordby.authority.cvr)).content.decode()
    assert client.post(f"{base(cast.nordby.authority.cvr)}{receiver.pk}/reactivate/").status_code == 302
    receiver.refresh_from_db()
    assert (receiver.is_active, receiver.failing_since, receiver.deactivated_at) == (True, None, None)
    assert AuditEntry.objects.filter(action="receiver_system.reactivated", actor_label="nora").exists()


def test_deleting_a_receiver_in_use_is_refused_naming_the_mailboxes(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    create_mailbox(authority=cast.nordby.authority, name="Byggesager", receiver_system=receiver)
    client = staff.client(staff.nora)
    url = f"{base(cast.nordby.authority.cvr)}{receiver.pk}/delete/"
    assert "Byggesager" in client.get(url).content.decode()
    refused = client.post(url)
    assert refused.status_code == 409
    assert "receiver.system.in.use" in refused.content.decode()
    assert "Byggesager" in refused.content.decode()
    assert ReceiverSystem.objects.filter(pk=receiver.pk).exists()


def test_an_unused_receiver_is_deleted(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    response = staff.client(staff.nora).post(f"{base(cast.nordby.authority.cvr)}{receiver.pk}/delete/")
    assert response.status_code == 302
    assert not ReceiverSystem.objects.filter(pk=receiver.pk).exists()


def urls(cvr: str, receiver_id) -> list[tuple[str, str]]:
    root = f"{base(cvr)}{receiver_id}/"
    return [("get", base(cvr) + "new-push/"), ("get", base(cvr) + "new-pull/"), ("post", root + "token/"),
            ("post", root + "reactivate/"), ("get", root + "delete/"), ("post", root + "delete/")]


def test_the_intruder_gets_404_for_nordby_and_for_nordby_ids_under_its_own_organisation(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    client = staff.client(staff.sofie)
    nordby, sydby = cast.nordby.authority.cvr, cast.sydby.authority.cvr
    assert client.get(base(nordby)).status_code == 404
    for method, url in urls(nordby, receiver.pk) + urls(sydby, receiver.pk)[2:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert ReceiverSystem.objects.filter(pk=receiver.pk).exists()


def test_a_caseworker_gets_403_on_every_receiver_page(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    client = staff.client(staff.niels)
    assert client.get(base(cast.nordby.authority.cvr)).status_code == 403
    for method, url in urls(cast.nordby.authority.cvr, receiver.pk):
        assert getattr(client, method)(url).status_code == 403, url
