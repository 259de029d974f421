"""The files of a MeMo that was accepted before: its documents read out without walking the whole model.

`parse` checks every element of a message against the model, which a message has passed once already when it
was accepted; what a letter or a delivery needs later is only its documents: each file with its document's
role and label, in document order. `accepted_files` reads just those elements, with the same hardened XML
parser and the same value readers as `parse`, so the values are the same; a message it cannot read that way
(not a MeMo any more, a value that does not read) goes through `parse`, which says what is wrong. Not for:
checking a message (parse, validate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from digitalpost.protocols.memo import values
from digitalpost.protocols.memo.compose import iter_files
from digitalpost.protocols.memo.model import File, Message
from digitalpost.protocols.memo.parse import _parse_xml, _read_version, parse
from digitalpost.protocols.memo.spec import BASE64, LANGUAGE, NAMESPACE, TEXT, MemoRejected, MemoVersion

_BODY = f"{{{NAMESPACE}}}MessageBody"
_DOCUMENTS = ((f"{{{NAMESPACE}}}MainDocument", "main", "MainDocument"),
              (f"{{{NAMESPACE}}}AdditionalDocument", "additional", "AdditionalDocument"),
              (f"{{{NAMESPACE}}}TechnicalDocument", "technical", "TechnicalDocument"))
_LABEL, _FILE = f"{{{NAMESPACE}}}label", f"{{{NAMESPACE}}}File"
_FILE_FIELDS = ((f"{{{NAMESPACE}}}encodingFormat", "encoding_format", TEXT),
                (f"{{{NAMESPACE}}}filename", "filename", TEXT),
                (f"{{{NAMESPACE}}}language", "language", LANGUAGE),
                (f"{{{NAMESPACE}}}content", "content", BASE64))


@dataclass(frozen=True, slots=True)
class AcceptedFile:
    """One file as `iter_files` names it (where, role), with the label of the document it belongs to."""

    where: str  # "/Message/MessageBody/AdditionalDocument[2]/File[1]"
    role: str  # "main", "additional" or "technical"
    label: str  # the document's label ("" when it has none)
    file: File


class _NotReadable(Exception):
    pass


def accepted_files(data: bytes, *, max_bytes: int) -> list[AcceptedFile]:
    """Every file of the message in document order (main, additional, technical), as `parse` + `iter_files`
    would give them. Raises MemoRejected, as `parse` does, for a message that is not a MeMo."""
    try:
        return _read(data, max_bytes=max_bytes)
    except (_NotReadable, MemoRejected, values.BadValue):
        return files_of(parse(data, max_bytes=max_bytes))


def files_of(message: Message) -> list[AcceptedFile]:
    """`accepted_files` of a parsed message."""
    if message.body is None:
        return []
    labels = {"MainDocument": message.body.main_document.label}
    labels |= {f"AdditionalDocument[{n}]": d.label for n, d in enumerate(message.body.additional_documents, 1)}
    labels |= {f"TechnicalDocument[{n}]": d.label for n, d in enumerate(message.body.technical_documents, 1)}
    return [AcceptedFile(where=where, role=role, label=labels.get(where.split("/")[3]) or "", file=file)
            for where, role, file in iter_files(message)]


def _read(data: bytes, *, max_bytes: int) -> list[AcceptedFile]:
    if len(data) > max_bytes:
        raise _NotReadable
    root, streamed = _parse_xml(data)
    if root.tag != f"{{{NAMESPACE}}}Message":
        raise _NotReadable
    version = _read_version(root.get("memoVersion"), [])
    if version is None:
        raise _NotReadable
    body = root.find(_BODY)
    if body is None:
        return []
    found = []
    for tag, role, name in _DOCUMENTS:
        for number, document in enumerate(body.iterchildren(tag), start=1):
            step = name if role == "main" else f"{name}[{number}]"
            label = document.find(_LABEL)
            text = "" if label is None else values.read(label.text or "", TEXT, version)
            files = list(document.iterchildren(_FILE))
            if not files:
                raise _NotReadable
            found += [AcceptedFile(where=f"/Message/MessageBody/{step}/File[{index}]", role=role, label=str(text),
                                   file=_file(element, version, streamed))
                      for index, element in enumerate(files, start=1)]
    return found


def _file(element: etree._Element, version: MemoVersion,
          streamed: dict[etree._Element, values.Base64Stream]) -> File:
    fields: dict[str, Any] = {}
    for tag, name, stype in _FILE_FIELDS:
        child = element.find(tag)
        if child is None:
            raise _NotReadable
        stream = streamed.get(child)
        fields[name] = stream.result() if stream is not None else values.read(child.text or "", stype, version)
    return File(**fields)
