"""DATA goes to a spool, judged on its header section: a mail its header shows to be unencrypted, or one past the
size limit, is refused with the code the full check would give, and nothing more of it is kept."""

from __future__ import annotations

from digitalpost.core.errors import ErrorCode
from digitalpost.gateway.spool import SPOOL_IN_MEMORY_BYTES, DataSpool

LINE = b"x" * 76 + b"\r\n"


def _feed(spool: DataSpool, head: bytes, body_lines: int) -> None:
    for line in head.split(b"\r\n")[:-1]:
        spool.add(line + b"\r\n")
    for _ in range(body_lines):
        spool.add(LINE)


def test_a_plain_text_mail_is_refused_after_its_header_and_its_body_is_not_kept():
    spool = DataSpool(max_bytes=10**9)
    _feed(spool, b"From: a@b.dk\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n", 0)
    assert spool.refusal is not None
    assert spool.refusal[0] == ErrorCode.ENCRYPTION_MISSING
    kept = spool._file
    _feed(spool, b"", 2 * SPOOL_IN_MEMORY_BYTES // len(LINE))
    assert kept.closed, "the body of a refused mail goes nowhere"
    assert spool.size > 2 * SPOOL_IN_MEMORY_BYTES


def test_an_encrypted_mail_is_kept_whole_and_spills_to_disk_beyond_the_memory_part():
    head = (b"From: a@b.dk\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data;"
            b" name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    spool = DataSpool(max_bytes=10**9)
    lines = 2 * SPOOL_IN_MEMORY_BYTES // len(LINE)
    _feed(spool, head, lines)
    assert spool.refusal is None
    assert spool._file._rolled, "beyond the memory part the spool is a file on disk"  # type: ignore[attr-defined]
    assert spool.read() == head + LINE * lines


def test_a_mail_past_the_limit_is_refused_as_too_large_and_dropped():
    spool = DataSpool(max_bytes=10_000)
    _feed(spool, b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\n", 200)
    assert spool.refusal is not None
    assert spool.refusal[0] == ErrorCode.MESSAGE_TOO_LARGE
    assert spool._file.closed


def test_a_mail_without_a_header_is_left_to_the_full_check():
    spool = DataSpool(max_bytes=10**6)
    _feed(spool, b"\r\n", 3)
    assert spool.refusal is None


def test_a_signed_mail_is_left_to_the_full_check_because_it_may_wrap_an_encrypted_one():
    head = (b"From: a@b.dk\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-"
            b"signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n")
    spool = DataSpool(max_bytes=10**9)
    _feed(spool, head, 3)
    assert spool.refusal is None
