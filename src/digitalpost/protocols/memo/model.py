"""The typed MeMo 1.1/1.2 model: one frozen dataclass per XSD element, children declared in XSD order.

Values are Python values (aware UTC `datetime`, `date`, `bool | None`, `int`, file content as `bytes`);
UUIDs and texts stay the exact strings given, so parse and build round-trip without loss. An optional
element that is absent is `None`; a repeatable one is a tuple. Not for: behaviour — parsing, building and
the rules live in their own modules, and who may send what is decided elsewhere.
"""

# Each field is declared with el(...), a thin wrapper around dataclasses.field carrying the XSD facts.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from digitalpost.protocols.memo.parts import (
    EID,
    Address,
    CPRData,
    CVRData,
    Education,
    FORMData,
    GlobalLocationNumber,
    KLEData,
    MotorVehicle,
    ProductionUnit,
    PropertyNumber,
    SENumber,
    SORData,
    UnstructuredAddress,
)
from digitalpost.protocols.memo.spec import (
    BASE64,
    BOOLEAN,
    COMMENT,
    DATE,
    DATETIME,
    DMV,
    FORM,
    GLN,
    GRD,
    KLE,
    LANGUAGE,
    MESSAGE_TYPE,
    NOTIFICATION,
    SOR,
    TEXT,
    UDD,
    URI,
    UUID,
    MemoVersion,
    MessageType,
    el,
)

V1_1_ONLY = frozenset({MemoVersion.V1_1})
V1_2_ONLY = frozenset({MemoVersion.V1_2})


# --- documents -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class File:
    encoding_format: str = el("encodingFormat", TEXT)
    filename: str = el("filename", TEXT)
    language: str = el("language", LANGUAGE)
    content: bytes = el("content", BASE64)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPoint:
    url: str = el("url", URI)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reservation:
    description: str = el("description", TEXT)
    reservation_uuid: str = el("reservationUUID", UUID)
    abstract: str = el("abstract", TEXT)
    location: str = el("location", TEXT)
    start_date_time: datetime = el("startDateTime", DATETIME)
    end_date_time: datetime = el("endDateTime", DATETIME)
    organizer_mail: str | None = el("organizerMail", TEXT, min_occurs=0)
    organizer_name: str | None = el("organizerName", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    label: str = el("label", TEXT)
    action_code: str = el("actionCode", TEXT)
    start_date_time: datetime | None = el("startDateTime", DATETIME, min_occurs=0)
    end_date_time: datetime | None = el("endDateTime", DATETIME, min_occurs=0)
    # The XSD allows a Reservation or an EntryPoint, not both.
    reservation: Reservation | None = el("Reservation", Reservation, min_occurs=0, choice="target")
    entry_point: EntryPoint | None = el("EntryPoint", EntryPoint, min_occurs=0, choice="target")


@dataclass(frozen=True, slots=True, kw_only=True)
class MainDocument:
    main_document_id: str | None = el("mainDocumentID", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)
    files: tuple[File, ...] = el("File", File, max_occurs=None)
    actions: tuple[Action, ...] = el("Action", Action, min_occurs=0, max_occurs=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdditionalDocument:
    additional_document_id: str | None = el("additionalDocumentID", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)
    files: tuple[File, ...] = el("File", File, max_occurs=None)
    actions: tuple[Action, ...] = el("Action", Action, min_occurs=0, max_occurs=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class TechnicalDocument:
    technical_document_id: str | None = el("technicalDocumentID", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)
    files: tuple[File, ...] = el("File", File, max_occurs=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageBody:
    created_date_time: datetime = el("createdDateTime", DATETIME)
    main_document: MainDocument = el("MainDocument", MainDocument)
    additional_documents: tuple[AdditionalDocument, ...] = el(
        "AdditionalDocument", AdditionalDocument, min_occurs=0, max_occurs=None
    )
    technical_documents: tuple[TechnicalDocument, ...] = el(
        "TechnicalDocument", TechnicalDocument, min_occurs=0, max_occurs=None
    )


# --- parties -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionPerson:
    person_id: str | None = el("personID", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class EMail:
    email_address: str = el("emailAddress", TEXT)
    related_agent: str | None = el("relatedAgent", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Telephone:
    telephone_number: str = el("telephoneNumber", TEXT)
    related_agent: str | None = el("relatedAgent", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentResponsible:
    content_responsible_id: str | None = el("contentResponsibleID", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratingSystem:
    generating_system_id: str = el("generatingSystemID", TEXT)
    label: str | None = el("label", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionData:
    attention_person: AttentionPerson | None = el("AttentionPerson", AttentionPerson, min_occurs=0)
    production_unit: ProductionUnit | None = el("ProductionUnit", ProductionUnit, ns=GRD, min_occurs=0)
    global_location_number: GlobalLocationNumber | None = el(
        "GlobalLocationNumber", GlobalLocationNumber, ns=GLN, min_occurs=0
    )
    email: EMail | None = el("EMail", EMail, min_occurs=0)
    se_number: SENumber | None = el("SEnumber", SENumber, ns=GRD, min_occurs=0)
    telephone: Telephone | None = el("Telephone", Telephone, min_occurs=0)
    eid: EID | None = el("EID", EID, ns=GRD, min_occurs=0)
    content_responsible: ContentResponsible | None = el(
        "ContentResponsible", ContentResponsible, min_occurs=0
    )
    generating_system: GeneratingSystem | None = el("GeneratingSystem", GeneratingSystem, min_occurs=0)
    sor_data: SORData | None = el("SORdata", SORData, ns=SOR, min_occurs=0)
    address: Address | None = el("Address", Address, ns=GRD, min_occurs=0)
    unstructured_address: UnstructuredAddress | None = el(
        "UnstructuredAddress", UnstructuredAddress, ns=GRD, min_occurs=0
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactInfo:
    label: str = el("label", TEXT)
    value: str = el("value", TEXT)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPoint:
    contact_group: str | None = el("contactGroup", TEXT, min_occurs=0)
    contact_point_id: str = el("contactPointID", TEXT)
    label: str | None = el("label", TEXT, min_occurs=0)
    contact_info: tuple[ContactInfo, ...] = el("ContactInfo", ContactInfo, min_occurs=0, max_occurs=2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Representative:
    """MeMo 1.2 only: who sends on the sender's behalf."""

    representative_id: str | None = el("representativeID", TEXT, min_occurs=0)
    id_type: str | None = el("idType", TEXT, min_occurs=0)
    id_type_label: str | None = el("idTypeLabel", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sender:
    sender_id: str = el("senderID", TEXT)
    id_type: str = el("idType", TEXT)
    id_type_label: str | None = el("idTypeLabel", TEXT, min_occurs=0)
    label: str = el("label", TEXT)
    attention_data: AttentionData | None = el("AttentionData", AttentionData, min_occurs=0)
    contact_point: ContactPoint | None = el("ContactPoint", ContactPoint, min_occurs=0)
    representative: Representative | None = el(
        "Representative", Representative, min_occurs=0, only_in=V1_2_ONLY
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    recipient_id: str = el("recipientID", TEXT)
    id_type: str = el("idType", TEXT)
    id_type_label: str | None = el("idTypeLabel", TEXT, min_occurs=0)
    label: str | None = el("label", TEXT, min_occurs=0)
    attention_data: AttentionData | None = el("AttentionData", AttentionData, min_occurs=0)
    contact_point: ContactPoint | None = el("ContactPoint", ContactPoint, min_occurs=0)


# --- content data --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseID:
    case_id: str = el("caseID", TEXT)
    case_system: str = el("caseSystem", TEXT)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdditionalContentData:
    content_data_type: str | None = el("contentDataType", TEXT, min_occurs=0)
    content_data_name: str = el("contentDataName", TEXT)
    content_data_value: str = el("contentDataValue", TEXT)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentData:
    cpr_data: CPRData | None = el("CPRdata", CPRData, ns=GRD, min_occurs=0)
    cvr_data: CVRData | None = el("CVRdata", CVRData, ns=GRD, min_occurs=0)
    motor_vehicle: MotorVehicle | None = el("MotorVehicle", MotorVehicle, ns=DMV, min_occurs=0)
    property_number: PropertyNumber | None = el("PropertyNumber", PropertyNumber, ns=GRD, min_occurs=0)
    case_id: CaseID | None = el("CaseID", CaseID, min_occurs=0)
    kle_data: KLEData | None = el("KLEdata", KLEData, ns=KLE, min_occurs=0)
    form_data: FORMData | None = el("FORMdata", FORMData, ns=FORM, min_occurs=0)
    production_unit: ProductionUnit | None = el("ProductionUnit", ProductionUnit, ns=GRD, min_occurs=0)
    education: Education | None = el("Education", Education, ns=UDD, min_occurs=0)
    address: Address | None = el("Address", Address, ns=GRD, min_occurs=0)
    unstructured_address: UnstructuredAddress | None = el(
        "UnstructuredAddress", UnstructuredAddress, ns=GRD, min_occurs=0
    )
    additional_content_data: tuple[AdditionalContentData, ...] = el(
        "AdditionalContentData", AdditionalContentData, min_occurs=0, max_occurs=10
    )


# --- header --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardData:
    message_uuid: str = el("messageUUID", UUID)
    original_message_date_time: datetime = el("originalMessageDateTime", DATETIME)
    original_sender: str = el("originalSender", TEXT)
    original_content_responsible: str | None = el("originalContentResponsible", TEXT, min_occurs=0)
    original_representative: str | None = el(
        "originalRepresentative", TEXT, min_occurs=0, only_in=V1_2_ONLY
    )
    contact_point_id: str | None = el("contactPointID", TEXT, min_occurs=0)
    comment: str | None = el("comment", COMMENT, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdditionalReplyData:
    label: str = el("label", TEXT)
    value: str = el("value", TEXT)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyData:
    message_id: str | None = el("messageID", TEXT, min_occurs=0)
    message_uuid: str = el("messageUUID", UUID)
    reply_uuid: str | None = el("replyUUID", UUID, min_occurs=0)
    sender_id: str | None = el("senderID", TEXT, min_occurs=0)
    recipient_id: str | None = el("recipientID", TEXT, min_occurs=0)
    case_id: str | None = el("caseID", TEXT, min_occurs=0)
    contact_point_id: str | None = el("contactPointID", TEXT, min_occurs=0)
    generating_system_id: str | None = el("generatingSystemID", TEXT, min_occurs=0)
    comment: str | None = el("comment", COMMENT, min_occurs=0)
    additional_reply_data: tuple[AdditionalReplyData, ...] = el(
        "AdditionalReplyData", AdditionalReplyData, min_occurs=0, max_occurs=4
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageHeader:
    message_type: MessageType = el("messageType", MESSAGE_TYPE)
    message_uuid: str = el("messageUUID", UUID)
    message_id: str | None = el("messageID", TEXT, min_occurs=0)
    message_code: str | None = el("messageCode", TEXT, min_occurs=0)
    label: str = el("label", TEXT)
    notification: str | None = el("notification", NOTIFICATION, min_occurs=0)
    additional_notification: str | None = el("additionalNotification", TEXT, min_occurs=0)
    reply: bool | None = el("reply", BOOLEAN, min_occurs=0, default="false")
    reply_by_date_time: datetime | None = el("replyByDateTime", DATETIME, min_occurs=0)
    do_not_deliver_until_date: date | None = el("doNotDeliverUntilDate", DATE, min_occurs=0)
    # Required in MeMo 1.1, optional from 1.2.
    mandatory: bool | None = el("mandatory", BOOLEAN, required_in=V1_1_ONLY, default="false")
    legal_notification: bool | None = el(
        "legalNotification", BOOLEAN, required_in=V1_1_ONLY, default="false"
    )
    post_type: str | None = el("postType", TEXT, min_occurs=0)
    sender: Sender = el("Sender", Sender)
    recipient: Recipient = el("Recipient", Recipient)
    content_data: ContentData | None = el("ContentData", ContentData, min_occurs=0)
    forward_data: ForwardData | None = el("ForwardData", ForwardData, min_occurs=0)
    reply_data: tuple[ReplyData, ...] = el("ReplyData", ReplyData, min_occurs=0, max_occurs=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A whole MeMo. `memo_sch_version` is 1.1's `memoSchVersion` attribute (required there; not in 1.2)."""

    version: MemoVersion
    memo_sch_version: str | None = None
    header: MessageHeader = el("MessageHeader", MessageHeader)
    body: MessageBody | None = el("MessageBody", MessageBody, min_occurs=0)
