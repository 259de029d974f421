"""Bounces: RFC 3464 structure, the code in every part a person or program looks at, CRLF only."""

from __future__ import annotations

import pytest

from digitalpost.core.errors import CATALOGUE, ErrorCode
from digitalpost.protocols.mail import CODE_HEADER, build_bounce, parse_reply, read_bounce
from helpers.mailcast import NOW, TOKEN, assert_crlf_only, parsed

REFUSED = (
    b"From: Niels <niels@nordby.example>\r\nTo: svar@hub.example\r\nSubject: SV: =?utf-8?q?Ans=C3=B8gning?=\r\n"
    b"Message-ID: <r9@nordby.example>\r\nContent-Type: text/plain\r\n\r\nSvar uden tr\xc3\xa5d\r\n"
)
TEXT_DA = "Svaret mangler dialogtråden. Brug Svar på den mail, I fik, og behold dkaldialogtraad.xml."


def _bounce(code: ErrorCode = ErrorCode.THREAD_MISSING, **overrides) -> bytes:
    arguments = {
        "original_headers": REFUSED, "original_from": "niels@nordby.example", "reporting_mta": "hub.example",
        "code": code, "smtp_status": CATALOGUE[code].smtp, "text_da": TEXT_DA, "text_en": None, "now": NOW,
    } | overrides
    return build_bounce(**arguments)


def test_bounce_is_a_delivery_status_report_with_three_parts():
    message = parsed(_bounce())
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers",
    ]
    assert message["To"] == "niels@nordby.example"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["In-Reply-To"] == "<r9@nordby.example>"
    assert message[CODE_HEADER] == "thread.missing"


def test_bounce_has_crlf_line_endings_only_and_is_seven_bit():
    data = _bounce()
    assert_crlf_only(data)
    assert data.isascii()


def test_delivery_status_names_reporting_mta_recipient_action_status_and_code():
    bounce = read_bounce(_bounce())
    assert bounce.code is ErrorCode.THREAD_MISSING
    assert bounce.reporting_mta == "dns; hub.example"
    assert bounce.final_recipient == "rfc822; svar@hub.example"
    assert bounce.action == "failed"
    assert bounce.status == "5.7.1"
    assert bounce.diagnostic.startswith("smtp; 554 5.7.1 thread.missing The reply carries no dialog thread.")


def test_human_part_states_code_and_fix_in_danish_and_english():
    text = read_bounce(_bounce()).human_text
    assert "Fejlkode: thread.missing (5.7.1)" in text
    assert TEXT_DA in text
    assert "Error code: thread.missing" in text
    assert CATALOGUE[ErrorCode.THREAD_MISSING].text in text


def test_original_headers_are_returned_without_the_body():
    headers = read_bounce(_bounce()).original_headers
    assert headers.startswith(b"From: Niels <niels@nordby.example>\r\n")
    assert b"Message-ID: <r9@nordby.example>\r\n" in headers
    assert b"Svar uden" not in headers


@pytest.mark.parametrize("code", [
    ErrorCode.THREAD_INVALID, ErrorCode.THREAD_NOT_YOURS, ErrorCode.SENDER_CERTIFICATE_UNKNOWN,
    ErrorCode.SENDER_CERTIFICATE_EXPIRED, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.MAIL_MALFORMED,
])
def test_every_mail_refusal_code_survives_the_round_trip(code):
    bounce = read_bounce(_bounce(code, text_en="Custom English text."))
    assert (bounce.code, bounce.status) == (code, CATALOGUE[code].smtp)
    assert "Custom English text." in bounce.human_text


def test_bounce_for_a_parsed_message_and_an_explicit_recipient():
    original = parsed(REFUSED)
    bounce = read_bounce(_bounce(original_headers=original, final_recipient="reply@hub.example"))
    assert bounce.final_recipient == "rfc822; reply@hub.example"
    assert b"Subject:" in bounce.original_headers


def test_bounce_does_not_carry_a_thread_so_it_can_never_be_filed_as_a_reply():
    refused = REFUSED.replace(b"Subject: SV: =?utf-8?q?Ans=C3=B8gning?=", f"Subject: SV: x [DP:{TOKEN}]".encode())
    carriers = parse_reply(_bounce(original_headers=refused)).thread_carriers
    assert carriers.attachment is None
    assert carriers.header is None


def test_status_must_be_an_enhanced_status_code():
    with pytest.raises(ValueError, match=r"5\.7\.1"):
        _bounce(smtp_status="554")
