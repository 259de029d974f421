"""`build` writes XML the official XSD accepts, and `parse` reads it back to the very same model."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.memo import (
    CaseID,
    ContentData,
    CPRData,
    MemoRejected,
    MemoVersion,
    Message,
    Representative,
    build,
    parse,
)
from helpers.memo_strategies import messages

MAX_BYTES = 50 * 1024 * 1024
HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@HYPOTHESIS
@given(messages())
def test_any_valid_message_builds_to_xsd_valid_xml_that_parses_back_unchanged(xsd, message: Message):
    data = build(message)

    assert xsd.errors(data, message.version) == []
    assert parse(data, max_bytes=MAX_BYTES) == message


def _letter(version: MemoVersion = MemoVersion.V1_2) -> Message:
    from digitalpost.protocols.memo import simple_message

    return simple_message(
        sender_cvr="29189846", sender_label="Nordby Kommune", recipient_id="0101011234", label="Afgørelse",
        files=[("afgørelse.pdf", "application/pdf", b"%PDF-1.7 ...")], created=datetime(2024, 5, 3, tzinfo=UTC),
        message_uuid="8c2ea15d-61fb-4ba9-9366-42f8b194c114", version=version,
    )


def test_build_writes_utf8_with_declaration_and_the_memo_prefix():
    data = build(_letter())

    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b"<memo:Message" in data
    assert "Afgørelse".encode() in data


def test_build_declares_other_namespaces_only_where_needed():
    plain = build(_letter())
    header = _letter().header
    with_cpr = dataclasses.replace(_letter(), header=dataclasses.replace(
        header,
        content_data=ContentData(
            cpr_data=CPRData(cpr_number="0101011234"), case_id=CaseID(case_id="1", case_system="S")
        ),
    ))

    data = build(with_cpr)

    assert b"xmlns:grd" not in plain
    assert b'xmlns:grd="https://data.gov.dk/model/core/"' in data
    assert b"<grd:CPRdata>" in data
    assert not any(f"xmlns:{p}".encode() in data for p in ("gln", "sor", "kle", "form", "dmv", "udd"))


def test_build_refuses_a_model_with_a_text_too_long_naming_the_element():
    message = _letter()
    too_long = dataclasses.replace(message, header=dataclasses.replace(message.header, label="x" * 257))

    with pytest.raises(MemoRejected) as caught:
        build(too_long)

    assert [(p.code, p.where) for p in caught.value.problems] == [
        (ErrorCode.MEMO_INVALID, "/Message/MessageHeader/label")
    ]


def test_build_refuses_a_1_2_part_in_a_1_1_message():
    message = _letter(MemoVersion.V1_1)
    sender = dataclasses.replace(message.header.sender, representative=Representative(label="R"))
    mixed = dataclasses.replace(message, header=dataclasses.replace(message.header, sender=sender))

    with pytest.raises(MemoRejected) as caught:
        build(mixed)

    assert [p.where for p in caught.value.problems] == ["/Message/MessageHeader/Sender/Representative"]


def test_build_refuses_naive_datetimes_and_missing_1_1_flags_all_at_once():
    message = _letter(MemoVersion.V1_1)
    assert message.body is not None
    broken = dataclasses.replace(
        message,
        header=dataclasses.replace(message.header, mandatory=None),
        body=dataclasses.replace(message.body, created_date_time=datetime(2024, 5, 3)),
    )

    with pytest.raises(MemoRejected) as caught:
        build(broken)

    assert [p.where for p in caught.value.problems] == [
        "/Message/MessageHeader/mandatory", "/Message/MessageBody/createdDateTime",
    ]


def test_danish_text_and_maximum_lengths_round_trip_in_both_versions(xsd):
    for version in MemoVersion:
        message = _letter(version)
        header = dataclasses.replace(
            message.header, label="Æ" * 256, notification="ø" * (150 if version is MemoVersion.V1_1 else 160),
            additional_notification="Ærø\r\nÅbenrå\t<&>",
        )
        message = dataclasses.replace(message, header=header)

        data = build(message)

        assert xsd.errors(data, version) == []
        assert parse(data, max_bytes=MAX_BYTES) == message
