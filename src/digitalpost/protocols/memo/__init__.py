"""MeMo 1.1 and 1.2, the Danish Digital Post message format: a typed model, parse, build and validate.

Bytes in, values out: `parse` reads a message (refusing oversized, hostile or schema-invalid input with every
problem at once), `build` writes one that validates against the official XSD, `validate` applies the service
rules beyond the schema, `content_spans` finds where each file's base64 text lies, so that the documents of a
message accepted before are read back with `decode_span` alone. Pure: never imports Django. Not for: who may send
what to whom, storage, transport.
"""

from digitalpost.protocols.memo.build import build, check
from digitalpost.protocols.memo.compose import iter_files, simple_message
from digitalpost.protocols.memo.model import (
    Action,
    AdditionalContentData,
    AdditionalDocument,
    AdditionalReplyData,
    AttentionData,
    AttentionPerson,
    CaseID,
    ContactInfo,
    ContactPoint,
    ContentData,
    ContentResponsible,
    EMail,
    EntryPoint,
    File,
    ForwardData,
    GeneratingSystem,
    MainDocument,
    Message,
    MessageBody,
    MessageHeader,
    Recipient,
    ReplyData,
    Representative,
    Reservation,
    Sender,
    TechnicalDocument,
    Telephone,
)
from digitalpost.protocols.memo.parse import parse, parse_header
from digitalpost.protocols.memo.parts import (
    EID,
    Address,
    AddressPoint,
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
from digitalpost.protocols.memo.rules import DEFAULT_EXTENSIONS, ServiceRules, validate
from digitalpost.protocols.memo.spans import content_spans, decode_span
from digitalpost.protocols.memo.spec import (
    NAMESPACE,
    MemoRejected,
    MemoVersion,
    MessageType,
    Problem,
    describe_problems,
)

__all__ = [
    "DEFAULT_EXTENSIONS", "EID", "NAMESPACE", "Action", "AdditionalContentData",
    "AdditionalDocument", "AdditionalReplyData", "Address", "AddressPoint", "AttentionData", "AttentionPerson",
    "CPRData",
    "CVRData", "CaseID", "ContactInfo", "ContactPoint", "ContentData", "ContentResponsible", "EMail",
    "Education", "EntryPoint", "FORMData", "File", "ForwardData", "GeneratingSystem",
    "GlobalLocationNumber", "KLEData", "MainDocument", "MemoRejected", "MemoVersion", "Message",
    "MessageBody", "MessageHeader", "MessageType", "MotorVehicle", "Problem", "ProductionUnit",
    "PropertyNumber", "Recipient", "ReplyData", "Representative", "Reservation", "SENumber", "SORData",
    "Sender", "ServiceRules", "TechnicalDocument", "Telephone", "UnstructuredAddress",
    "build", "check", "content_spans", "decode_span", "describe_problems", "iter_files", "parse",
    "parse_header", "simple_message", "validate",
]
