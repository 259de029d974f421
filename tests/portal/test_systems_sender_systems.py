"""Sender system pages: the list with its flags, tokens shown once, rotation, certificates, IP lists, standard."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from digitalpost.audit.models import AuditEntry
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services.senders import create_secure_mail_sender, create_sender_system
from helpers.systems_pki import SystemsPki, trusted


@pytest.fixture
def pki(settings) -> SystemsPki:
    return trusted(settings)


def base(cvr: str) -> str:
    return f"/portal/{cvr}/sender-systems/"


def shown_token(body: str) -> str:
    (token,) = re.findall(r'<p class="secret"[^>]*>(dp_[^<]+)</p>', body)
    return token


def memo_status(cast, token: str) -> int:
    message = cast.nordby.memo(cast.anna)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return cast.nordby.submit(message, client=client).status_code


def test_the_list_shows_channel_standard_token_age_allowlist_and_flags_unsigned_replies(staff, cast):
    SenderSystem.objects.filter(pk=cast.nordby.system.pk).update(ip_allowlist=["192.0.2.0/24"])
    response = staff.client(staff.nora).get(base(cast.nordby.authority.cvr))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nordby fjernprint" in body
    assert "192.0.2.0/24" in body
    assert "0 days" in body  # token age
    assert 'data-finding="standard.sender.system.cannot.sign"' in body  # the standard one is REST: cannot sign
    assert "Sydby" not in body


def test_the_list_flags_an_organisation_without_standard_system(staff, cast):
    SenderSystem.objects.filter(pk=cast.nordby.system.pk).update(is_standard=False)
    body = staff.client(staff.nora).get(base(cast.nordby.authority.cvr)).content.decode()
    assert 'data-finding="standard.sender.system.required"' in body


def test_a_new_rest_system_shows_its_token_once_and_the_token_works(staff, cast):
    client = staff.client(staff.nora)
    response = client.post(base(cast.nordby.authority.cvr) + "new/", {"name": "Nordby ESDH", "channel": "REST"})
    assert response.status_code == 200
    token = shown_token(response.content.decode())
    system = SenderSystem.objects.get(name="Nordby ESDH")
    assert not system.is_standard
    assert memo_status(cast, token) == 201
    detail = client.get(f"{base(cast.nordby.authority.cvr)}{system.pk}/").content.decode()
    assert token not in detail


def test_a_secure_mail_system_needs_a_certificate(staff, cast, pki):
    response = staff.client(staff.nora).post(base(cast.nordby.authority.cvr) + "new/",
                                             {"name": "Nordby svar", "channel": "SECURE_MAIL"})
    assert response.status_code == 400
    assert "sender.certificate.required" in response.content.decode()
    assert not SenderSystem.objects.filter(name="Nordby svar").exists()


def test_a_new_standard_secure_mail_system_takes_over_the_flag(staff, cast, pki):
    response = staff.client(staff.nora).post(base(cast.nordby.authority.cvr) + "new/", {
        "name": "Nordby svar", "channel": "SECURE_MAIL", "is_standard": "on",
        "certificate": SimpleUploadedFile("sender.pem", pki.sender.certificate_pem),
    })
    assert response.status_code == 302
    assert list(SenderSystem.objects.filter(authority=cast.nordby.authority, is_standard=True)
                .values_list("name", flat=True)) == ["Nordby svar"]
    body = staff.client(staff.nora).get(base(cast.nordby.authority.cvr)).content.decode()
    assert "data-finding" not in body


def test_rotating_the_token_on_the_page_stops_the_old_token_at_once(staff, cast):
    old = cast.nordby.token
    assert memo_status(cast, old) == 201  # cached in this process now
    response = staff.client(staff.nora).post(f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/token/")
    assert response.status_code == 200
    new = shown_token(response.content.decode())
    assert memo_status(cast, old) == 401
    assert memo_status(cast, new) == 201
    assert AuditEntry.objects.filter(action="sender_system.token_rotated", actor_label="nora").exists()


def test_rotation_needs_a_post(staff, cast):
    url = f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/token/"
    assert staff.client(staff.nora).get(url).status_code == 405


def test_an_invalid_allowlist_entry_is_named_on_the_page(staff, cast):
    url = f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/ip-allowlist/"
    response = staff.client(staff.nora).post(url, {"allowlist": "192.0.2.1\nnordby.dk\n"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "ip.allowlist.invalid" in body
    assert "nordby.dk" in body
    saved = staff.client(staff.nora).post(url, {"allowlist": "192.0.2.1\n198.51.100.0/24\n"})
    assert saved.status_code == 302
    assert SenderSystem.objects.get(pk=cast.nordby.system.pk).ip_allowlist == ["192.0.2.1", "198.51.100.0/24"]


def test_a_certificate_is_renewed_through_an_upload(staff, cast, pki):
    system = create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar",
                                       certificate_pem=pki.sender.certificate_pem,
                                       trust_anchors=[pki.base.ca.certificate])
    url = f"{base(cast.nordby.authority.cvr)}{system.pk}/certificate/"
    refused = staff.client(staff.nora).post(url, {"certificate": SimpleUploadedFile("x.pem", pki.base.stranger.pem)})
    assert refused.status_code == 400
    assert "certificate.untrusted" in refused.content.decode()
    renewed = staff.client(staff.nora).post(url, {
        "certificate": SimpleUploadedFile("new.pem", pki.sender_renewed.certificate_pem)})
    assert renewed.status_code == 302
    assert SenderSystem.objects.get(pk=system.pk).certificate.sha256 == pki.sender_renewed.certificate.fingerprint


def test_make_standard_and_the_standard_systems_deactivation_refusal(staff, cast):
    other = create_sender_system(authority=cast.nordby.authority, name="Nordby ESDH").system
    client = staff.client(staff.nora)
    refused = client.post(f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/deactivate/")
    assert refused.status_code == 409
    assert "standard.sender.system.removal" in refused.content.decode()
    assert client.post(f"{base(cast.nordby.authority.cvr)}{other.pk}/standard/").status_code == 302
    assert SenderSystem.objects.get(pk=other.pk).is_standard
    assert client.post(f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/deactivate/").status_code == 302
    assert not SenderSystem.objects.get(pk=cast.nordby.system.pk).is_active
    assert memo_status(cast, cast.nordby.token) == 401


def edit_urls(cvr: str, system_id) -> list[tuple[str, str]]:
    root = f"{base(cvr)}{system_id}/"
    return [("get", base(cvr) + "new/"), ("post", root + "token/"), ("get", root + "certificate/"),
            ("get", root + "ip-allowlist/"), ("post", root + "standard/"), ("post", root + "deactivate/"),
            ("post", root + "activate/")]


def test_the_intruder_gets_404_for_nordby_and_for_nordby_ids_under_its_own_organisation(staff, cast):
    client = staff.client(staff.sofie)
    nordby, sydby, system = cast.nordby.authority.cvr, cast.sydby.authority.cvr, cast.nordby.system.pk
    assert client.get(base(nordby)).status_code == 404
    assert client.get(f"{base(nordby)}{system}/").status_code == 404
    assert client.get(f"{base(sydby)}{system}/").status_code == 404
    for method, url in edit_urls(nordby, system) + edit_urls(sydby, system)[1:]:
        assert getattr(client, method)(url).status_code == 404, url
    unchanged = SenderSystem.objects.get(pk=system)
    assert (unchanged.is_active, unchanged.is_standard) == (True, True)
    assert unchanged.token_sha256 == cast.nordby.system.token_sha256


def test_a_caseworker_gets_403_on_every_sender_system_page(staff, cast):
    client = staff.client(staff.niels)
    nordby, system = cast.nordby.authority.cvr, cast.nordby.system.pk
    assert client.get(base(nordby)).status_code == 403
    assert client.get(f"{base(nordby)}{system}/").status_code == 403
    for method, url in edit_urls(nordby, system):
        assert getattr(client, method)(url).status_code == 403, url


def test_the_operator_reads_but_cannot_rotate(staff, cast):
    client = staff.client(staff.otto)
    nordby, system = cast.nordby.authority.cvr, cast.nordby.system.pk
    assert client.get(f"{base(nordby)}{system}/").status_code == 200
    assert client.post(f"{base(nordby)}{system}/token/").status_code == 403


def test_a_receipt_push_endpoint_is_added_with_its_secret_shown_once_paused_and_reactivated(staff, cast):
    client = staff.client(staff.nora)
    page = f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/"
    added = client.post(f"{page}push-endpoints/new/", {"url": "https://esdh.nordby.example/receipts",
                                                        "signing": "HMAC", "event_types": ["delivered", "read"]})
    assert added.status_code == 200
    (secret,) = re.findall(r'<p class="secret" data-testid="push-secret">([^<]+)</p>', added.content.decode())
    endpoint = cast.nordby.system.push_endpoints.get()
    assert (endpoint.url, endpoint.event_types, endpoint.hmac_secret) == (
        "https://esdh.nordby.example/receipts", ["delivered", "read"], secret)
    shown = client.get(page).content.decode()
    assert "https://esdh.nordby.example/receipts" in shown
    assert secret not in shown
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "push_endpoint.created"
    assert secret not in str(entry.after)

    assert client.post(f"{page}push-endpoints/{endpoint.pk}/active/", {"active": "0"}).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert client.post(f"{page}push-endpoints/{endpoint.pk}/active/", {"active": "1"}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert [e.action for e in AuditEntry.objects.order_by("-seq")[:2]] == ["push_endpoint.reactivated",
                                                                           "push_endpoint.deactivated"]


def test_a_push_endpoint_must_be_https_and_other_organisations_cannot_touch_it(staff, cast):
    page = f"{base(cast.nordby.authority.cvr)}{cast.nordby.system.pk}/"
    refused = staff.client(staff.nora).post(f"{page}push-endpoints/new/", {"url": "http://esdh.nordby.example/r",
                                                                           "signing": "HMAC"})
    assert refused.status_code == 400
    assert "https" in refused.content.decode()
    assert not cast.nordby.system.push_endpoints.exists()
    other = staff.client(staff.sofie).post(f"{page}push-endpoints/new/", {"url": "https://x.example/r",
                                                                           "signing": "HMAC"})
    assert other.status_code == 404
    assert not cast.nordby.system.push_endpoints.exists()
