"""KMail (gpgsm), Apple Mail and Thunderbird 24 messages are read with the verdicts their references give.

Corpus: ../shared/smime-interop/kmail-applemail/ and mimekit/ with the README's expectations: KMail's
self-signed unittest certificate is signer, recipient and (pinned) anchor, judged at gpgsm's test clock; the
Apple message was edited after signing; Thunderbird 24's StartCom chain is judged at the signing time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from interop import (
    KMAIL,
    KMAIL_CLOCK,
    MIMEKIT,
    RECEIVED,
    SHA1_FINGERPRINTS,
    attachment_names,
    kmail,
    layer_summary,
    read,
    sha1_fingerprint,
    shown_text,
)

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import (
    Purpose,
    check_certificate,
    load_certificate,
    strip_mbox_separator,
    unwrap,
    verify,
)

SIG = "sig:test@example.com/sha1"
# file -> (layers outermost first, text shown, attachment names)
KMAIL_CASES = {
    "smime-opaque-sign.mbox": ([SIG], "A simple signed only test.", []),
    "smime-encrypted.mbox": (["dec:tripledes_3key"], "The quick brown fox jumped over the lazy dog.", []),
    "smime-encrypted-octet-stream.mbox": (["dec:tripledes_3key"], "The quick brown fox jumped over the lazy dog.", []),
    "smime-signed-encrypted.mbox": (["dec:tripledes_3key", SIG], "encrypted message text", []),
    "smime-opaque-enc+sign.mbox": (["dec:aes128_cbc", SIG], "Encrypted and signed mail.", []),
    "smime-opaque-signed-encrypted-attachment.mbox": (
        ["dec:aes128_cbc", SIG], "This is an Opaque S/MIME encrypted and signed message with attachment", ["file.txt"],
    ),
}


def opened(name: str):  # type: ignore[no-untyped-def]
    keys = kmail()
    return unwrap(read(KMAIL / name), certificate=keys.certificate, key=keys.key, at=RECEIVED,
                  known_certificates=keys.known)


@pytest.mark.parametrize("name", KMAIL_CASES)
def test_kmail_messages_open_layer_by_layer_and_show_their_text(name: str):
    layers, text, attachments = KMAIL_CASES[name]

    unwrapped = opened(name)

    assert layer_summary(unwrapped) == layers
    assert shown_text(unwrapped).strip() == text
    assert attachment_names(unwrapped) == attachments


@pytest.mark.parametrize("name", [n for n, case in KMAIL_CASES.items() if SIG in case[0]])
def test_kmail_signer_is_the_pinned_unittest_certificate_trusted_at_gpgsms_clock(name: str):
    (verified,) = opened(name).signatures

    assert sha1_fingerprint(verified.signer) == SHA1_FINGERPRINTS["test@example.com"]
    # Self-signed, non-critical CA:TRUE, RSA-1024, SHA-1: trusted because it is itself the anchor.
    assert check_certificate(verified.signer, purpose=Purpose.EMAIL_SIGNING, trust_anchors=kmail().anchors,
                             at=KMAIL_CLOCK, email="test@example.com") == []


def test_the_attachment_in_the_opaque_signed_envelope_is_readable():
    message = opened("smime-opaque-signed-encrypted-attachment.mbox").message

    assert b"This is an attachment" in message


@pytest.mark.parametrize("name", [n for n, case in KMAIL_CASES.items() if case[0][0] == "dec:tripledes_3key"])
def test_3des_envelopes_decrypt_and_are_reported_as_legacy(name: str):
    unwrapped = opened(name)

    assert unwrapped.is_legacy
    assert unwrapped.decryptions[0].key_management == "rsaes_pkcs1v15"


def test_a_p7m_octet_stream_without_smime_type_is_recognised_by_name_and_content():
    raw = read(KMAIL / "smime-encrypted-octet-stream.mbox")
    assert b"application/octet-stream" in raw
    assert b"smime-type" not in raw

    assert layer_summary(opened("smime-encrypted-octet-stream.mbox")) == ["dec:tripledes_3key"]


def test_the_kmail_signatures_are_refused_when_sha1_is_refused():
    keys = kmail()

    with pytest.raises(DigitalPostError) as refused:
        verify(strip_mbox_separator(read(KMAIL / "smime-opaque-sign.mbox")), at=RECEIVED,
               known_certificates=keys.known, refuse_sha1=True)

    assert refused.value.code == ErrorCode.SIGNATURE_SHA1_REFUSED


def test_apple_mails_message_edited_after_signing_is_refused_but_stays_readable():
    raw = read(KMAIL / "smime-signed-apple.mbox")

    with pytest.raises(DigitalPostError) as refused:
        verify(strip_mbox_separator(raw), at=RECEIVED)

    assert refused.value.code == ErrorCode.SIGNATURE_INVALID
    assert "message digest differs" in str(refused.value)
    assert shown_text(raw).startswith("Olá Konqui")
    assert "image.png" in attachment_names(raw)


MIMEKIT_ROOT = MIMEKIT / "StartComCertificationAuthority.crt"
MIMEKIT_INTERMEDIATE = MIMEKIT / "StartComClass1PrimaryIntermediateClientCA.crt"


def test_thunderbird_24_signature_verifies_after_crlf_canonicalisation():
    raw = read(MIMEKIT / "thunderbird-signed.txt")
    assert b"\r\n" not in raw

    verified = verify(raw, at=RECEIVED)

    assert sha1_fingerprint(verified.signer) == SHA1_FINGERPRINTS["fejj@gnome.org"]
    assert verified.signer.emails == ("fejj@gnome.org",)
    assert verified.digest_algorithm == "sha1"
    assert verified.signed_at == datetime(2013, 11, 2, 20, 28, 4, tzinfo=UTC)
    assert [c.fingerprint for c in verified.chain] == [load_certificate(read(MIMEKIT_INTERMEDIATE)).fingerprint]
    assert shown_text(verified.content).startswith("This message is being generated and signed by Thunderbird")
    assert attachment_names(verified.content) == ["signed.jpg"]


def test_the_startcom_chain_is_refused_for_its_sha1_signatures_while_the_signature_verifies():
    # Issue 11: SHA-1 message signatures are accepted, SHA-1-signed certificate chains are not, and that
    # refusal names its cause instead of a generic certificate.untrusted.
    verified = verify(read(MIMEKIT / "thunderbird-signed.txt"), at=RECEIVED)
    assert verified.signed_at is not None

    problems = check_certificate(verified.signer, purpose=Purpose.EMAIL_SIGNING,
                                 trust_anchors=[load_certificate(read(MIMEKIT_ROOT))], at=verified.signed_at,
                                 intermediates=verified.chain, email="fejj@gnome.org")

    assert [p.code for p in problems] == [ErrorCode.CERTIFICATE_CHAIN_SHA1]
    assert "SHA-1" in problems[0].text


def test_the_startcom_signer_is_merely_untrusted_under_an_unrelated_anchor():
    verified = verify(read(MIMEKIT / "thunderbird-signed.txt"), at=RECEIVED)
    assert verified.signed_at is not None
    unrelated = load_certificate(read(KMAIL / "comodo-email-ca.pem"))

    problems = check_certificate(verified.signer, purpose=Purpose.EMAIL_SIGNING, trust_anchors=[unrelated],
                                 at=verified.signed_at, intermediates=verified.chain)

    assert [p.code for p in problems] == [ErrorCode.CERTIFICATE_UNTRUSTED]


def test_every_kmail_apple_and_mimekit_message_has_a_case():
    assert {p.name for p in KMAIL.glob("*.mbox")} == {*KMAIL_CASES, "smime-signed-apple.mbox"}
    assert [p.name for p in MIMEKIT.glob("*.txt")] == ["thunderbird-signed.txt"]
