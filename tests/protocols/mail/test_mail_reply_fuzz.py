"""Whatever arrives, parse_reply answers with a ParsedReply or mail.malformed — never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.mail import ParsedReply, parse_reply
from helpers.mailcast import inquiry_mail

MAIL = inquiry_mail()


def _parses_or_is_malformed(data: bytes) -> None:
    try:
        outcome: object = parse_reply(data)
    except DigitalPostError as refused:
        outcome = refused.code
    assert isinstance(outcome, ParsedReply) or outcome is ErrorCode.MAIL_MALFORMED


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.integers(0, len(MAIL)), length=st.integers(0, 200), junk=st.binary(max_size=40))
def test_damaged_mail_parses_or_is_refused_as_malformed(start, length, junk):
    _parses_or_is_malformed(MAIL[:start] + junk + MAIL[start + length:])


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_parse_or_are_refused_as_malformed(data):
    _parses_or_is_malformed(data)


@settings(max_examples=200)
@given(st.lists(st.sampled_from([
    b"Content-Type: multipart/mixed; boundary=b\r\n", b"Content-Type: message/rfc822\r\n", b"\r\n", b"--b\r\n",
    b"--b--\r\n", b"Content-Transfer-Encoding: base64\r\n", b"Content-Type: text/plain; charset=x-unknown\r\n",
    b"Content-Disposition: attachment; filename*=bad''%ZZ\r\n", b"=?utf-8?b?w6Z?=\r\n", b"Subject: [DP:v1.x]\r\n",
]), max_size=30))
def test_mime_shaped_junk_parses_or_is_refused_as_malformed(pieces):
    _parses_or_is_malformed(b"".join(pieces))
