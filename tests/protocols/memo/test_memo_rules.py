"""`validate` applies the service rules beyond the schema and returns every problem with code and place."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.memo import (
    DEFAULT_EXTENSIONS,
    Action,
    EntryPoint,
    File,
    Message,
    MessageType,
    ServiceRules,
    simple_message,
    validate,
)

TODAY = date(2024, 5, 3)
RULES = ServiceRules()
MAIN_FILE = "/Message/MessageBody/MainDocument/File[1]"


def letter(*files: tuple[str, str, bytes], **header_options) -> Message:
    return simple_message(
        sender_cvr="29189846", sender_label="Nordby Kommune", recipient_id="0101011234", label="Afgørelse",
        files=list(files) or [("afgørelse.pdf", "application/pdf", b"%PDF-1.7")],
        created=datetime(2024, 5, 3, 9, tzinfo=UTC), **header_options,
    )


def with_main_file(message: Message, **changes) -> Message:
    assert message.body is not None
    main = message.body.main_document
    file = dataclasses.replace(main.files[0], **changes)
    body = dataclasses.replace(message.body, main_document=dataclasses.replace(main, files=(file,)))
    return dataclasses.replace(message, body=body)


def with_action(message: Message, url: str) -> Message:
    assert message.body is not None
    main = message.body.main_document
    action = Action(label="Svar", action_code="SELVBETJENING", entry_point=EntryPoint(url=url))
    body = dataclasses.replace(message.body, main_document=dataclasses.replace(main, actions=(action,)))
    return dataclasses.replace(message, body=body)


def found(message: Message, rules: ServiceRules = RULES, today: date = TODAY) -> list[tuple[ErrorCode, str]]:
    return [(p.code, p.where) for p in validate(message, rules=rules, today=today)]


def test_an_ordinary_letter_passes_every_rule():
    assert found(letter()) == []


@pytest.mark.parametrize("name", [
    "a<b.pdf", "a>b.pdf", "a:b.pdf", 'a"b.pdf', "a/b.pdf", "a\\b.pdf", "a|b.pdf", "a?b.pdf", "a*b.pdf",
    "a\rb.pdf", "a\nb.pdf", "a\u00a0b.pdf", "a\u2003b.pdf", "a\u2028b.pdf",
])
def test_file_name_with_forbidden_character_is_refused_with_file_name_not_allowed(name):
    assert found(with_main_file(letter(), filename=name)) == [
        (ErrorCode.FILE_NAME_NOT_ALLOWED, f"{MAIN_FILE}/filename")
    ]


def test_file_name_with_colon_is_refused_with_file_name_not_allowed():
    problems = validate(with_main_file(letter(), filename="brev: kopi.pdf"), rules=RULES, today=TODAY)

    assert [(p.code, p.where) for p in problems] == [(ErrorCode.FILE_NAME_NOT_ALLOWED, f"{MAIN_FILE}/filename")]
    assert "':'" in problems[0].text


def test_file_name_with_ordinary_spaces_and_danish_letters_is_fine():
    assert found(with_main_file(letter(), filename="Afgørelse om børnehave.pdf")) == []


@pytest.mark.parametrize("name", ["virus.exe", "script.js", "no-extension", "archive.pdf.zip"])
def test_file_type_outside_the_allow_list_is_refused_with_file_extension_not_allowed(name):
    assert found(with_main_file(letter(), filename=name)) == [
        (ErrorCode.FILE_EXTENSION_NOT_ALLOWED, f"{MAIN_FILE}/filename")
    ]


def test_file_extension_is_compared_without_regard_to_case():
    assert found(with_main_file(letter(), filename="SCAN.PDF")) == []


def test_default_allow_list_covers_the_common_office_and_image_types():
    assert {"pdf", "txt", "html", "htm", "xml", "jpg", "jpeg", "png", "gif", "tif", "tiff", "doc", "docx",
            "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "csv"} <= DEFAULT_EXTENSIONS


def test_allow_list_is_a_knob():
    only_pdf = ServiceRules(allowed_extensions=frozenset({"pdf"}))

    assert found(with_main_file(letter(), filename="brev.txt"), rules=only_pdf) == [
        (ErrorCode.FILE_EXTENSION_NOT_ALLOWED, f"{MAIN_FILE}/filename")
    ]


def test_empty_file_is_refused_with_file_empty_not_allowed():
    assert found(with_main_file(letter(), content=b"")) == [(ErrorCode.FILE_EMPTY_NOT_ALLOWED, f"{MAIN_FILE}/content")]


@pytest.mark.parametrize("url", ["http://nordby.dk/svar", "ftp://nordby.dk/svar", "javascript:alert(1)", "https:/x"])
def test_action_link_that_is_not_https_is_refused_with_action_uri_not_allowed(url):
    assert found(with_action(letter(), url)) == [
        (ErrorCode.ACTION_URI_NOT_ALLOWED, "/Message/MessageBody/MainDocument/Action[1]/EntryPoint/url")
    ]


def test_https_action_link_is_fine():
    assert found(with_action(letter(), "https://nordby.dk/svar?sag=1")) == []


@pytest.mark.parametrize("notification", [None, "", "   \n"])
def test_nemsms_without_notification_text_is_refused_with_empty_notification_not_allowed(notification):
    sms = simple_message(
        sender_cvr="29189846", sender_label="Nordby Kommune", recipient_id="0101011234", label="Påmindelse",
        files=[], created=datetime(2024, 5, 3, tzinfo=UTC), message_type=MessageType.NEMSMS,
        notification=notification,
    )

    assert found(sms) == [(ErrorCode.EMPTY_NOTIFICATION_NOT_ALLOWED, "/Message/MessageHeader/notification")]


def test_nemsms_with_notification_text_is_fine():
    sms = simple_message(
        sender_cvr="29189846", sender_label="Nordby Kommune", recipient_id="0101011234", label="Påmindelse",
        files=[], created=datetime(2024, 5, 3, tzinfo=UTC), message_type=MessageType.NEMSMS,
        notification="Husk din tid i morgen kl. 9.",
    )

    assert found(sms) == []


def _files(count: int) -> list[tuple[str, str, bytes]]:
    return [(f"bilag-{i}.pdf", "application/pdf", b"%PDF") for i in range(count)]


def test_eleven_attachments_are_refused_with_attachments_too_many():
    message = letter(*_files(12))  # the main document and eleven attachments

    assert found(message) == [(ErrorCode.ATTACHMENTS_TOO_MANY, "/Message/MessageBody/AdditionalDocument[11]")]


def test_ten_attachments_are_fine_and_the_limit_is_a_knob():
    message = letter(*_files(11))

    assert found(message) == []
    assert found(message, rules=ServiceRules(max_attachments=9)) == [
        (ErrorCode.ATTACHMENTS_TOO_MANY, "/Message/MessageBody/AdditionalDocument[10]")
    ]


def test_do_not_deliver_until_yesterday_is_refused_as_too_early():
    message = letter(do_not_deliver_until_date=TODAY - timedelta(days=1))

    assert found(message) == [
        (ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_EARLY, "/Message/MessageHeader/doNotDeliverUntilDate")
    ]


def test_do_not_deliver_until_beyond_the_window_is_refused_as_too_late():
    message = letter(do_not_deliver_until_date=TODAY + timedelta(days=366))

    assert found(message) == [
        (ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_LATE, "/Message/MessageHeader/doNotDeliverUntilDate")
    ]
    assert found(message, rules=ServiceRules(max_defer_days=366)) == []


@pytest.mark.parametrize("days", [0, 365])
def test_do_not_deliver_until_today_or_the_last_day_of_the_window_is_fine(days):
    assert found(letter(do_not_deliver_until_date=TODAY + timedelta(days=days))) == []


def test_every_rule_problem_is_reported_at_once():
    message = with_action(with_main_file(letter(do_not_deliver_until_date=date(2000, 1, 1)), filename="a|b.exe",
                                         content=b""), "http://x.dk")

    assert found(message) == [
        (ErrorCode.FILE_NAME_NOT_ALLOWED, f"{MAIN_FILE}/filename"),
        (ErrorCode.FILE_EXTENSION_NOT_ALLOWED, f"{MAIN_FILE}/filename"),
        (ErrorCode.FILE_EMPTY_NOT_ALLOWED, f"{MAIN_FILE}/content"),
        (ErrorCode.ACTION_URI_NOT_ALLOWED, "/Message/MessageBody/MainDocument/Action[1]/EntryPoint/url"),
        (ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_EARLY, "/Message/MessageHeader/doNotDeliverUntilDate"),
    ]


def test_files_in_attachments_and_technical_documents_are_checked_too():
    message = letter(("brev.pdf", "application/pdf", b"%PDF"), ("bilag.exe", "application/octet-stream", b"MZ"))
    assert isinstance(message.body.additional_documents[0].files[0], File)

    assert found(message) == [
        (ErrorCode.FILE_EXTENSION_NOT_ALLOWED, "/Message/MessageBody/AdditionalDocument[1]/File[1]/filename")
    ]
