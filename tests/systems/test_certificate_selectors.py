"""The certificates overview: every certificate with its users, days left and colour, soonest expiry first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.systems.selectors import expiry_status, list_certificates
from digitalpost.systems.services.receivers import create_secure_address, renew_secure_address_certificate
from digitalpost.systems.services.senders import create_secure_mail_sender
from helpers.systems_pki import NORDBY_ADDRESS


@pytest.mark.parametrize(("days", "status"), [(-1, "critical"), (0, "critical"), (14, "critical"), (15, "warning"),
                                              (60, "warning"), (61, "ok")])
def test_expiry_colours(days, status):
    assert expiry_status(days) == status


def test_certificates_are_listed_with_users_and_the_old_one_as_unused_after_renewal(cast, pki, anchors):
    receiver = create_secure_address(authority=cast.nordby.authority, email=NORDBY_ADDRESS,
                                     certificate_pem=pki.address_soon.certificate_pem, trust_anchors=anchors)
    create_secure_mail_sender(authority=cast.nordby.authority, name="Nordby svar", trust_anchors=anchors,
                              certificate_pem=pki.sender.certificate_pem)
    create_secure_mail_sender(authority=cast.sydby.authority, name="Sydby svar", trust_anchors=anchors,
                              certificate_pem=pki.sender_sydby.certificate_pem)
    renew_secure_address_certificate(address=receiver.secure_address, trust_anchors=anchors,
                                     certificate_pem=pki.address.certificate_pem)

    listed = list_certificates(cast.nordby.authority, at=timezone.now())

    assert [(c.certificate.sha256, c.used_by, c.status) for c in listed] == [
        (pki.address_soon.certificate.fingerprint, (), "critical"),
        (pki.sender.certificate.fingerprint, (("sender_system", "Nordby svar"),), "warning"),
        (pki.address.certificate.fingerprint, (("secure_address", NORDBY_ADDRESS),), "ok"),
    ]
    later = list_certificates(cast.nordby.authority, at=timezone.now() + timedelta(days=20))
    assert later[0].is_expired
