"""Thunderbird's own S/MIME test messages (made by NSS, all BER) are read as Thunderbird and openssl read them.

Corpus: ../shared/smime-interop/nss-thunderbird/, expected outcomes from its README: Bob decrypts, Alice (or
Dave) signs, the NSS Test CA is the anchor, judged at the signing time.
"""

from __future__ import annotations

import pytest
from interop import (
    NSS,
    NSS_FAKE_TEXT,
    NSS_SIGNED_FROM,
    NSS_SIGNED_UNTIL,
    NSS_TEXT,
    RECEIVED,
    SHA1_FINGERPRINTS,
    bob,
    layer_summary,
    read,
    sha1_fingerprint,
    shown_text,
    signer_address,
)

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import Purpose, check_certificate, decrypt_message, unwrap, verify

DIGESTS = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}
ALICE = "alice@example.com"
DEC = "dec:aes128_cbc"

# file -> layers outermost first, as the README states them (valid(X) -> "sig:X/digest", dec(Bob) -> DEC).
GOOD: dict[str, list[str]] = {}
for name, digest in DIGESTS.items():
    GOOD[f"alice.dsig.{name}.multipart.eml"] = [f"sig:{ALICE}/{digest}"]
    GOOD[f"alice.sig.{name}.opaque.eml"] = [f"sig:{ALICE}/{digest}"]
    GOOD[f"alice.dsig.{name}.multipart.env.eml"] = [DEC, f"sig:{ALICE}/{digest}"]
    GOOD[f"alice.sig.{name}.opaque.env.eml"] = [DEC, f"sig:{ALICE}/{digest}"]
GOOD.update({
    "alice.env.eml": [DEC],
    "alice.env.sig.SHA256.opaque.eml": [f"sig:{ALICE}/sha256", DEC],
    "alice.plain.sig.SHA256.opaque.dave.sig.SHA256.opaque.eml": ["sig:dave@example.com/sha256", f"sig:{ALICE}/sha256"],
    "alice.env.sig.SHA256.opaque.dave.sig.SHA256.opaque.eml": [
        "sig:dave@example.com/sha256", f"sig:{ALICE}/sha256", DEC,
    ],
})
HTML = {"alice.html.sig.SHA256.opaque.eml": [f"sig:{ALICE}/sha256"],
        "alice.html.sig.SHA256.opaque.env.eml": [DEC, f"sig:{ALICE}/sha256"]}
BAD = [f"alice.dsig.{name}.multipart.{kind}.eml" for name in DIGESTS for kind in ("bad", "mismatch-econtent")]


def opened(name: str):  # type: ignore[no-untyped-def]
    keys = bob()
    return unwrap(read(NSS / name), certificate=keys.certificate, key=keys.key, at=RECEIVED)


@pytest.mark.parametrize("name", [*GOOD, *HTML])
def test_every_layer_opens_as_the_reference_says(name: str):
    assert layer_summary(opened(name)) == {**GOOD, **HTML}[name]


@pytest.mark.parametrize("name", GOOD)
def test_the_text_thunderbird_shows_is_shown(name: str):
    assert shown_text(opened(name)).strip() == NSS_TEXT


@pytest.mark.parametrize("name", HTML)
def test_the_html_body_is_shown_as_html(name: str):
    assert shown_text(opened(name), "html").strip() == f"<html><body>{NSS_TEXT}</body></html>"


@pytest.mark.parametrize("name", [*GOOD, *HTML])
def test_every_signer_is_trusted_through_the_nss_test_ca_at_the_signing_time(name: str):
    for verified in opened(name).signatures:
        assert verified.signed_at is not None
        assert NSS_SIGNED_FROM <= verified.signed_at <= NSS_SIGNED_UNTIL
        assert sha1_fingerprint(verified.signer) == SHA1_FINGERPRINTS[signer_address(verified.signer)]
        # The certificates carry no extensions at all (no AKI, SAN, keyUsage): S/MIME rules accept them.
        assert check_certificate(verified.signer, purpose=Purpose.EMAIL_SIGNING, trust_anchors=bob().anchors,
                                 at=verified.signed_at, intermediates=verified.chain, email=signer_address(
                                     verified.signer)) == []


@pytest.mark.parametrize("name", BAD)
def test_a_changed_body_or_a_detached_signature_embedding_other_content_is_refused(name: str):
    with pytest.raises(DigitalPostError) as refused:
        opened(name)

    assert refused.value.code == ErrorCode.SIGNATURE_INVALID
    assert NSS_FAKE_TEXT in read(NSS / name).decode()  # what the refused mail would have shown


def test_the_mismatch_econtent_trap_embeds_the_genuine_text_but_shows_the_fake():
    # The embedded content is validly signed; only the visible MIME part counts, and it was never signed.
    raw = read(NSS / "alice.dsig.SHA256.multipart.mismatch-econtent.eml")

    with pytest.raises(DigitalPostError) as refused:
        verify(raw, at=RECEIVED)

    assert "message digest differs" in str(refused.value)


@pytest.mark.parametrize("name", ["alice.dsig.SHA1.multipart.eml", "alice.sig.SHA1.opaque.env.eml"])
def test_sha1_message_signatures_are_refused_when_the_organisation_refuses_sha1(name: str):
    keys = bob()

    with pytest.raises(DigitalPostError) as refused:
        unwrap(read(NSS / name), certificate=keys.certificate, key=keys.key, at=RECEIVED, refuse_sha1=True)

    assert refused.value.code == ErrorCode.SIGNATURE_SHA1_REFUSED


def test_the_envelope_reports_rsa_pkcs1_v15_and_aes_128_cbc():
    keys = bob()

    decrypted = decrypt_message(read(NSS / "alice.env.eml"), certificate=keys.certificate, key=keys.key)

    assert (decrypted.content_cipher, decrypted.key_management) == ("aes128_cbc", "rsaes_pkcs1v15")
    assert not decrypted.is_legacy


def test_alices_key_cannot_open_bobs_envelope_and_says_so():
    from interop import load_pkcs12

    key, alice, _ = load_pkcs12(read(NSS / "Alice.p12"), "nss", name="Alice.p12")

    with pytest.raises(DigitalPostError) as refused:
        decrypt_message(read(NSS / "alice.env.eml"), certificate=alice, key=key)

    assert refused.value.code == ErrorCode.ENCRYPTION_WRONG_RECIPIENT


def test_every_nss_message_has_a_case():
    cases = {*GOOD, *HTML, *BAD}
    assert {p.name for p in NSS.glob("*.eml")} == cases
