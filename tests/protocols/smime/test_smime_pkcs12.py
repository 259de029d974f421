"""PKCS#12 files load as the tools write them: BER from NSS (pk12util, Thunderbird) without cryptography's
deprecated BER fallback, DER from openssl; a refusal names the file and the cause."""

from __future__ import annotations

import warnings

import pytest
from interop import NSS, read
from smime_support import Pki, openssl

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import load_pkcs12
from helpers.real_tools import PASSWORD, Nss, p12_file, run


@pytest.mark.parametrize("name", ["Alice", "Bob", "Dave"])
def test_nss_ber_files_load_without_any_warning(name: str):
    data = read(NSS / f"{name}.p12")
    assert data[:2] == b"\x30\x80"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        key, certificate, chain = load_pkcs12(data, "nss", name=f"{name}.p12")

    assert certificate.common_name == name
    assert key.public_key() == certificate.x509.public_key()
    assert [c.common_name for c in chain] == ["NSS Test CA (RSA)"]


def test_a_wrong_password_names_the_file_and_the_cause():
    with pytest.raises(DigitalPostError) as refused:
        load_pkcs12(read(NSS / "Bob.p12"), "not-nss", name="Bob.p12")

    assert refused.value.code == ErrorCode.CERTIFICATE_UNREADABLE
    assert "Bob.p12: wrong password or damaged file" in str(refused.value)


def test_a_file_pk12util_exports_loads(pki: Pki, nss: Nss):
    exported = pki.folder / "exported-by-nss.p12"
    exported.unlink(missing_ok=True)
    run("pk12util", "-o", exported, "-n", "sender", "-d", f"sql:{nss.db}", "-W", PASSWORD)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, certificate, _ = load_pkcs12(exported.read_bytes(), PASSWORD, name="exported-by-nss.p12")

    assert certificate == pki.sender.certificate


@pytest.mark.parametrize("legacy", [False, True], ids=["aes-sha256-mac", "3des-sha1-mac"])
def test_der_files_from_openssl_load(pki: Pki, legacy: bool):
    if legacy:
        path = p12_file(pki.hub, pki.folder)
    else:
        path = pki.folder / "modern.p12"
        openssl("pkcs12", "-export", "-in", pki.hub.cert_file, "-inkey", pki.hub.key_file, "-out", path,
                "-passout", f"pass:{PASSWORD}")

    _, certificate, chain = load_pkcs12(path.read_bytes(), PASSWORD)

    assert certificate == pki.hub.certificate
    assert chain == ()


def test_garbage_is_not_a_pkcs12_file():
    with pytest.raises(DigitalPostError) as refused:
        load_pkcs12(b"\x30\x03\x02\x01\x03", "x", name="upload.p12")

    assert refused.value.code == ErrorCode.CERTIFICATE_UNREADABLE
    assert str(refused.value).count("upload.p12") == 1
