"""Properties: any text survives sign/encrypt/decrypt/verify, and mangled mail is refused with a code."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smime_support import MESSAGE, Pki

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import decrypt, encrypt, sign, sign_and_encrypt, verify
from digitalpost.protocols.smime.mime import base64_lines
from digitalpost.protocols.smime.smime import _split

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
lines = st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=60), max_size=8)


@FAST
@given(body=lines, line_end=st.sampled_from(["\r\n", "\n"]))
def test_any_text_round_trips_through_sign_encrypt_decrypt_verify(pki: Pki, body: list[str], line_end: str):
    entity = ("Content-Type: text/plain; charset=utf-8" + line_end + line_end
              + "".join(line + line_end for line in body)).encode()

    for mail in (encrypt(sign(entity, certificate=pki.sender.certificate, key=pki.sender.key),
                         recipients=[pki.hub.certificate]),
                 sign_and_encrypt(entity, certificate=pki.sender.certificate, key=pki.sender.key,
                                  recipients=[pki.hub.certificate])):
        verified = verify(decrypt(mail, certificate=pki.hub.certificate, key=pki.hub.key), at=pki.now)

        assert verified.content == entity.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        assert verified.signer == pki.sender.certificate


@given(data=st.binary(max_size=1000))
def test_base64_lines_are_the_standard_librarys_lines_with_crlf(data: bytes):
    assert base64_lines(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")


@FAST
@given(data=st.data())
def test_a_mangled_signed_mail_is_refused_with_a_code_or_still_verifies_unchanged(pki: Pki, data: st.DataObject):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key,
                  detached=data.draw(st.booleans()))
    at = data.draw(st.integers(0, len(signed) - 1))
    mangled = signed[:at] + bytes([data.draw(st.integers(0, 255))]) + signed[at + 1:]

    try:
        outcome: object = verify(mangled, at=pki.now).content
    except DigitalPostError as refused:
        outcome = refused.code

    # Only changes outside the signed bytes (outer headers, preamble, base64 whitespace) can pass.
    assert outcome in {ErrorCode.SIGNATURE_INVALID, ErrorCode.SIGNATURE_MISSING, ErrorCode.MAIL_MALFORMED,
                       verify(signed, at=pki.now).content}


def test_a_canonical_entity_is_taken_as_given_and_still_verifies(pki: Pki):
    # The caller's word is taken: a bare LF (which no caller passing `canonical=True` writes) stays in the content
    # to sign, where without the flag it becomes CRLF.
    assert _split(b"Content-Type: text/plain\r\n\r\na\nb\r\n")[1].endswith(b"a\r\nb\r\n")
    assert _split(b"Content-Type: text/plain\r\n\r\na\nb\r\n", canonical=True)[1].endswith(b"a\nb\r\n")
    entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nfirst\r\nsecond\r\n"
    mail = sign_and_encrypt(entity, certificate=pki.sender.certificate, key=pki.sender.key,
                            recipients=[pki.hub.certificate], canonical=True)
    verified = verify(decrypt(mail, certificate=pki.hub.certificate, key=pki.hub.key), at=pki.now)
    assert verified.content == entity
