"""Read PKCS#12 (.p12/.pfx) files, including the BER ones NSS (`pk12util`, Thunderbird) writes.

Why it exists: cryptography reads DER PKCS#12 itself, but a BER file (indefinite lengths, as NSS writes them)
only loads through a deprecated fallback that warns it "may become an exception". Re-encoding such a file to DER
is not enough: the MAC covers the BER bytes of the authenticated safe, and the bags' plaintexts are encrypted.
So a DER file goes to cryptography as before, and a BER file is read here with asn1crypto (which parses BER)
and cryptography's primitives: the MAC is checked (RFC 7292 App. B key derivation, hand-written because
cryptography does not expose it), PBES2 (PBKDF2 + AES-CBC or 3DES) and the PKCS#12 3DES scheme are decrypted,
and the key and certificates come out of the bags. Every refusal says which file and why. Not for: writing
PKCS#12 or reading RC2/RC4-protected files (re-export those with AES).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterator

from asn1crypto import algos, keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12

from digitalpost.core.errors import DigitalPostError, ErrorCode

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_KDF_KEY, _KDF_IV, _KDF_MAC = 1, 2, 3


class _Wrong(Exception):
    """A decryption or MAC failure: a wrong password or a damaged file."""


def read_pkcs12(data: bytes, password: bytes | None, *, name: str) -> tuple[object, list[x509.Certificate]]:
    """(private key or None, certificates in file order) from PKCS#12 in DER or BER. Refuses with
    `certificate.unreadable`, naming `name` and the cause."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        octets = pfx["auth_safe"]["content"].native
        is_der = pfx.copy().dump(force=True) == data and _is_der(asn1_pkcs12.AuthenticatedSafe, octets)
    except (ValueError, TypeError, KeyError) as error:
        raise _unreadable(name, f"not a PKCS#12 file ({error})") from None
    if is_der:
        try:
            bundle = pkcs12.load_pkcs12(data, password)
        except (ValueError, TypeError) as error:
            raise _unreadable(name, f"wrong password or damaged file ({error})") from None
        certificates = [c.certificate for c in ([bundle.cert] if bundle.cert else []) + bundle.additional_certs]
        return bundle.key, certificates
    try:
        return _read_ber(pfx, octets, password or b"")
    except _Wrong:
        raise _unreadable(name, "wrong password or damaged file (BER-encoded PKCS#12)") from None
    except DigitalPostError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise _unreadable(name, f"the BER-encoded PKCS#12 file cannot be read: {error}") from None


def _unreadable(name: str, why: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.CERTIFICATE_UNREADABLE, f"{name}: {why}")


def _is_der(kind: type[asn1_pkcs12.AuthenticatedSafe], octets: object) -> bool:
    return isinstance(octets, bytes) and bool(kind.load(octets).copy().dump(force=True) == octets)


def _read_ber(pfx: asn1_pkcs12.Pfx, octets: bytes, password: bytes) -> tuple[object, list[x509.Certificate]]:
    if pfx["mac_data"]:
        _check_mac(pfx["mac_data"], octets, password)
    key: object = None
    certificates: list[x509.Certificate] = []
    for bag in _bags(asn1_pkcs12.AuthenticatedSafe.load(octets), password):
        kind = bag["bag_id"].native
        value = bag["bag_value"]
        if kind == "key_bag":
            key = serialization.load_der_private_key(value.copy().dump(force=True), None)
        elif kind == "pkcs8_shrouded_key_bag":
            plain = _decrypt(value["encryption_algorithm"], value["encrypted_data"].native, password)
            key = serialization.load_der_private_key(_der_private_key_info(plain), None)
        elif kind == "cert_bag" and value["cert_id"].native == "x509":
            certificates.append(x509.load_der_x509_certificate(_der(value["cert_value"])))
    return key, certificates


def _der(value: object) -> bytes:
    """The DER of a parsed value, or of the value an OCTET STRING holds."""
    parsed = getattr(value, "parsed", None)
    if parsed is not None:
        return bytes(parsed.copy().dump(force=True))
    return bytes(value.copy().dump(force=True))  # type: ignore[attr-defined]


def _der_private_key_info(plain: bytes) -> bytes:
    return bytes(keys.PrivateKeyInfo.load(plain).copy().dump(force=True))


def _bags(safe: asn1_pkcs12.AuthenticatedSafe, password: bytes) -> Iterator[asn1_pkcs12.SafeBag]:
    for info in safe:
        kind = info["content_type"].native
        if kind == "data":
            contents = asn1_pkcs12.SafeContents.load(info["content"].native)
        elif kind == "encrypted_data":
            encrypted = info["content"]["encrypted_content_info"]
            plain = _decrypt(encrypted["content_encryption_algorithm"], encrypted["encrypted_content"].native, password)
            contents = asn1_pkcs12.SafeContents.load(plain)
        else:
            raise ValueError(f"authenticated safe content {kind} is not supported")
        yield from _flatten(contents)


def _flatten(contents: asn1_pkcs12.SafeContents) -> Iterator[asn1_pkcs12.SafeBag]:
    for bag in contents:
        if bag["bag_id"].native == "safe_contents":
            yield from _flatten(bag["bag_value"])
        else:
            yield bag


def _check_mac(mac_data: asn1_pkcs12.MacData, octets: bytes, password: bytes) -> None:
    digest = mac_data["mac"]["digest_algorithm"]["algorithm"].native
    if digest not in _HASHES:
        raise ValueError(f"MAC digest {digest} is not supported")
    size = hashlib.new(digest).digest_size
    key = pkcs12_kdf(digest, _bmp(password), mac_data["mac_salt"].native, _KDF_MAC,
                     mac_data["iterations"].native, size)
    if not hmac.compare_digest(hmac.new(key, octets, digest).digest(), mac_data["mac"]["digest"].native):
        raise _Wrong


def _decrypt(algorithm: algos.EncryptionAlgorithm, ciphertext: bytes, password: bytes) -> bytes:
    if algorithm.kdf == "pbkdf2":
        # PBES2 takes the password as UTF-8 bytes; NSS once took BMPString there, so try that too.
        for candidate in (password, _bmp(password)):
            try:
                kdf = PBKDF2HMAC(_HASHES[algorithm.kdf_hmac](), algorithm.key_length, algorithm.kdf_salt,
                                 algorithm.kdf_iterations)
                return _cbc(algorithm.encryption_cipher, kdf.derive(candidate), algorithm.encryption_iv, ciphertext)
            except _Wrong:
                continue
        raise _Wrong
    if algorithm.kdf == "pkcs12_kdf" and algorithm.encryption_cipher == "tripledes":
        salt, rounds, bmp = algorithm.kdf_salt, algorithm.kdf_iterations, _bmp(password)
        key = pkcs12_kdf("sha1", bmp, salt, _KDF_KEY, rounds, algorithm.key_length)
        iv = pkcs12_kdf("sha1", bmp, salt, _KDF_IV, rounds, 8)
        return _cbc("tripledes", key, iv, ciphertext)
    raise ValueError(f"encryption {algorithm['algorithm'].native} is not supported; re-export the file with AES")


def _cbc(cipher: str, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    block: algorithms.AES | TripleDES
    if cipher == "aes":
        block = algorithms.AES(key)
    elif cipher == "tripledes":
        block = TripleDES(key)
    else:
        raise ValueError(f"encryption {cipher} is not supported; re-export the file with AES")
    decryptor = Cipher(block, modes.CBC(iv)).decryptor()
    unpadder = sym_padding.PKCS7(block.block_size).unpadder()
    try:
        return unpadder.update(decryptor.update(ciphertext) + decryptor.finalize()) + unpadder.finalize()
    except ValueError:
        raise _Wrong from None


def _bmp(password: bytes) -> bytes:
    """RFC 7292 App. B.1: the password as a BMPString with a two-byte terminator (empty stays empty)."""
    return password.decode("utf-8").encode("utf-16-be") + b"\x00\x00" if password else b""


def pkcs12_kdf(digest: str, password: bytes, salt: bytes, purpose: int, iterations: int, length: int) -> bytes:
    """RFC 7292 Appendix B.2: the PKCS#12 key derivation (purpose 1 key, 2 IV, 3 MAC key)."""
    u, v = hashlib.new(digest).digest_size, hashlib.new(digest).block_size
    diversifier = bytes([purpose]) * v
    block = bytearray(_fill(salt, v) + _fill(password, v))
    out = b""
    for _ in range(math.ceil(length / u)):
        a = hashlib.new(digest, diversifier + bytes(block)).digest()
        for _ in range(iterations - 1):
            a = hashlib.new(digest, a).digest()
        out += a
        b = int.from_bytes((a * math.ceil(v / u))[:v], "big") + 1
        for j in range(0, len(block), v):
            chunk = (int.from_bytes(block[j: j + v], "big") + b) % (1 << (8 * v))
            block[j: j + v] = chunk.to_bytes(v, "big")
    return out[:length]


def _fill(data: bytes, v: int) -> bytes:
    """`data` repeated to the next multiple of `v` bytes (nothing for empty data)."""
    size = v * math.ceil(len(data) / v)
    return (data * math.ceil(size / len(data)))[:size] if data else b""
