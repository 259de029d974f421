"""DER re-encoding of the few CMS parts whose exact bytes are hashed, signed or authenticated; name equality.

Real clients write CMS in indefinite-length BER, which asn1crypto parses as it is. But a signature covers the
DER of the signed attributes as a SET OF (RFC 5652 §5.4), and AES-GCM authenticates the DER of authAttrs
(RFC 5083 §2.2), while inside the structure both carry an IMPLICIT [n] tag and may arrive in BER. This module
turns such a parsed attribute set into that DER (asn1crypto sorts SET OF members and writes definite lengths
when asked to re-encode). Not for: parsing (asn1crypto does that) or building whole CMS structures.
"""

from __future__ import annotations

from functools import lru_cache

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509

_SET_OF = b"\x31"


def der_set(attributes: asn1_cms.CMSAttributes) -> bytes:
    """The attributes re-encoded as a DER SET OF (tag 0x31 instead of their IMPLICIT [n] tag)."""
    copy = attributes.copy()
    return _SET_OF + bytes(copy.dump(force=True))[1:]


def received_set(attributes: asn1_cms.CMSAttributes) -> bytes:
    """The attributes as received, with the SET OF tag: what a signer that did not re-encode has signed."""
    return _SET_OF + bytes(attributes.dump())[1:]


def same_name(ours: asn1_x509.Name, theirs: asn1_x509.Name) -> bool:
    """Whether two X.509 names are equal under RFC 5280 normalisation (case, spaces), as asn1crypto compares them.

    The same bytes are the same name: that case (nearly every mail names its issuer exactly as the certificate
    does) skips asn1crypto's LDAP string preparation of every attribute, which was a visible part of each
    decrypt and verify.
    """
    return ours.dump() == theirs.dump() or bool(ours == theirs)


@lru_cache(maxsize=512)
def parsed_certificate(der: bytes) -> asn1_x509.Certificate:
    """asn1crypto's view of a certificate (issuer, serial, key identifier), parsed once per certificate: the
    recipient and signer look-ups read the same few certificates for every mail. Read it, never change it."""
    return asn1_x509.Certificate.load(der)
