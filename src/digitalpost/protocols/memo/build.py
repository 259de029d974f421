"""Build MeMo XML from the typed model, after checking the model against the same declarations parse uses.

`check` returns every schema problem of a model (missing required parts, lengths, elements of the other
version...); `build` refuses a model with problems, so everything it writes validates against the official
XSD of the message's version. Not for: service rules (rules.py) or streaming very large documents.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.memo import values
from digitalpost.protocols.memo.model import Message
from digitalpost.protocols.memo.spec import (
    NAMESPACE,
    PREFIXES,
    TEXT,
    MemoRejected,
    MemoVersion,
    Problem,
    SimpleType,
    children_in,
    children_of,
    step,
    versions_text,
)


def build(message: Message) -> bytes:
    """The message as UTF-8 XML with an XML declaration; `MemoRejected` if the model breaks the schema."""
    problems = check(message)
    if problems:
        raise MemoRejected(problems)
    attributes = {"memoVersion": message.version.value}
    if message.memo_sch_version is not None:
        attributes["memoSchVersion"] = message.memo_sch_version
    root = etree.Element(f"{{{NAMESPACE}}}Message", attributes, nsmap=dict(PREFIXES))
    _write_children(root, message, message.version)
    etree.cleanup_namespaces(root)  # declare grd, kle, ... only when used
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def _write_children(parent: etree._Element, obj: object, version: MemoVersion) -> None:
    for child in children_in(type(obj), version):
        xf = child.xml
        value = getattr(obj, child.name)
        for item in value if xf.repeated else ([] if value is None else [value]):
            element = etree.SubElement(parent, f"{{{xf.ns}}}{xf.local}")
            if isinstance(xf.type, SimpleType):
                element.text = values.write(item, xf.type)
            else:
                _write_children(element, item, version)


def check(message: Message) -> list[Problem]:
    """Every way `message` breaks the MeMo schema of its version (empty if it can be built)."""
    problems: list[Problem] = []
    if not isinstance(message, Message):
        return [_invalid("/Message", f"must be a Message, not {type(message).__name__}.")]
    if not isinstance(message.version, MemoVersion):
        return [_invalid("/Message/@memoVersion", "version must be MemoVersion.V1_1 or MemoVersion.V1_2.")]
    where = "/Message/@memoSchVersion"
    if message.version is MemoVersion.V1_1:
        if message.memo_sch_version is None:
            problems.append(_invalid(where, 'memoSchVersion is required in MeMo 1.1 (for example "1.1.0").'))
        else:
            _check_value(message.memo_sch_version, TEXT, message.version, where, "memoSchVersion", problems)
    elif message.memo_sch_version is not None:
        problems.append(_invalid(where, "memoSchVersion exists only in MeMo 1.1; leave it out in MeMo 1.2."))
    _check_children(message, "/Message", message.version, problems)
    return problems


def _invalid(where: str, text: str) -> Problem:
    return Problem(ErrorCode.MEMO_INVALID, where, text)


def _check_value(
    value: object, stype: SimpleType, version: MemoVersion, where: str, name: str, problems: list[Problem]
) -> None:
    reason = values.check(value, stype, version)
    if reason is not None:
        problems.append(_invalid(where, f"{name} {reason}."))


def _check_children(obj: Any, path: str, version: MemoVersion, problems: list[Problem]) -> None:
    cls = type(obj)
    parent = path.rsplit("/", 1)[-1].split("[")[0]
    chosen: list[str] = []
    for child in children_of(cls):
        xf = child.xml
        value = getattr(obj, child.name)
        items = _items(value, xf.repeated)
        if items is None:
            problems.append(_invalid(f"{path}/{xf.local}", f"{xf.local} must be a tuple, not "
                                                           f"{type(value).__name__}."))
            continue
        if version not in xf.only_in:
            if items:
                problems.append(_invalid(f"{path}/{xf.local}", f"{xf.local} exists only in "
                                                               f"{versions_text(xf.only_in)}; leave it out."))
            continue
        if not items and version in xf.required_in:
            problems.append(_invalid(f"{path}/{xf.local}", f"{parent} is missing the required element "
                                                           f"{xf.local}."))
        if xf.max_occurs is not None and len(items) > xf.max_occurs:
            problems.append(_invalid(f"{path}/{xf.local}", f"{xf.local} may occur at most {xf.max_occurs} "
                                                           f"times in {parent}, not {len(items)}."))
        if xf.choice is not None and items:
            chosen.append(xf.local)
        for index, item in enumerate(items, start=1):
            where = f"{path}/{step(xf, index)}"
            if isinstance(xf.type, SimpleType):
                _check_value(item, xf.type, version, where, xf.local, problems)
            elif not isinstance(item, xf.type):
                problems.append(_invalid(where, f"{xf.local} must be a {xf.type.__name__}, not "
                                                f"{type(item).__name__}."))
            else:
                _check_children(item, where, version, problems)
    if len(chosen) > 1:
        both = " or ".join(chosen)
        problems.append(_invalid(f"{path}/{chosen[1]}", f"{parent} may have {both}, not both."))


def _items(value: object, repeated: bool) -> tuple[Any, ...] | None:
    if repeated:
        return value if isinstance(value, tuple) else None
    return () if value is None else (value,)
