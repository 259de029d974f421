"""Whether to trust a certificate for mail or the REST interface: chain, validity, revocation, usage, address.

`check_certificate` returns EVERY problem at once (expired, not yet valid, untrusted chain, chain signed with
SHA-1, revoked, wrong key usage, e-mail mismatch) so the admin portal can show them together. Chains are
validated with S/MIME rules (RFC 5280, RFC 8550), not the Web PKI's: CAs need CA:TRUE but not a critical
basicConstraints, end entities need no AKI or SAN, intermediates may come from the signature itself, and a
pinned certificate (itself a trust anchor) is trusted directly. The clock, trust anchors, intermediates and CRLs
are parameters. Not for: fetching CRLs or OCSP over the network, or deciding which certificate is registered to
which sender system.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.smime.certificates import Certificate, Problem, Purpose


def check_certificate(
    cert: Certificate,
    *,
    purpose: Purpose,
    trust_anchors: Sequence[Certificate],
    at: datetime,
    intermediates: Sequence[Certificate] = (),
    crls: Sequence[x509.CertificateRevocationList] = (),
    email: str | None = None,
) -> list[Problem]:
    """Every problem with `cert` for `purpose` at time `at`; an empty list means it is good to use.

    A trust anchor equal to `cert` itself (a pinned, possibly self-signed certificate) trusts it directly.
    CRLs count only when signed by the certificate's issuer; their nextUpdate is not enforced.
    """
    problems: list[Problem] = []
    if at < cert.not_before:
        problems.append(Problem(ErrorCode.CERTIFICATE_NOT_YET_VALID,
                                f"valid from {cert.not_before:%Y-%m-%d %H:%M} UTC"))
    if at > cert.not_after:
        problems.append(Problem(ErrorCode.CERTIFICATE_EXPIRED, f"expired {cert.not_after:%Y-%m-%d %H:%M} UTC"))

    # Validity is reported above on its own; the chain is judged at a moment the certificate was valid, so an
    # expired certificate from a trusted issuer is "expired", not also "untrusted".
    chain_time = min(max(at, cert.not_before), cert.not_after)
    chain, why = _chain(cert, trust_anchors, intermediates, chain_time)
    if chain is None:
        sha1 = sha1_in_chain(cert, trust_anchors, intermediates)
        problems.append(Problem(ErrorCode.CERTIFICATE_CHAIN_SHA1, sha1) if sha1 else
                        Problem(ErrorCode.CERTIFICATE_UNTRUSTED, why))
        issuers = [c.x509 for c in (*intermediates, *trust_anchors)]
        revoked = [_revoked(cert.x509, issuers, crls)]
    else:  # the leaf and every intermediate, each against a CRL its own issuer signed
        revoked = [_revoked(c, [issuer], crls) for c, issuer in itertools.pairwise(chain)]
    if any(revoked):
        problems.append(Problem(ErrorCode.CERTIFICATE_REVOKED, "; ".join(r for r in revoked if r)))
    is_pinned = any(a.fingerprint == cert.fingerprint for a in trust_anchors)
    problems.extend(_usage_problems(cert, purpose, is_pinned=is_pinned))
    if email is not None and email.casefold() not in {e.casefold() for e in cert.emails}:
        held = ", ".join(cert.emails) or "no e-mail address"
        problems.append(Problem(ErrorCode.CERTIFICATE_EMAIL_MISMATCH, f"expected {email}; the certificate has {held}"))
    return problems


def _chain(
    cert: Certificate, anchors: Sequence[Certificate], intermediates: Sequence[Certificate], at: datetime
) -> tuple[list[x509.Certificate] | None, str]:
    if any(a.fingerprint == cert.fingerprint for a in anchors):
        return [cert.x509], ""
    if not anchors:
        return None, "no trust anchors are configured"
    # cryptography's RFC 5280 path builder with S/MIME rules (RFC 5280, RFC 8550), not the Web PKI's: CAs must
    # say CA:TRUE but need not mark basicConstraints critical; end entities need no AKI or SAN (real S/MIME
    # certificates often carry no extensions at all). The leaf's usages are checked by _usage_problems instead
    # (permit_all for the end entity) so a wrong usage is reported as such and not as an untrusted chain.
    verifier = (
        PolicyBuilder()
        .store(Store([a.x509 for a in anchors]))
        .time(at)
        .extension_policies(ca_policy=SMIME_CA_POLICY, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    try:
        return verifier.verify(cert.x509, [i.x509 for i in intermediates]).chain, ""
    except VerificationError as error:
        return None, f"no valid chain from {cert.issuer} to a trust anchor: {error}"


def _require_ca(_policy: Policy, _cert: x509.Certificate, value: x509.BasicConstraints) -> None:
    if not value.ca:
        raise ValueError("basicConstraints does not say CA:TRUE")


def _may_sign_certificates(_policy: Policy, _cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    if value is not None and not value.key_cert_sign:
        raise ValueError("keyUsage lacks keyCertSign")


# The extension policy for CA certificates in S/MIME chains (RFC 5280 §4.2.1.9 and §4.2.1.3, RFC 8550).
SMIME_CA_POLICY = (
    ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _require_ca)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _may_sign_certificates)
)
_WEAK_HASHES = (hashes.SHA1, hashes.MD5)


def sha1_in_chain(
    cert: Certificate, anchors: Sequence[Certificate], intermediates: Sequence[Certificate] = ()
) -> str:
    """Which link of the chain from `cert` to a trust anchor is signed with SHA-1 (or MD5); "" when none is.

    cryptography's verifier refuses such signatures without saying so; this walks the chain by name and
    checks each signature with the public-key primitives (which still verify SHA-1) to name the cause.
    """
    current, weak = cert.x509, ""
    for _ in range(8):
        if any(a.x509 == current for a in anchors):
            return weak
        issuer = next((c.x509 for c in (*anchors, *intermediates) if _issued(current, c.x509)), None)
        if issuer is None:
            return ""  # no chain to an anchor at all: untrusted, whatever the hashes
        if not weak and isinstance(current.signature_hash_algorithm, _WEAK_HASHES):
            name = current.signature_hash_algorithm.name.upper().replace("SHA", "SHA-")
            weak = f"{current.subject.rfc4514_string()} is signed with {name} by {issuer.subject.rfc4514_string()}"
        if any(a.x509 == issuer for a in anchors):
            return weak
        current = issuer
    return ""


def _issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `cert`, checked directly so that SHA-1 signatures count too."""
    if cert.issuer != issuer.subject or cert.signature_hash_algorithm is None:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _revoked(
    cert: x509.Certificate, issuers: Sequence[x509.Certificate], crls: Sequence[x509.CertificateRevocationList]
) -> str:
    for crl in crls:
        if crl.issuer != cert.issuer:
            continue
        for issuer in issuers:
            if issuer.subject != cert.issuer:
                continue
            public_key = issuer.public_key()
            if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
                continue
            if not crl.is_signature_valid(public_key):
                continue
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                return (f"serial {cert.serial_number:x} revoked by {cert.issuer.rfc4514_string()} "
                        f"on {entry.revocation_date_utc:%Y-%m-%d}")
    return ""


_REQUIRED_EKU = {
    Purpose.EMAIL: "emailProtection",
    Purpose.EMAIL_SIGNING: "emailProtection",
    Purpose.EMAIL_ENCRYPTION: "emailProtection",
    Purpose.CLIENT_AUTH: "clientAuth",
}
# Each inner tuple: at least one of these keyUsage bits must be set (when the extension is present).
_REQUIRED_KU: dict[Purpose, tuple[tuple[str, ...], ...]] = {
    Purpose.EMAIL: (("digitalSignature", "nonRepudiation"), ("keyEncipherment",)),
    Purpose.EMAIL_SIGNING: (("digitalSignature", "nonRepudiation"),),
    Purpose.EMAIL_ENCRYPTION: (("keyEncipherment",),),
    Purpose.CLIENT_AUTH: (("digitalSignature",),),
}


def _usage_problems(cert: Certificate, purpose: Purpose, *, is_pinned: bool) -> list[Problem]:
    """RFC 5280: an absent keyUsage / extendedKeyUsage extension does not restrict the key.

    A pinned certificate (itself a trust anchor) may say CA:TRUE: `openssl req -x509` and gpgsm's test keys do.
    """
    wrong: list[str] = []
    if cert.is_ca and not is_pinned:
        wrong.append("it is a CA certificate, not an end-entity certificate")
    eku = _REQUIRED_EKU[purpose]
    if cert.has_extended_key_usage and not cert.extended_key_usages & {eku, "anyExtendedKeyUsage"}:
        wrong.append(f"extended key usage {', '.join(sorted(cert.extended_key_usages))} lacks {eku}")
    if cert.has_key_usage and (isinstance(cert.x509.public_key(), rsa.RSAPublicKey) or purpose in (
        Purpose.EMAIL_SIGNING, Purpose.CLIENT_AUTH
    )):
        for needed in _REQUIRED_KU[purpose]:
            if not cert.key_usages & set(needed):
                wrong.append(f"key usage {', '.join(sorted(cert.key_usages)) or '(none)'} lacks {' or '.join(needed)}")
    if not wrong:
        return []
    return [Problem(ErrorCode.CERTIFICATE_KEY_USAGE, f"not usable for {purpose}: " + "; ".join(wrong))]

