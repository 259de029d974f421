"""`simple_message` makes valid letters for producers; `iter_files` walks files in document order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digitalpost.protocols.memo import MemoVersion, ServiceRules, build, iter_files, parse, simple_message
from digitalpost.protocols.memo.values import UUID_V4

CREATED = datetime(2024, 5, 3, 9, 30, tzinfo=UTC)
FILES = [
    ("afgørelse.pdf", "application/pdf", b"%PDF-1.7"),
    ("bilag 1.txt", "text/plain", "Ærø".encode()),
    ("bilag 2.csv", "text/csv", b"a;b"),
]


def _letter(version: MemoVersion, **options):
    return simple_message(
        sender_cvr="29189846", sender_label="Nordby Kommune", recipient_id="0101011234", label="Afgørelse",
        files=FILES, created=CREATED, version=version, **options,
    )


@pytest.mark.parametrize("version", list(MemoVersion))
def test_simple_message_is_xsd_valid_and_passes_the_service_rules_in_both_versions(version, xsd):
    message = _letter(version)

    assert xsd.errors(build(message), version) == []
    assert parse(build(message), max_bytes=10**6) == message
    from digitalpost.protocols.memo import validate

    assert validate(message, rules=ServiceRules(), today=date(2024, 5, 3)) == []


def test_simple_message_in_1_1_carries_the_schema_version_and_both_flags():
    message = _letter(MemoVersion.V1_1)

    assert message.memo_sch_version == "1.1.0"
    assert message.header.mandatory is False
    assert message.header.legal_notification is False


def test_simple_message_gets_a_fresh_uuid4_unless_given_one():
    first, second = _letter(MemoVersion.V1_2), _letter(MemoVersion.V1_2)
    given = _letter(MemoVersion.V1_2, message_uuid="8C2EA15D-61FB-4BA9-9366-42F8B194C114")

    assert UUID_V4.fullmatch(first.header.message_uuid)
    assert first.header.message_uuid != second.header.message_uuid
    assert given.header.message_uuid == "8C2EA15D-61FB-4BA9-9366-42F8B194C114"


def test_simple_message_passes_header_options_through():
    message = _letter(MemoVersion.V1_2, reply=True, notification="Du har fået post", mandatory=True)

    assert (message.header.reply, message.header.notification, message.header.mandatory) == (
        True, "Du har fået post", True,
    )


def test_first_file_is_the_main_document_and_the_rest_are_attachments_in_order():
    message = _letter(MemoVersion.V1_2)

    assert [(where, role, file.filename) for where, role, file in iter_files(message)] == [
        ("/Message/MessageBody/MainDocument/File[1]", "main", "afgørelse.pdf"),
        ("/Message/MessageBody/AdditionalDocument[1]/File[1]", "additional", "bilag 1.txt"),
        ("/Message/MessageBody/AdditionalDocument[2]/File[1]", "additional", "bilag 2.csv"),
    ]


def test_message_without_body_has_no_files():
    message = simple_message(
        sender_cvr="29189846", sender_label="Nordby Kommune", recipient_id="0101011234", label="SMS",
        files=[], created=CREATED, notification="Hej",
    )

    assert message.body is None
    assert list(iter_files(message)) == []
