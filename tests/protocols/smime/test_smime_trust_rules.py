"""Chains follow S/MIME rules, not the Web PKI's: what a CA must say, what an end entity need not carry, and
a chain refused only for SHA-1 says so."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from smime_support import Party, Pki, openssl

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.smime import (
    Certificate,
    Purpose,
    check_certificate,
    issue_certificate,
    load_certificate,
    load_private_key,
    make_dev_ca,
    sha1_in_chain,
)


def certificate(pki: Pki, name: str, issuer: x509.Certificate, issuer_key: rsa.RSAPrivateKey,
                key: rsa.RSAPrivateKey, *, ca: bool | None, critical: bool = False) -> Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(pki.now - timedelta(days=1))
        .not_valid_after(pki.now + timedelta(days=10))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=critical)
    return Certificate.from_x509(builder.sign(issuer_key, hashes.SHA256()))


def chain_of(pki: Pki, *, ca: bool | None, critical: bool = False) -> tuple[Certificate, Certificate]:
    """(leaf without any extension, intermediate with the given basicConstraints) under the dev CA."""
    root_key = pki.ca.key
    assert isinstance(root_key, rsa.RSAPrivateKey)
    middle_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    middle = certificate(pki, "Intermediate", pki.ca.certificate.x509, root_key, middle_key, ca=ca,
                         critical=critical)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = certificate(pki, "Leaf", middle.x509, middle_key, leaf_key, ca=None)
    return leaf, middle


def check(pki: Pki, leaf: Certificate, middle: Certificate) -> list[ErrorCode]:
    at = max(pki.now, leaf.not_before)  # openssl-made certificates start at the real clock
    return [p.code for p in check_certificate(leaf, purpose=Purpose.EMAIL_SIGNING, trust_anchors=[pki.ca.certificate],
                                              at=at, intermediates=[middle])]


def test_an_intermediate_with_non_critical_ca_true_is_accepted(pki: Pki):
    leaf, middle = chain_of(pki, ca=True, critical=False)

    assert check(pki, leaf, middle) == []


def test_an_intermediate_without_basic_constraints_or_with_ca_false_is_not_a_ca(pki: Pki):
    for ca in (None, False):
        leaf, middle = chain_of(pki, ca=ca, critical=True)

        assert check(pki, leaf, middle) == [ErrorCode.CERTIFICATE_UNTRUSTED]


def sha1_signed(pki: Pki, name: str, issuer: str, *, ca: bool) -> Party:
    """A certificate the real openssl signs with SHA-1 (cryptography no longer signs with SHA-1)."""
    key_file, csr = pki.folder / f"{name}.key", pki.folder / f"{name}.csr"
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key_file, "-out", csr, "-subj", f"/CN={name}")
    extensions = pki.file(f"{name}.ext", b"basicConstraints=CA:TRUE\n" if ca else b"keyUsage=digitalSignature\n")
    cert_file = pki.folder / f"{name}.pem"
    openssl("x509", "-req", "-sha1", "-in", csr, "-CA", pki.folder / f"{issuer}.pem", "-CAkey",
            pki.folder / f"{issuer}.key", "-CAcreateserial", "-days", "5", "-extfile", extensions, "-out", cert_file)
    certificate = load_certificate(cert_file.read_bytes())
    return Party(pki.ca.issued, cert_file, key_file, certificate, load_private_key(key_file.read_bytes()))


def test_a_chain_signed_with_sha1_is_refused_for_sha1_naming_the_link(pki: Pki):
    middle = sha1_signed(pki, "Sha1Intermediate", "ca", ca=True)
    leaf = sha1_signed(pki, "Sha1Leaf", "Sha1Intermediate", ca=False)

    assert check(pki, leaf.certificate, middle.certificate) == [ErrorCode.CERTIFICATE_CHAIN_SHA1]
    assert sha1_in_chain(leaf.certificate, [pki.ca.certificate], [middle.certificate]) \
        == "CN=Sha1Leaf is signed with SHA-1 by CN=Sha1Intermediate"


def test_a_sha1_link_that_leads_to_no_anchor_is_merely_untrusted(pki: Pki):
    middle = sha1_signed(pki, "Sha1Middle", "ca", ca=True)
    leaf = sha1_signed(pki, "Sha1End", "Sha1Middle", ca=False)
    other = make_dev_ca("Unrelated CA", now=pki.now, days=5)

    problems = check_certificate(leaf.certificate, purpose=Purpose.EMAIL_SIGNING, trust_anchors=[other.certificate],
                                 at=leaf.certificate.not_before, intermediates=[middle.certificate])

    assert [p.code for p in problems] == [ErrorCode.CERTIFICATE_UNTRUSTED]


def test_a_pinned_certificate_may_say_ca_true_like_openssl_req_x509_makes_it(pki: Pki):
    pinned = make_dev_ca("Nordby self-signed", now=pki.now, days=5)

    assert check_certificate(pinned.certificate, purpose=Purpose.EMAIL_SIGNING, trust_anchors=[pinned.certificate],
                             at=pki.now) == []


def test_an_unpinned_ca_certificate_is_still_no_signer(pki: Pki):
    sub = make_dev_ca("Sub CA", now=pki.now, days=5, issuer=pki.ca.issued)

    problems = check_certificate(sub.certificate, purpose=Purpose.EMAIL_SIGNING, trust_anchors=[pki.ca.certificate],
                                 at=pki.now)

    assert [p.code for p in problems] == [ErrorCode.CERTIFICATE_KEY_USAGE]


def test_an_issued_certificate_still_passes(pki: Pki):
    issued = issue_certificate(pki.ca.issued, common_name="x", now=pki.now, days=1)

    assert check_certificate(issued.certificate, purpose=Purpose.EMAIL, trust_anchors=[pki.ca.certificate],
                             at=pki.now) == []
