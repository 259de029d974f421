"""The certificates overview: every certificate of the organisation, colour-coded by days to expiry."""

from __future__ import annotations

import re

import pytest

from digitalpost.systems.services.receivers import create_secure_address, renew_secure_address_certificate
from digitalpost.systems.services.senders import create_secure_mail_sender
from helpers.systems_pki import NORDBY_ADDRESS, SystemsPki, trusted


@pytest.fixture
def pki(settings) -> SystemsPki:
    return trusted(settings)


def test_certificates_are_sorted_by_expiry_coloured_and_unused_ones_marked(staff, cast, pki):
    anchors = [pki.base.ca.certificate]
    receiver = create_secure_address(authority=cast.nordby.authority, email=NORDBY_ADDRESS,
                                     certificate_pem=pki.address_soon.certificate_pem, trust_anchors=anchors)
    create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar", trust_anchors=anchors,
                              certificate_pem=pki.sender.certificate_pem)
    create_secure_mail_sender(authority=cast.sydby.authority, name="Sydby svar", trust_anchors=anchors,
                              certificate_pem=pki.sender_sydby.certificate_pem)
    renew_secure_address_certificate(address=receiver.secure_address, trust_anchors=anchors,
                                     certificate_pem=pki.address.certificate_pem)

    response = staff.client(staff.nora).get(f"/portal/{cast.nordby.authority.cvr}/certificates/")
    body = response.content.decode()

    assert response.status_code == 200
    rows = re.findall(r'<tr data-sha256="([0-9a-f]+)" data-status="(\w+)">(.*?)</tr>', body, re.S)
    assert [(sha, status) for sha, status, _ in rows] == [
        (pki.address_soon.certificate.fingerprint, "critical"),
        (pki.sender.certificate.fingerprint, "warning"),
        (pki.address.certificate.fingerprint, "ok"),
    ]
    assert "unused" in rows[0][2]
    assert "Nordby svar" in rows[1][2]
    assert NORDBY_ADDRESS in rows[2][2]
    assert str(pki.sender.certificate.serial) in rows[1][2]
    assert pki.sender_sydby.certificate.fingerprint not in body


def test_the_overview_is_closed_to_intruders_and_caseworkers(staff, cast):
    url = f"/portal/{cast.nordby.authority.cvr}/certificates/"
    assert staff.client(staff.sofie).get(url).status_code == 404
    assert staff.client(staff.niels).get(url).status_code == 403
    assert staff.client(staff.otto).get(url).status_code == 200


def test_every_systems_list_renders_in_danish_too(staff, cast):
    client = staff.client(staff.nora, language="da")
    for area in ("secure-addresses", "sender-systems", "receiver-systems", "certificates"):
        response = client.get(f"/portal/{cast.nordby.authority.cvr}/{area}/")
        assert response.status_code == 200, area
        assert response.headers["Content-Language"] == "da"
