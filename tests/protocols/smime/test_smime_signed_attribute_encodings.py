"""A signature covers the DER of its signed attributes; a signer that did not re-encode signed them as sent.
`verify` tries the received bytes first and re-encodes the set only when they do not verify (decision 0033):
either encoding that verifies is a good signature, as before, and neither is a bad one."""

from __future__ import annotations

import pytest
from smime_support import MESSAGE, Pki

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import sign, verify
from digitalpost.protocols.smime import signed as signed_module


def _signed(pki: Pki) -> bytes:
    return sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)


def test_attributes_received_as_der_are_not_re_encoded(pki: Pki, monkeypatch: pytest.MonkeyPatch):
    def no_re_encoding(attributes: object) -> bytes:
        raise AssertionError("the received attributes verify: no re-encoding needed")

    monkeypatch.setattr(signed_module, "der_set", no_re_encoding)

    assert verify(_signed(pki), at=pki.now).signer == pki.sender.certificate


def test_a_signature_over_the_der_verifies_when_the_attributes_arrive_otherwise(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
):
    # As if the attributes had arrived in BER (or unsorted): the received bytes are not what was signed.
    monkeypatch.setattr(signed_module, "received_set", lambda attributes: b"\x31\x00")

    assert verify(_signed(pki), at=pki.now).signer == pki.sender.certificate


def test_neither_encoding_verifying_is_a_bad_signature(pki: Pki, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(signed_module, "received_set", lambda attributes: b"\x31\x00")
    monkeypatch.setattr(signed_module, "der_set", lambda attributes: b"\x31\x01\x00")

    with pytest.raises(DigitalPostError) as refused:
        verify(_signed(pki), at=pki.now)

    assert refused.value.code == ErrorCode.SIGNATURE_INVALID
