"""Parse MeMo bytes into the typed model, enforcing the XSD rules in our own code and reporting every problem.

The size limit is checked before any parsing; lxml runs hardened (no DTDs, no entities, no network) and any
DOCTYPE is refused outright, so XML bombs and external entities never get anywhere. Then one generic walker
follows the model's declarations: element order and cardinality, unknown elements, lengths and value
formats. Not for: service rules (see rules.py) or who may send what.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from lxml import etree

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.memo import values
from digitalpost.protocols.memo.model import Message, MessageHeader
from digitalpost.protocols.memo.spec import (
    BASE64,
    NAMESPACE,
    TEXT,
    XSI,
    Child,
    MemoRejected,
    MemoVersion,
    Problem,
    SimpleType,
    children_in,
    children_of,
    step,
    versions_text,
)

MAX_PROBLEMS = 100  # enough for a sender to fix a message in one round; protects us from giant reports
_ALLOWED_XSI = frozenset({f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"})
_DTD_MARKERS = tuple(
    marker.encode(codec)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for codec in ("utf-8", "utf-16-le", "utf-16-be")
)


class _TooMany(Exception):
    pass


def parse(data: bytes, *, max_bytes: int) -> Message:
    """Read one MeMo (1.1 or 1.2). Raises `MemoRejected` with every problem found."""
    root, reader, sch_version = _open(data, max_bytes=max_bytes)
    shaped = _shape_of(root, reader.version) if not reader.problems and not reader.streamed else None
    if shaped is not None:
        plan = _PLANS.get(shaped[0])
        if plan is not None:
            with contextlib.suppress(values.BadValue):  # a bad value: the full walk below reports it
                return Message(version=reader.version, memo_sch_version=sch_version,
                               **_build(plan, shaped[1], reader.version))
    fields: dict[str, Any] = {}
    with contextlib.suppress(_TooMany):
        fields = reader.complex_children(root, Message, "/Message", root=True)
    if reader.problems:
        raise MemoRejected(reader.problems)
    if shaped is not None and len(_PLANS) < MAX_SHAPES:
        _PLANS[shaped[0]] = _plan(root, Message, reader.version, iter(range(1, len(shaped[1]))))
    return Message(version=reader.version, memo_sch_version=sch_version, **fields)


def parse_header(data: bytes, *, max_bytes: int) -> MessageHeader:
    """Only the MessageHeader of a MeMo, for a reader that has the files already (from the spans acceptance
    recorded, memo.content_spans): the header is read and checked as `parse` reads it; the body is not walked,
    which is most of a parse's work. Raises `MemoRejected` with the problems found in what it reads.

    Only the bytes up to the header's end tag are scanned and parsed (`_parse_head`), when that end can be shown:
    at 150 KB the DTD scan and the tree of the body's base64 text cost three times the header's walk. What follows
    the header is not looked at, so a reader must have had the whole message parsed before (acceptance did)."""
    root, reader, _ = _open(data, max_bytes=max_bytes, head_only=True)
    element = root.find(f"{{{NAMESPACE}}}MessageHeader")
    if element is None:
        raise MemoRejected([_invalid("/Message/MessageHeader", "Message is missing the required element "
                                                               "MessageHeader.")])
    fields: dict[str, Any] = {}
    with contextlib.suppress(_TooMany):
        fields = reader.complex_children(element, MessageHeader, "/Message/MessageHeader")
    if reader.problems:
        raise MemoRejected(reader.problems)
    return MessageHeader(**fields)


def _open(data: bytes, *, max_bytes: int, head_only: bool = False) -> tuple[etree._Element, _Reader, str | None]:
    """The checked root of a MeMo, a reader for its version and its memoSchVersion; MemoRejected for a message too
    large, not XML, or not a MeMo of a known version. `head_only`: the root need hold only the MessageHeader."""
    if len(data) > max_bytes:
        raise MemoRejected([Problem(
            ErrorCode.MEMO_TOO_LARGE, "/",
            f"The message is {len(data)} bytes; at most {max_bytes} bytes are allowed.",
        )])
    head = _parse_head(data) if head_only else None
    root, streamed = (head, {}) if head is not None else _parse_xml(data)
    version, sch_version, problems = _read_root(root)
    if version is None:
        raise MemoRejected(problems)
    return root, _Reader(version, problems, streamed), sch_version


def _invalid(where: str, text: str) -> Problem:
    return Problem(ErrorCode.MEMO_INVALID, where, text)


def _base64_elements() -> frozenset[tuple[str, str]]:
    """(parent tag, tag) of every base64Binary element of the model (a File's content): the large ones."""
    found: set[tuple[str, str]] = set()
    seen: set[tuple[type, str]] = set()

    def walk(cls: type, tag: str) -> None:
        for child in children_of(cls):
            child_tag = f"{{{child.xml.ns}}}{child.xml.local}" if child.xml.ns else child.xml.local
            if child.xml.type is BASE64:
                found.add((tag, child_tag))
            elif not isinstance(child.xml.type, SimpleType) and (child.xml.type, child_tag) not in seen:
                seen.add((child.xml.type, child_tag))
                walk(child.xml.type, child_tag)

    walk(Message, f"{{{NAMESPACE}}}Message")
    return frozenset(found)


_STREAMED = _base64_elements()
_FEED_BYTES = 1024 * 1024
# Up to this size a MeMo is parsed into a tree in one call (_parse_small); larger ones stream their documents'
# base64 into decoders as they are read (_TreeWithStreamedContent), so memory stays a small multiple of the size.
TREE_BYTES = 256 * 1024


class _TreeWithStreamedContent:
    """An lxml parser target: builds the tree as etree.TreeBuilder does, but the text of a base64 element (a
    document, most of a large MeMo's bytes) goes straight into a decoder instead of the tree. So the document
    exists once, decoded, instead of as libxml2 text, a Python str and its copies while it is read. Comments and
    processing instructions are left out (no handlers), as the parser's remove_comments/remove_pis did."""

    def __init__(self) -> None:
        self.builder = etree.TreeBuilder()
        self.open_tags: list[str] = []
        self.streamed: dict[etree._Element, values.Base64Stream] = {}
        self.current: values.Base64Stream | None = None
        self.has_doctype = False

    def start(self, tag: str, attrib: dict[str, str], nsmap: dict[str | None, str] | None = None) -> etree._Element:
        # The parser names the default namespace "", the tree builder None.
        # Without entity replacement libxml2 hands a target attribute values with references left in ("&" comes
        # as "&#38;"); no DTD is allowed, so only the predefined entities and character references can be there.
        attrib = {name: html.unescape(value) if "&" in value else value for name, value in attrib.items()}
        element = self.builder.start(tag, attrib, {prefix or None: uri for prefix, uri in (nsmap or {}).items()})
        self.current = None  # an element inside a document's content: the walker reports it
        if self.open_tags and (self.open_tags[-1], tag) in _STREAMED:
            self.current = self.streamed[element] = values.Base64Stream()
        self.open_tags.append(tag)
        return element

    def end(self, tag: str) -> etree._Element:
        self.open_tags.pop()
        self.current = None
        return self.builder.end(tag)

    def data(self, text: str) -> None:
        if self.current is not None:
            self.current.feed(text)
        else:
            self.builder.data(text)

    def doctype(self, *_: object) -> None:
        self.has_doctype = True

    def close(self) -> etree._Element:
        return self.builder.close()


def _parse_xml(data: bytes) -> tuple[etree._Element, dict[etree._Element, values.Base64Stream]]:
    # A DTD has no business in a MeMo; refusing it before libxml2 sees it shuts out entity bombs and XXE.
    if any(marker in data for marker in _DTD_MARKERS):
        raise MemoRejected([_invalid("/", "The message contains a DOCTYPE or ENTITY declaration; MeMo "
                                          "messages must not have a DTD. Remove it.")])
    if len(data) <= TREE_BYTES:
        return _parse_small(data), {}
    target = _TreeWithStreamedContent()
    parser = etree.XMLParser(
        target=target, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )
    view = memoryview(data)
    try:
        for start in range(0, len(data), _FEED_BYTES):  # fed in pieces: libxml2 never holds the whole text
            parser.feed(bytes(view[start:start + _FEED_BYTES]))
        root: etree._Element = parser.close()
    except etree.XMLSyntaxError as error:
        raise MemoRejected([_invalid("/", f"The message is not well-formed XML: {error.msg}.")]) from None
    if target.has_doctype:
        raise MemoRejected([_invalid("/", "The message has a DOCTYPE; MeMo messages must not have a DTD.")])
    return root, target.streamed


# The end tag of a MeMo's header, with any prefix. Only a candidate: _parse_head keeps it only when the parser,
# fed up to it, ends the root's MessageHeader child there (not in a comment or CDATA, not a nested element).
_HEADER_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?MessageHeader\s*>")


def _parse_head(data: bytes) -> etree._Element | None:
    """The root of `data` parsed up to the end of its MessageHeader, with that header as its only child; None
    when that end cannot be shown (the caller parses the whole message).

    The same hardening as `_parse_xml` on the bytes parsed: a DOCTYPE or ENTITY can only come before the root
    element, so it is in them. The parser is never closed: what follows the header is not read at all.
    """
    end = _HEADER_END.search(data)
    if end is None:
        return None
    head = data[:end.end()]
    if any(marker in head for marker in _DTD_MARKERS):
        raise MemoRejected([_invalid("/", "The message contains a DOCTYPE or ENTITY declaration; MeMo "
                                          "messages must not have a DTD. Remove it.")])
    parser = etree.XMLPullParser(
        events=("end",), resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
        remove_pis=True, collect_ids=False,
    )
    try:
        parser.feed(head)
        events = list(parser.read_events())
    except etree.XMLSyntaxError:
        return None  # the whole parse says what is wrong, and where
    if not events:
        return None
    _, header = events[-1]
    root = header.getparent()
    if header.tag != _HEADER_TAG or root is None or root.getparent() is not None \
            or root.getroottree().docinfo.doctype:
        return None
    return root


_HEADER_TAG = f"{{{NAMESPACE}}}MessageHeader"


class _SmallParsers(threading.local):
    """One hardened tree parser per thread (an lxml parser must not be used by two threads at once)."""

    def __init__(self) -> None:
        self.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True,
            collect_ids=False,
        )


_small_parsers = _SmallParsers()


def _parse_small(data: bytes) -> etree._Element:
    """The common case: libxml2 builds the whole tree in C, no Python call per element or text piece.

    The same hardening as the streaming path (no DTD, no entities, no network). A document's base64 text
    stays in the tree and is decoded by the walker: for a small MeMo the copy costs less than the callbacks.
    """
    try:
        root: etree._Element = etree.fromstring(data, _small_parsers.parser)
    except etree.XMLSyntaxError as error:
        raise MemoRejected([_invalid("/", f"The message is not well-formed XML: {error.msg}.")]) from None
    if root.getroottree().docinfo.doctype:
        raise MemoRejected([_invalid("/", "The message has a DOCTYPE; MeMo messages must not have a DTD.")])
    return root


def _read_root(root: etree._Element) -> tuple[MemoVersion | None, str | None, list[Problem]]:
    qname = etree.QName(root)
    if qname.namespace != NAMESPACE or qname.localname != "Message":
        return None, None, [_invalid(
            f"/{qname.localname}",
            f"The root element must be Message in namespace {NAMESPACE}, not {qname.localname} in "
            f"namespace {qname.namespace or '(none)'}.",
        )]
    problems: list[Problem] = []
    version = _read_version(root.get("memoVersion"), problems)
    if version is None:
        return None, None, problems
    sch_version = root.get("memoSchVersion")
    where = "/Message/@memoSchVersion"
    if version is MemoVersion.V1_1:
        if sch_version is None:
            problems.append(_invalid(where, "Message must have the attribute memoSchVersion in MeMo 1.1 "
                                            "(for example memoSchVersion=\"1.1.0\")."))
        else:
            _check_simple_text(sch_version, TEXT, version, where, "memoSchVersion", problems)
    for name in root.attrib:
        if name not in ("memoVersion", "memoSchVersion") or (
            name == "memoSchVersion" and version is not MemoVersion.V1_1
        ):
            _check_attribute(str(name), "Message", "/Message", version, problems)
    return version, sch_version, problems


def _read_version(raw: str | None, problems: list[Problem]) -> MemoVersion | None:
    where = "/Message/@memoVersion"
    if raw is None:
        problems.append(_invalid(where, "Message must have the attribute memoVersion (1.1 or 1.2)."))
        return None
    try:
        number: Decimal | None = values.read_decimal(raw)
    except values.BadValue:
        number = None
    for version in MemoVersion:
        if number == Decimal(version.value):
            return version
    problems.append(_invalid(where, f"memoVersion must be 1.1 or 1.2, not {raw!r}."))
    return None


def _check_attribute(
    name: str, element: str, path: str, version: MemoVersion, problems: list[Problem]
) -> None:
    if name in _ALLOWED_XSI:
        return
    local = etree.QName(name).localname
    extra = " in MeMo 1.2" if name == "memoSchVersion" else ""
    problems.append(_invalid(f"{path}/@{local}", f"{element} must not have the attribute {local}{extra}."))


def _check_simple_text(
    text: str, stype: SimpleType, version: MemoVersion, where: str, name: str, problems: list[Problem]
) -> None:
    try:
        values.read(text, stype, version)
    except values.BadValue as bad:
        problems.append(_invalid(where, f"{name} {bad}."))


class _Reader:
    """Walks one document against the model declarations of one MeMo version, collecting problems."""

    def __init__(self, version: MemoVersion, problems: list[Problem],
                 streamed: dict[etree._Element, values.Base64Stream]) -> None:
        self.version = version
        self.problems = problems
        self.streamed = streamed  # base64 elements whose text the parser decoded as it went

    def add(self, where: str, text: str) -> None:
        self.problems.append(_invalid(where, text))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooMany

    def complex_children(
        self, element: etree._Element, cls: type, path: str, *, root: bool = False
    ) -> dict[str, Any]:
        """Read the children of `element` as the fields of `cls`; returns keyword arguments for `cls`."""
        name = _key(element)[1]
        self._no_attributes_or_text(element, name, path, attributes=not root)
        specs, position, elsewhere = _layout(cls, self.version)
        present = {_key(child) for child in element}
        counts = [0] * len(specs)
        found: list[list[Any]] = [[] for _ in specs]
        choices: dict[str, str] = {}
        at = 0
        for child in element:
            key = _key(child)
            index = position.get(key)
            if index is None:
                self._unknown(child, key, name, path, elsewhere)
                continue
            spec = specs[index]
            counts[index] += 1
            where = f"{path}/{step(spec.xml, counts[index])}"
            if index < at:
                self.add(where, f"{spec.xml.local} is in the wrong place in {name}: it must come before "
                                f"{specs[at].xml.local}.")
            else:
                self._missing_between(specs, counts, present, at, index, name, path)
                at = index
            self._occurrence(spec, counts[index], choices, name, where)
            value = self.value(child, spec, where)
            found[index].append(value)
        self._missing_between(specs, counts, present, at, len(specs), name, path)
        return {
            spec.name: tuple(found[i]) if spec.xml.repeated else (found[i][0] if found[i] else None)
            for i, spec in enumerate(specs)
        }

    def value(self, element: etree._Element, spec: Child, where: str) -> Any:
        stype = spec.xml.type
        if not isinstance(stype, SimpleType):
            return stype(**self.complex_children(element, stype, where))
        self._no_attributes_or_text(element, spec.xml.local, where, text_allowed=True)
        if len(element):
            self.add(where, f"{spec.xml.local} must contain only text, not elements.")
            return None
        stream = self.streamed.get(element)
        if stream is not None:
            try:
                return stream.result()
            except values.BadValue as bad:
                self.add(where, f"{spec.xml.local} {bad}.")
                return None
        text = element.text or ""
        if not text and spec.xml.default is not None:
            text = spec.xml.default  # an empty element takes the XSD default
        try:
            return values.read(text, stype, self.version)
        except values.BadValue as bad:
            self.add(where, f"{spec.xml.local} {bad}.")
            return None

    def _occurrence(self, spec: Child, count: int, choices: dict[str, str], parent: str, where: str) -> None:
        if spec.xml.max_occurs is not None and count > spec.xml.max_occurs:
            times = "once" if spec.xml.max_occurs == 1 else f"{spec.xml.max_occurs} times"
            self.add(where, f"{spec.xml.local} may occur at most {times} in {parent}.")
        group = spec.xml.choice
        if group is not None:
            other = choices.setdefault(group, spec.xml.local)
            if other != spec.xml.local:
                self.add(where, f"{parent} may have {other} or {spec.xml.local}, not both.")

    def _missing_between(
        self, specs: tuple[Child, ...], counts: list[int], present: set[tuple[str, str]],
        start: int, stop: int, parent: str, path: str,
    ) -> None:
        for i in range(start, stop):
            xf = specs[i].xml
            if counts[i] == 0 and self.version in xf.required_in and xf.key not in present:
                self.add(f"{path}/{xf.local}", f"{parent} is missing the required element {xf.local}.")

    def _unknown(
        self, child: etree._Element, key: tuple[str, str], parent: str, path: str, elsewhere: dict[Any, Child]
    ) -> None:
        ns, local = key
        other = elsewhere.get(key)
        if other is not None:
            self.add(f"{path}/{local}", f"{local} is not allowed in MeMo {self.version}; it exists only in "
                                        f"{versions_text(other.xml.only_in)}.")
        elif any(c.xml.local == local for c in elsewhere.values()):
            self.add(f"{path}/{local}", f"{local} in {parent} is in the wrong namespace ({ns or 'none'}).")
        else:
            where = "" if ns == NAMESPACE else f" (namespace {ns or 'none'})"
            self.add(f"{path}/{local}", f"{parent} must not contain an element {local}{where}.")

    def _no_attributes_or_text(
        self, element: etree._Element, name: str, path: str, *, text_allowed: bool = False,
        attributes: bool = True,
    ) -> None:
        for attribute in element.attrib if attributes else ():
            _check_attribute(str(attribute), name, path, self.version, self.problems)
        if text_allowed:
            return
        if any(t and t.strip() for t in _loose_text(element)):
            self.add(path, f"{name} must contain only elements, not text.")


def _key(element: etree._Element) -> tuple[str, str]:
    tag = element.tag  # "{namespace}local" or "local": comments and processing instructions are never in the tree
    assert isinstance(tag, str)
    if tag[:1] == "{":
        namespace, _, local = tag[1:].partition("}")
        return (namespace, local)
    return ("", tag)


_Layout = tuple[tuple[Child, ...], dict[tuple[str, str], int], dict[tuple[str, str], Child]]
_LAYOUTS: dict[tuple[type, MemoVersion], _Layout] = {}


def _layout(cls: type, version: MemoVersion) -> _Layout:
    """The children of `cls` in `version`, their positions by key, and every version's children by key."""
    found = _LAYOUTS.get((cls, version))
    if found is None:
        specs = children_in(cls, version)
        found = _LAYOUTS[(cls, version)] = (
            specs, {c.xml.key: i for i, c in enumerate(specs)}, {c.xml.key: c for c in children_of(cls)},
        )
    return found


def _loose_text(element: etree._Element) -> Iterator[str | None]:
    yield element.text
    for child in element:
        yield child.tail


# Shapes: a mass send's MeMos come from one template, so they differ in their values, not in their structure. What
# the walk proves about structure — element order, cardinality, unknown elements, attributes, loose text, leaves
# without children — depends only on the tree's shape: per element in document order its tag, its number of
# children, its attribute names and whether its text and its tail are blank. So once a shape has passed the walk,
# a MeMo of the same shape (and version) needs only its values read, by the same `values.read`; the walk's
# outcome is recorded as a plan that says which element's text becomes which field. Any bad value sends the MeMo
# through the full walk, so a refusal lists exactly the problems it always did. The plans are per process, at most
# MAX_SHAPES of them (after that, new shapes are walked every time), each of at most MAX_SHAPE_ELEMENTS elements (a
# larger tree is always walked: its key would cost memory, and such MeMos are not a mass send's small letters).
MAX_SHAPES = 64
MAX_SHAPE_ELEMENTS = 1000

_Leaf = tuple[int, SimpleType, str | None]  # preorder index of the element, its type, its XSD default
_Plan = tuple[type, tuple[tuple[str, bool, tuple[Any, ...]], ...]]  # class, (field, repeated, children's plans)
_PLANS: dict[tuple[Any, ...], _Plan] = {}


def _shape_of(root: etree._Element, version: MemoVersion) -> tuple[tuple[Any, ...], list[str | None]] | None:
    """The shape of a small tree (with its version) and the texts of its elements in document order; None for a tree
    the plans do not cover."""
    shape: list[Any] = [version]
    texts: list[str | None] = []
    for element in root.iter():
        tag = element.tag
        # (comments and processing instructions are never in the tree; the check keeps the key's tags plain text)
        if not isinstance(tag, str) or len(texts) >= MAX_SHAPE_ELEMENTS:
            return None
        text, tail = element.text, element.tail
        texts.append(text)
        keys = element.keys()
        shape += (tag, len(element), tuple(keys) if keys else (), not (text and text.strip()),
                  not (tail and tail.strip()))
    return tuple(shape), texts


def _plan(element: etree._Element, cls: type, version: MemoVersion, numbers: Iterator[int]) -> _Plan:
    """Which child of `element` (a tree the walk found valid) becomes which field of `cls`, as complex_children
    reads them; `numbers` yields the preorder index of each element visited, in document order."""
    specs, position, _ = _layout(cls, version)
    found: list[list[Any]] = [[] for _ in specs]
    for child in element:
        number = next(numbers)
        index = position[_key(child)]
        stype = specs[index].xml.type
        if isinstance(stype, SimpleType):
            found[index].append((number, stype, specs[index].xml.default))
        else:
            found[index].append(_plan(child, stype, version, numbers))
    return cls, tuple((spec.name, spec.xml.repeated, tuple(found[i])) for i, spec in enumerate(specs))


def _build(plan: _Plan, texts: list[str | None], version: MemoVersion) -> dict[str, Any]:
    """The fields of the plan's class read from `texts` (a tree of the plan's shape); BadValue at a bad value."""
    kwargs: dict[str, Any] = {}
    for name, repeated, children in plan[1]:
        found = []
        for child in children:
            if type(child[0]) is int:
                number, stype, default = child
                text = texts[number] or ""
                if not text and default is not None:
                    text = default  # an empty element takes the XSD default, as in _Reader.value
                found.append(values.read(text, stype, version))
            else:
                found.append(child[0](**_build(child, texts, version)))
        kwargs[name] = tuple(found) if repeated else (found[0] if found else None)
    return kwargs
