"""`parse` refuses what the MeMo schema does not allow, naming the code and the exact element, all at once."""

from __future__ import annotations

import importlib
import time

import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.memo import MemoRejected, parse
from helpers.memo_support import sample_bytes

MAX_BYTES = 1024 * 1024
MINIMUM_1_2 = sample_bytes("1.2", "MeMo_Minimum_Example.xml").decode()
MINIMUM_1_1 = sample_bytes("1.1", "MeMo_Minimum_Example.xml").decode()
ATTACHMENTS_1_2 = sample_bytes("1.2", "MeMo_with_attachment.xml").decode()
NEMSMS_1_1 = sample_bytes("1.1", "MeMo_NemSMS.xml").decode()
INVALID = ErrorCode.MEMO_INVALID
# The module, not the package's `parse` function of the same name.
memo_parse = importlib.import_module("digitalpost.protocols.memo.parse")


@pytest.fixture(autouse=True, params=["tree", "streamed"])
def parse_path(request, monkeypatch):
    """Every refusal holds on both ways in: a small MeMo parsed into a tree at once, and the streamed reading
    that larger ones take (forced here by a tree limit of 0 bytes)."""
    if request.param == "streamed":
        monkeypatch.setattr(memo_parse, "TREE_BYTES", 0)
    return request.param


def changed(document: str, old: str, new: str) -> bytes:
    assert old in document, f"test setup: {old!r} not in the sample"
    return document.replace(old, new, 1).encode()


def refusals(data: bytes) -> list[tuple[ErrorCode, str]]:
    with pytest.raises(MemoRejected) as caught:
        parse(data, max_bytes=MAX_BYTES)
    return [(p.code, p.where) for p in caught.value.problems]


def refusal_texts(data: bytes) -> list[str]:
    with pytest.raises(MemoRejected) as caught:
        parse(data, max_bytes=MAX_BYTES)
    return [p.text for p in caught.value.problems]


def test_the_unchanged_base_samples_parse():
    for document in (MINIMUM_1_2, MINIMUM_1_1, ATTACHMENTS_1_2, NEMSMS_1_1):
        parse(document.encode(), max_bytes=MAX_BYTES)


def test_elements_in_the_wrong_order_are_refused_at_the_misplaced_element():
    uuid = "<memo:messageUUID>8C2EA15D-61FB-4BA9-9366-42F8B194C114</memo:messageUUID>"
    label = "<memo:label>Pladsanvisning</memo:label>"
    data = changed(MINIMUM_1_2, f"{uuid}\n\t\t{label}", f"{label}\n\t\t{uuid}")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/messageUUID")]
    assert "must come before label" in refusal_texts(data)[0]


def test_missing_required_element_is_refused_with_its_path():
    data = changed(MINIMUM_1_2, "<memo:label>Pladsanvisning</memo:label>", "")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/label")]
    assert refusal_texts(data) == ["MessageHeader is missing the required element label."]


def test_unknown_element_is_refused_with_its_path():
    id_type = "<memo:idType>CPR</memo:idType>"
    data = changed(MINIMUM_1_2, id_type, f"{id_type}<memo:colour>red</memo:colour>")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/Recipient/colour")]


def test_element_in_a_foreign_namespace_is_refused():
    data = changed(MINIMUM_1_2, "<memo:idType>CPR</memo:idType>", '<x:idType xmlns:x="urn:x">CPR</x:idType>')

    assert (INVALID, "/Message/MessageHeader/Recipient/idType") in refusals(data)


def test_text_of_257_characters_is_refused_as_too_long():
    data = changed(MINIMUM_1_2, "<memo:label>Pladsanvisning</memo:label>", f"<memo:label>{'æ' * 257}</memo:label>")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/label")]
    assert "257 characters" in refusal_texts(data)[0]
    assert "256" in refusal_texts(data)[0]


def test_text_of_256_characters_is_accepted():
    data = changed(MINIMUM_1_2, "<memo:label>Pladsanvisning</memo:label>", f"<memo:label>{'æ' * 256}</memo:label>")

    assert parse(data, max_bytes=MAX_BYTES).header.label == "æ" * 256


def test_file_problem_in_a_repeated_element_names_its_1_based_index():
    data = changed(ATTACHMENTS_1_2, "File2.txt", "F" * 257)

    assert refusals(data) == [(INVALID, "/Message/MessageBody/MainDocument/File[2]/filename")]


def test_uuid_that_is_not_version_4_is_refused():
    data = changed(MINIMUM_1_2, "8C2EA15D-61FB-4BA9", "8C2EA15D-61FB-1BA9")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/messageUUID")]
    assert "version 4 UUID" in refusal_texts(data)[0]


@pytest.mark.parametrize("value", ["2024-05-03T12:00:00+02:00", "2024-05-03T12:00:00", "2024-05-03"])
def test_date_time_without_z_is_refused(value):
    data = changed(MINIMUM_1_2, "2024-05-03T12:00:00Z", value)

    assert refusals(data) == [(INVALID, "/Message/MessageBody/createdDateTime")]


def test_memo_version_9_9_is_refused():
    data = changed(MINIMUM_1_2, 'memoVersion="1.2"', 'memoVersion="9.9"')

    assert refusals(data) == [(INVALID, "/Message/@memoVersion")]


def test_memo_1_1_without_mandatory_and_mem_sch_version_is_refused_for_each():
    data = changed(MINIMUM_1_1, "<memo:mandatory>false</memo:mandatory>", "")
    data = changed(data.decode(), ' memoSchVersion="1.1.0"', "")

    assert refusals(data) == [
        (INVALID, "/Message/@memoSchVersion"), (INVALID, "/Message/MessageHeader/mandatory"),
    ]


def test_memo_1_2_may_leave_out_mandatory_but_must_not_carry_mem_sch_version():
    data = changed(MINIMUM_1_2, 'memoVersion="1.2"', 'memoVersion="1.2" memoSchVersion="1.1.0"')

    assert refusals(data) == [(INVALID, "/Message/@memoSchVersion")]


def test_representative_is_refused_in_memo_1_1():
    representative = "<memo:Representative><memo:label>R</memo:label></memo:Representative>"
    label = "<memo:label>Kommunen</memo:label>"
    data = changed(MINIMUM_1_1, label, f"{label}{representative}")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/Sender/Representative")]
    assert "MeMo 1.2" in refusal_texts(data)[0]


def test_notification_of_151_characters_is_refused_in_1_1_but_fine_in_1_2():
    too_long_for_1_1 = changed(NEMSMS_1_1, ">Message Text<", f">{'n' * 151}<")
    fine_in_1_2 = changed(too_long_for_1_1.decode(), 'memoVersion="1.1" memoSchVersion="1.1.0"', 'memoVersion="1.2"')

    assert refusals(too_long_for_1_1) == [(INVALID, "/Message/MessageHeader/notification")]
    assert parse(fine_in_1_2, max_bytes=MAX_BYTES).header.notification == "n" * 151


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), (" false ", False), ("0", False)])
def test_booleans_accept_the_four_xsd_spellings(value, expected):
    data = changed(MINIMUM_1_1, "<memo:mandatory>false</memo:mandatory>", f"<memo:mandatory>{value}</memo:mandatory>")

    assert parse(data, max_bytes=MAX_BYTES).header.mandatory is expected


def test_boolean_yes_is_refused():
    data = changed(MINIMUM_1_1, "<memo:mandatory>false</memo:mandatory>", "<memo:mandatory>yes</memo:mandatory>")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/mandatory")]


@pytest.mark.parametrize("content", ["not base64!", "QQ", "QR=="])
def test_content_that_is_not_base64_is_refused(content):
    data = changed(MINIMUM_1_2, "VGhpcyBpcyBhIHRlc3Q=", content)

    assert refusals(data) == [(INVALID, "/Message/MessageBody/MainDocument/File[1]/content")]


def test_base64_with_line_breaks_is_read():
    data = changed(MINIMUM_1_2, "VGhpcyBpcyBhIHRlc3Q=", "VGhpcyBp\n  cyBhIHRlc3Q=\n")

    message = parse(data, max_bytes=MAX_BYTES)

    assert message.body is not None
    assert message.body.main_document.files[0].content == b"This is a test"


def test_action_with_both_reservation_and_entry_point_is_refused():
    reservation = (
        "<memo:Reservation><memo:description>d</memo:description>"
        "<memo:reservationUUID>8c2ea15d-61fb-4ba9-9366-42f8b194d241</memo:reservationUUID>"
        "<memo:abstract>a</memo:abstract><memo:location>l</memo:location>"
        "<memo:startDateTime>2024-05-03T12:00:00Z</memo:startDateTime>"
        "<memo:endDateTime>2024-05-03T13:00:00Z</memo:endDateTime></memo:Reservation>"
    )
    action = (
        "<memo:Action><memo:label>Book</memo:label><memo:actionCode>AFTALE</memo:actionCode>"
        f"{reservation}<memo:EntryPoint><memo:url>https://example.dk</memo:url></memo:EntryPoint></memo:Action>"
    )
    data = changed(MINIMUM_1_2, "</memo:File>", f"</memo:File>{action}")

    assert refusals(data) == [(INVALID, "/Message/MessageBody/MainDocument/Action[1]/EntryPoint")]


def test_more_contact_info_than_the_schema_allows_is_refused_at_the_extra_one():
    info = "<memo:ContactInfo><memo:label>l</memo:label><memo:value>v</memo:value></memo:ContactInfo>"
    point = f"<memo:ContactPoint><memo:contactPointID>c</memo:contactPointID>{info * 3}</memo:ContactPoint>"
    data = changed(MINIMUM_1_2, "<memo:idType>CPR</memo:idType>", f"<memo:idType>CPR</memo:idType>{point}")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/Recipient/ContactPoint/ContactInfo[3]")]


def test_text_between_elements_and_unknown_attributes_are_refused():
    data = changed(MINIMUM_1_2, "<memo:Recipient>", '<memo:Recipient colour="red">stray text')

    assert refusals(data) == [
        (INVALID, "/Message/MessageHeader/Recipient/@colour"), (INVALID, "/Message/MessageHeader/Recipient"),
    ]


def test_xsi_schema_location_is_allowed_on_the_root():
    location = 'xsi:schemaLocation="https://DigitalPost.dk/MeMo-1 MeMo_core.xsd"'
    data = changed(MINIMUM_1_2, 'memoVersion="1.2"', f'memoVersion="1.2" {location}')

    parse(data, max_bytes=MAX_BYTES)


def test_wrong_root_element_is_refused():
    assert refusals(b'<Message xmlns="urn:other" memoVersion="1.2"/>') == [(INVALID, "/Message")]


def test_not_well_formed_xml_is_refused_as_memo_invalid():
    data = MINIMUM_1_2.replace("</memo:Message>", "").encode()

    assert refusals(data) == [(INVALID, "/")]
    assert "not well-formed" in refusal_texts(data)[0]


def test_several_problems_are_all_reported_at_once():
    data = changed(MINIMUM_1_2, "8C2EA15D-61FB-4BA9", "nonsense-61FB-4BA9")
    data = changed(data.decode(), "<memo:idType>CVR</memo:idType>", "")
    data = changed(data.decode(), "2024-05-03T12:00:00Z", "yesterday")
    data = changed(data.decode(), ">da<", ">dansk<")

    assert refusals(data) == [
        (INVALID, "/Message/MessageHeader/messageUUID"),
        (INVALID, "/Message/MessageHeader/Sender/idType"),
        (INVALID, "/Message/MessageBody/createdDateTime"),
        (INVALID, "/Message/MessageBody/MainDocument/File[1]/language"),
    ]


def test_too_large_message_is_refused_before_parsing():
    not_even_xml = b"<" * 2000

    with pytest.raises(MemoRejected) as caught:
        parse(not_even_xml, max_bytes=1999)

    assert [(p.code, p.where) for p in caught.value.problems] == [(ErrorCode.MEMO_TOO_LARGE, "/")]
    assert "2000 bytes" in caught.value.problems[0].text


def test_message_of_exactly_max_bytes_is_accepted():
    data = MINIMUM_1_2.encode()

    parse(data, max_bytes=len(data))


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">\n' for i in range(1, 10))
    + ']>\n<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2">&lol9;</memo:Message>'
).encode()


def test_billion_laughs_bomb_is_refused_quickly_as_memo_invalid():
    started = time.monotonic()

    problems = refusals(BILLION_LAUGHS)

    assert problems == [(INVALID, "/")]
    assert time.monotonic() - started < 5  # a guard against hanging, not a benchmark


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_external_entity_is_refused_and_never_read(encoding):
    xxe = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + MINIMUM_1_2.split("\n", 1)[1].replace("Pladsanvisning</memo:label>", "&xxe;</memo:label>", 1)
    ).encode(encoding)

    assert refusals(xxe) == [(INVALID, "/")]
    assert not any("root:" in text for text in refusal_texts(xxe))


def test_memo_rejected_is_a_catalogue_error_carrying_the_first_problem():
    with pytest.raises(DigitalPostError) as caught:
        parse(b"<nope", max_bytes=MAX_BYTES)

    assert caught.value.code is ErrorCode.MEMO_INVALID
    assert "/:" in caught.value.detail


def test_a_flood_of_problems_is_capped_rather_than_reported_without_end():
    junk = "<memo:junk/>" * 5000
    data = changed(MINIMUM_1_2, "<memo:idType>CPR</memo:idType>", f"<memo:idType>CPR</memo:idType>{junk}")

    problems = refusals(data)

    assert 1 < len(problems) <= 100


def test_simple_element_holding_elements_is_refused():
    data = changed(MINIMUM_1_2, ">Pladsanvisning<", "><memo:b>x</memo:b><")

    assert refusals(data) == [(INVALID, "/Message/MessageHeader/label")]


def test_base64_with_characters_outside_the_alphabet_is_refused_although_libxml2_would_skip_them():
    data = changed(MINIMUM_1_2, "VGhpcyBpcyBhIHRlc3Q=", "2024-05-03")

    assert refusals(data) == [(INVALID, "/Message/MessageBody/MainDocument/File[1]/content")]


@pytest.mark.parametrize("empty", ["<memo:mandatory/>", "<memo:mandatory></memo:mandatory>"])
def test_empty_boolean_element_takes_the_xsd_default_false(empty):
    data = changed(MINIMUM_1_1, "<memo:mandatory>false</memo:mandatory>", empty)

    assert parse(data, max_bytes=MAX_BYTES).header.mandatory is False
