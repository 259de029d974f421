"""Certificates load from PEM, DER and PKCS#12, show their fields, and check_certificate names every problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from smime_support import Pki, openssl

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import (
    Certificate,
    CertificateRejected,
    Purpose,
    check_certificate,
    issue_certificate,
    load_certificate,
    load_certificates,
    load_crl,
    load_pkcs12,
    load_private_key,
    make_crl,
    make_dev_ca,
)


def codes(problems) -> list[ErrorCode]:  # type: ignore[no-untyped-def]
    return [p.code for p in problems]


def test_a_certificate_loads_from_pem_and_der_alike(pki: Pki):
    pem = pki.hub.issued.certificate_pem
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)

    assert load_certificate(pem) == load_certificate(der)
    assert load_certificates(pem + pki.ca.issued.certificate_pem) == [pki.hub.certificate, pki.ca.certificate]


def test_a_pkcs12_file_made_by_openssl_loads_with_its_key_and_chain(pki: Pki):
    p12 = openssl("pkcs12", "-export", "-in", pki.hub.cert_file, "-inkey", pki.hub.key_file,
                  "-certfile", pki.ca.cert_file, "-passout", "pass:hemmelig").stdout

    key, cert, chain = load_pkcs12(p12, "hemmelig")

    assert cert == pki.hub.certificate
    assert chain == (pki.ca.certificate,)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.private_numbers() == pki.hub.key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(DigitalPostError) as wrong:
        load_pkcs12(p12, "forkert")
    assert wrong.value.code == ErrorCode.CERTIFICATE_UNREADABLE


def test_an_encrypted_private_key_loads_with_its_password(pki: Pki):
    encrypted = openssl("pkey", "-in", pki.hub.key_file, "-aes256", "-passout", "pass:hemmelig").stdout

    assert load_private_key(encrypted, "hemmelig").private_numbers() == pki.hub.key.private_numbers()  # type: ignore[union-attr]


@pytest.mark.parametrize("data", [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_something_that_is_not_a_certificate_is_unreadable(data: bytes):
    for load in (load_certificate, load_private_key, load_crl):
        with pytest.raises(DigitalPostError) as refused:
            load(data)
        assert refused.value.code == ErrorCode.CERTIFICATE_UNREADABLE


def test_the_certificate_shows_the_fields_the_portal_needs(pki: Pki):
    cert = pki.sender.certificate

    assert cert.subject == "CN=Nordby sender,O=digitalpost development"
    assert cert.common_name == "Nordby sender"
    assert cert.issuer == "CN=Digital Post Dev CA,O=digitalpost development"
    assert cert.serial == 4242
    assert len(cert.fingerprint) == 64
    assert cert.fingerprint == openssl("x509", "-in", pki.sender.cert_file, "-noout", "-fingerprint", "-sha256") \
        .stdout.decode().split("=", 1)[1].strip().replace(":", "").lower()
    assert cert.not_before == pki.now
    assert cert.not_after == pki.now + timedelta(days=30)
    assert cert.not_before.tzinfo is not None
    assert cert.key_usages == {"digitalSignature", "keyEncipherment"}
    assert cert.extended_key_usages == {"emailProtection"}
    assert pki.client.certificate.extended_key_usages == {"clientAuth"}
    assert cert.emails == ("post@nordby.example",)
    assert cert.subject_key_identifier == x509.SubjectKeyIdentifier.from_public_key(
        cert.x509.public_key()).digest.hex()  # type: ignore[arg-type]
    assert not cert.is_ca
    assert pki.ca.certificate.is_ca


def test_subject_email_addresses_count_as_the_certificates_addresses():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Old style"),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, "Old@Nordby.example")])
    now = datetime(2024, 1, 1, tzinfo=UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("new@nordby.example"),
                                                        x509.RFC822Name("old@nordby.example")]), critical=False)
            .sign(key, hashes.SHA256()))

    assert Certificate.from_x509(cert).emails == ("new@nordby.example", "old@nordby.example")
    assert Certificate.from_x509(cert).key_usages == frozenset()


def test_days_left_counts_whole_days_and_goes_negative_after_expiry(pki: Pki):
    cert = pki.hub.certificate

    assert cert.days_left(pki.now) == 30
    assert cert.days_left(pki.now + timedelta(days=29, hours=23)) == 0
    assert cert.days_left(pki.now + timedelta(days=31)) == -1


def test_a_good_certificate_has_no_problem(pki: Pki):
    at = pki.now + timedelta(days=1)

    assert check_certificate(pki.hub.certificate, purpose=Purpose.EMAIL, trust_anchors=[pki.ca.certificate], at=at,
                             email="HUB@digitalpost.example") == []
    assert check_certificate(pki.client.certificate, purpose=Purpose.CLIENT_AUTH,
                             trust_anchors=[pki.ca.certificate], at=at) == []


def test_an_expired_certificate_is_expired_and_nothing_else(pki: Pki):
    ca = make_dev_ca("Long-lived CA", now=pki.now - timedelta(days=100), days=365)
    old = issue_certificate(ca, common_name="Old", now=pki.now - timedelta(days=10), days=5)

    problems = check_certificate(old.certificate, purpose=Purpose.EMAIL, trust_anchors=[ca.certificate], at=pki.now)

    assert codes(problems) == [ErrorCode.CERTIFICATE_EXPIRED]


def test_a_certificate_not_valid_yet_is_not_yet_valid(pki: Pki):
    future = issue_certificate(pki.ca.issued, common_name="Future", now=pki.now + timedelta(days=2), days=5)

    assert codes(check_certificate(future.certificate, purpose=Purpose.EMAIL, trust_anchors=[pki.ca.certificate],
                                   at=pki.now)) == [ErrorCode.CERTIFICATE_NOT_YET_VALID]


def test_a_certificate_from_another_issuer_is_untrusted(pki: Pki):
    problems = check_certificate(pki.twin.certificate, purpose=Purpose.EMAIL, trust_anchors=[pki.ca.certificate],
                                 at=pki.now)

    assert codes(problems) == [ErrorCode.CERTIFICATE_UNTRUSTED]
    assert codes(check_certificate(pki.twin.certificate, purpose=Purpose.EMAIL, trust_anchors=[], at=pki.now)) \
        == [ErrorCode.CERTIFICATE_UNTRUSTED]


def test_a_chain_through_an_intermediate_is_trusted_only_with_the_intermediate(pki: Pki):
    sub = make_dev_ca("Dev Sub CA", now=pki.now, days=30, issuer=pki.ca.issued)
    leaf = issue_certificate(sub, common_name="Leaf", now=pki.now, days=5).certificate
    anchors = [pki.ca.certificate]

    assert check_certificate(leaf, purpose=Purpose.EMAIL, trust_anchors=anchors, at=pki.now,
                             intermediates=[sub.certificate]) == []
    assert codes(check_certificate(leaf, purpose=Purpose.EMAIL, trust_anchors=anchors, at=pki.now)) \
        == [ErrorCode.CERTIFICATE_UNTRUSTED]


def test_a_pinned_self_signed_certificate_is_trusted(pki: Pki):
    ca = pki.other_ca.certificate  # any certificate equal to a trust anchor is trusted directly

    assert ErrorCode.CERTIFICATE_UNTRUSTED not in codes(
        check_certificate(ca, purpose=Purpose.EMAIL, trust_anchors=[ca], at=pki.now))


def test_a_revoked_certificate_is_revoked_only_by_a_crl_its_issuer_signed(pki: Pki):
    serial = pki.hub.certificate.serial
    crl = load_crl(make_crl(pki.ca.issued, [123, serial], pki.now))
    forged = load_crl(make_crl(pki.other_ca.issued, [serial], pki.now))
    check = {"purpose": Purpose.EMAIL, "trust_anchors": [pki.ca.certificate], "at": pki.now}

    assert codes(check_certificate(pki.hub.certificate, crls=[crl], **check)) == [ErrorCode.CERTIFICATE_REVOKED]  # type: ignore[arg-type]
    assert check_certificate(pki.hub.certificate, crls=[forged], **check) == []  # type: ignore[arg-type]
    assert check_certificate(pki.sender.certificate, crls=[crl], **check) == []  # type: ignore[arg-type]


def test_a_crl_made_by_openssl_loads(pki: Pki):
    der = openssl("crl", "-outform", "DER", stdin=make_crl(pki.ca.issued, [7], pki.now)).stdout

    assert load_crl(der).get_revoked_certificate_by_serial_number(7) is not None


def test_a_certificate_for_the_wrong_purpose_has_the_wrong_key_usage(pki: Pki):
    anchors = [pki.ca.certificate]

    assert codes(check_certificate(pki.client.certificate, purpose=Purpose.EMAIL, trust_anchors=anchors,
                                   at=pki.now)) == [ErrorCode.CERTIFICATE_KEY_USAGE]
    assert codes(check_certificate(pki.hub.certificate, purpose=Purpose.CLIENT_AUTH, trust_anchors=anchors,
                                   at=pki.now)) == [ErrorCode.CERTIFICATE_KEY_USAGE]
    signing_only = issue_certificate(pki.ca.issued, common_name="Sign only", now=pki.now, days=5,
                                     purposes=[Purpose.EMAIL_SIGNING]).certificate
    assert check_certificate(signing_only, purpose=Purpose.EMAIL_SIGNING, trust_anchors=anchors, at=pki.now) == []
    assert codes(check_certificate(signing_only, purpose=Purpose.EMAIL_ENCRYPTION, trust_anchors=anchors,
                                   at=pki.now)) == [ErrorCode.CERTIFICATE_KEY_USAGE]


def test_a_certificate_for_another_address_is_an_email_mismatch(pki: Pki):
    problems = check_certificate(pki.hub.certificate, purpose=Purpose.EMAIL, trust_anchors=[pki.ca.certificate],
                                 at=pki.now, email="someone@else.example")

    assert codes(problems) == [ErrorCode.CERTIFICATE_EMAIL_MISMATCH]
    assert "hub@digitalpost.example" in problems[0].text


def test_every_problem_is_reported_at_once(pki: Pki):
    both = issue_certificate(pki.other_ca.issued, common_name="Bad", now=pki.now - timedelta(days=10), days=5,
                             purposes=[Purpose.CLIENT_AUTH])
    crl = load_crl(make_crl(pki.other_ca.issued, [both.certificate.serial], pki.now))

    problems = check_certificate(both.certificate, purpose=Purpose.EMAIL, trust_anchors=[pki.ca.certificate],
                                 at=pki.now, crls=[crl], intermediates=[pki.other_ca.certificate],
                                 email="x@y.example")

    assert codes(problems) == [
        ErrorCode.CERTIFICATE_EXPIRED, ErrorCode.CERTIFICATE_UNTRUSTED, ErrorCode.CERTIFICATE_REVOKED,
        ErrorCode.CERTIFICATE_KEY_USAGE, ErrorCode.CERTIFICATE_EMAIL_MISMATCH,
    ]
    rejected = CertificateRejected(problems)
    assert rejected.code == ErrorCode.CERTIFICATE_EXPIRED
    assert "and 4 more" in rejected.detail
