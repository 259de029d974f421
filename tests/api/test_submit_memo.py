"""POST /apis/v1/memos: accepted, replayed, refused — and nothing stored for a refusal."""

import uuid

import pytest

from cast import PDF
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Event, Message, Receipt
from digitalpost.outbox.models import Job
from digitalpost.protocols import memo


def stored_counts():
    return (Message.objects.count(), Document.objects.count(), Event.objects.count(), Receipt.objects.count(),
            Job.objects.count())


def test_valid_memo_is_received_with_201_and_a_receipt(cast):
    letter = cast.nordby.memo(cast.anna, label="Afgørelse")
    response = cast.nordby.submit(letter)
    assert response.status_code == 201
    receipt = response.json()
    assert receipt["receiptStatus"] == "RECEIVED"
    assert receipt["messageUUID"] == letter.header.message_uuid
    assert receipt["errorCode"] is None
    message = Message.objects.get(pk=receipt["messageId"])
    assert str(message.transmission_id) == receipt["transmissionId"]
    assert message.mailbox == cast.anna.mailbox
    assert message.label == "Afgørelse"
    assert bytes(message.pending_memo) == memo.build(letter)
    assert Job.objects.filter(key=f"deliver:{message.pk}").exists()


def test_delivery_moves_the_memo_and_its_documents_into_the_blob_store(cast, drain):
    files = [("brev.pdf", "application/pdf", PDF), ("bilag.txt", "text/plain", b"b")]
    letter = cast.nordby.memo(cast.anna, files=files)
    message = Message.objects.get(pk=cast.nordby.submit(letter).json()["messageId"])
    drain()
    message.refresh_from_db()
    store = blob_store()
    assert message.pending_memo is None
    assert store.read(message.memo_blob) == memo.build(letter)
    assert [(d.filename, d.role, store.read(d.blob)) for d in message.documents.all()] == [
        ("brev.pdf", "main", PDF), ("bilag.txt", "additional", b"b")
    ]


@pytest.mark.parametrize("accepted_by", ["this version", "a version that recorded no document parts"])
def test_delivery_stores_the_documents_of_a_memo_whether_or_not_acceptance_recorded_its_parts(cast, drain,
                                                                                               accepted_by):
    files = [("brev.pdf", "application/pdf", PDF), ("bilag.txt", "text/plain", "æøå".encode()),
             ("data.xml", "application/xml", b"<a/>")]
    letter = cast.nordby.memo(cast.anna, files=files)
    message = Message.objects.get(pk=cast.nordby.submit(letter).json()["messageId"])
    roles = ["main", "additional", "additional"]
    assert [(p["filename"], p["role"], p["size"]) for p in message.document_parts] == [
        (name, role, len(content)) for (name, _, content), role in zip(files, roles, strict=True)
    ]
    if accepted_by != "this version":  # as a message accepted before an upgrade waits in its row
        Message.objects.filter(pk=message.pk).update(document_parts=None)
    drain()
    message.refresh_from_db()
    store = blob_store()
    assert (message.state, message.pending_memo, message.document_parts) == ("DELIVERED", None, None)
    assert [(d.position, d.filename, d.media_type, d.size, store.read(d.blob))
            for d in message.documents.order_by("position")] == [
        (position, name, media_type, len(content), content)
        for position, (name, media_type, content) in enumerate(files, start=1)
    ]


def test_large_memo_goes_to_the_blob_store_at_once(cast, settings):
    settings.DIGITALPOST_JOURNAL_MAX_BYTES = 100
    letter = cast.nordby.memo(cast.anna)
    message = Message.objects.get(pk=cast.nordby.submit(letter).json()["messageId"])
    assert message.pending_memo is None
    assert message.document_parts is None  # the worker reads and parses it from the blob store
    assert blob_store().read(message.memo_blob) == memo.build(letter)


def test_http_basic_with_the_token_as_password_is_accepted(cast):
    response = cast.nordby.submit(cast.nordby.memo(cast.anna), client=cast.nordby.client(basic=True))
    assert response.status_code == 201


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic !!!", "Token abc"])
def test_missing_or_unknown_token_is_refused_with_401(cast, client, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post("/apis/v1/memos", data=memo.build(cast.nordby.memo(cast.anna)),
                           content_type="application/xml", **kwargs)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "authentication.failed"
    assert stored_counts() == (0, 0, 0, 0, 0)


def test_same_uuid_and_bytes_replays_the_original_receipt_and_stores_nothing_new(cast):
    letter = cast.nordby.memo(cast.anna)
    first = cast.nordby.submit(letter).json()
    before = stored_counts()
    again = cast.nordby.submit(letter)
    assert again.status_code == 200
    assert again.json() == first
    assert stored_counts() == before


def test_same_uuid_with_other_content_is_a_conflict(cast):
    letter = cast.nordby.memo(cast.anna, label="Første")
    cast.nordby.submit(letter)
    changed = cast.nordby.memo(cast.anna, label="Anden", message_uuid=letter.header.message_uuid)
    response = cast.nordby.submit(changed)
    assert response.status_code == 409
    assert response.json()["errorCode"] == "memo.uuid.conflict"
    assert Message.objects.count() == 1


def test_another_authority_may_reuse_a_uuid_without_conflict(cast):
    letter = cast.nordby.memo(cast.anna)
    cast.nordby.submit(letter)
    theirs = cast.sydby.memo(cast.anna, message_uuid=letter.header.message_uuid)
    assert cast.sydby.submit(theirs).status_code == 201


def test_query_uuid_differing_from_header_is_refused_with_memo_uuid_mismatch(cast):
    response = cast.nordby.submit(cast.nordby.memo(cast.anna), message_uuid=str(uuid.uuid4()))
    assert response.status_code == 400
    assert response.json()["errorCode"] == "memo.uuid.mismatch"
    assert stored_counts() == (0, 0, 0, 0, 0)


def test_non_xml_content_type_is_refused(cast):
    response = cast.nordby.client().post("/apis/v1/memos", data=b"{}", content_type="application/json")
    assert response.status_code == 415
    assert response.json()["errorCode"] == "memo.content.type.not.supported"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<not xml", "memo.invalid"),
        (b"<?xml version='1.0'?><Message xmlns='urn:other'/>", "memo.invalid"),
    ],
)
def test_malformed_memo_is_invalid_with_400(cast, body, code):
    response = cast.nordby.submit(body)
    assert response.status_code == 400
    receipt = response.json()
    assert receipt["receiptStatus"] == "INVALID"
    assert receipt["errorCode"] == code
    assert receipt["errorMessage"]
    assert stored_counts() == (0, 0, 0, 0, 0)


def test_memo_over_the_size_limit_is_refused_with_memo_too_large(cast, settings):
    settings.DIGITALPOST_MAX_MEMO_BYTES = 500
    response = cast.nordby.submit(cast.nordby.memo(cast.anna))
    assert response.json()["errorCode"] == "memo.too.large"
    assert response.json()["receiptStatus"] == "INVALID"
    assert stored_counts() == (0, 0, 0, 0, 0)


def test_service_rule_breach_is_invalid_with_its_code(cast):
    letter = cast.nordby.memo(cast.anna, files=[("brev.exe", "application/octet-stream", b"MZ")])
    response = cast.nordby.submit(letter)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "file.extension.not.allowed"
    assert "brev.exe" in response.json()["errorMessage"] or "File" in response.json()["errorMessage"]
    assert stored_counts() == (0, 0, 0, 0, 0)


def test_sender_other_than_the_systems_authority_is_not_allowed(cast):
    letter = cast.nordby.memo(cast.anna, sender_cvr=cast.sydby.authority.cvr)
    response = cast.nordby.submit(letter)
    assert response.status_code == 403
    assert response.json()["receiptStatus"] == "NOT_ALLOWED"
    assert response.json()["errorCode"] == "sender.not.allowed"
    assert stored_counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("who", "code"),
    [("carl", "recipient.is.closed"), ("bent", "recipient.is.exempt"), ("stranger", "recipient.unknown")],
)
def test_recipient_that_cannot_receive_is_not_allowed(cast, who, code):
    recipient = getattr(cast, who) if who != "stranger" else "0101801111"
    message = cast.nordby.memo(recipient)
    client = cast.nordby.client()
    response = client.post(f"/apis/v1/memos?kombi=digital&memo-message-uuid={message.header.message_uuid}",
                           data=memo.build(message), content_type="application/xml")
    assert response.status_code == 403
    assert response.json()["errorCode"] == code
    assert stored_counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("flag", "code"), [("mandatory", "mandatory.not.allowed"), ("legal_notification", "legal.notification.not.allowed")]
)
def test_authority_without_permission_may_not_send_flagged_mail(cast, flag, code):
    response = cast.sydby.submit(cast.sydby.memo(cast.anna, **{flag: True}))
    assert response.status_code == 403
    assert response.json()["errorCode"] == code
    assert cast.nordby.submit(cast.nordby.memo(cast.anna, **{flag: True})).status_code == 201


def test_company_recipient_gets_the_message_in_its_mailbox(cast):
    response = cast.nordby.submit(cast.nordby.memo(cast.dorte))
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["messageId"])
    assert message.mailbox == cast.dorte.mailbox
    assert not message.is_to_authority_as_company


def test_authority_writing_to_another_authority_as_company_is_allowed_but_marked(cast):
    from digitalpost.registry.models import Contact
    from digitalpost.registry.services import register_contact

    register_contact(kind=Contact.Kind.COMPANY, number=cast.sydby.authority.cvr, name="Sydby Kommune")
    response = cast.nordby.submit(cast.nordby.memo(cast.sydby.authority.cvr, id_type="CVR"))
    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["messageId"]).is_to_authority_as_company


def test_unknown_recipient_id_type_is_refused(cast):
    response = cast.nordby.submit(cast.nordby.memo("12345678", id_type="P-NUMMER"))
    assert response.status_code == 403
    assert response.json()["errorCode"] == "recipient.unknown"


def test_declared_oversized_body_is_refused_before_it_is_read(cast, settings):
    settings.DIGITALPOST_MAX_MEMO_BYTES = 1000
    response = cast.nordby.client().post(
        "/apis/v1/memos", data=b"x" * 2000, content_type="application/xml", CONTENT_LENGTH="2000"
    )
    assert response.status_code == 413
    assert response.json()["errorCode"] == "memo.too.large"
    assert stored_counts() == (0, 0, 0, 0, 0)
