"""DER re-encoding of the few CMS parts whose exact bytes are hashed, signed or authenticated.

Real clients write CMS in indefinite-length BER, which asn1crypto parses as it is. But a signature covers the
DER of the signed attributes as a SET OF (RFC 5652 §5.4), and AES-GCM authenticates the DER of authAttrs
(RFC 5083 §2.2), while inside the structure both carry an IMPLICIT [n] tag and may arrive in BER. This module
turns such a parsed attribute set into that DER (asn1crypto sorts SET OF members and writes definite lengths
when asked to re-encode). Not for: parsing (asn1crypto does that) or building whole CMS structures.
"""

from __future__ import annotations

from asn1crypto import cms as asn1_cms

_SET_OF = b"\x31"


def der_set(attributes: asn1_cms.CMSAttributes) -> bytes:
    """The attributes re-encoded as a DER SET OF (tag 0x31 instead of their IMPLICIT [n] tag)."""
    copy = attributes.copy()
    return _SET_OF + bytes(copy.dump(force=True))[1:]


def received_set(attributes: asn1_cms.CMSAttributes) -> bytes:
    """The attributes as received, with the SET OF tag: what a signer that did not re-encode has signed."""
    return _SET_OF + bytes(attributes.dump())[1:]
