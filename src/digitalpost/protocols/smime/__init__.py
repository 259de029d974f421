"""S/MIME and X.509 for the secure mail interface: sign, encrypt, decrypt, verify, and check certificates.

Bytes in, values out: messages are whole RFC 5322 messages as bytes; certificates, keys, trust anchors, CRLs
and the clock are parameters. Reads BER and DER CMS as real clients write it (Thunderbird/NSS, KMail/gpgsm, Outlook,
Apple Mail, openssl). Refusals raise `DigitalPostError` with a catalogue code (`signature.invalid`,
`decryption.failed`, `encryption.wrong.recipient`, ...); `check_certificate` returns every problem at once. Pure: never
imports Django. Not for: SMTP, deciding which certificate belongs to which sender system, network look-ups.
"""

from digitalpost.protocols.smime.certificates import (
    Certificate,
    CertificateRejected,
    PrivateKey,
    Problem,
    Purpose,
    load_certificate,
    load_certificates,
    load_crl,
    load_pkcs12,
    load_private_key,
)
from digitalpost.protocols.smime.devca import Issued, issue_certificate, make_crl, make_dev_ca
from digitalpost.protocols.smime.read import (
    Decrypted,
    Layer,
    Unwrapped,
    Verified,
    decrypt,
    decrypt_message,
    smime_type,
    strip_mbox_separator,
    unwrap,
    verify,
)
from digitalpost.protocols.smime.smime import encrypt, sign, sign_and_encrypt
from digitalpost.protocols.smime.trust import SMIME_CA_POLICY, check_certificate, sha1_in_chain

__all__ = [
    "SMIME_CA_POLICY",
    "Certificate",
    "CertificateRejected",
    "Decrypted",
    "Issued",
    "Layer",
    "PrivateKey",
    "Problem",
    "Purpose",
    "Unwrapped",
    "Verified",
    "check_certificate",
    "decrypt",
    "decrypt_message",
    "encrypt",
    "issue_certificate",
    "load_certificate",
    "load_certificates",
    "load_crl",
    "load_pkcs12",
    "load_private_key",
    "make_crl",
    "make_dev_ca",
    "sha1_in_chain",
    "sign",
    "sign_and_encrypt",
    "smime_type",
    "strip_mbox_separator",
    "unwrap",
    "verify",
]
