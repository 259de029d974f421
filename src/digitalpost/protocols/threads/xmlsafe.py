"""Hardened XML reading for the small files the hub attaches to mail (dialog thread, metadata).

Attachments come back from the outside world, so they are read with everything dangerous switched off: no
DTD, no entities, no network, a size limit, and any DOCTYPE or ENTITY declaration refused before libxml2
sees it (XML bombs, external entities). Not for: MeMo messages (protocols/memo has its own reader).
"""

from __future__ import annotations

from lxml import etree

_DTD_MARKERS = tuple(
    marker.encode(codec)
    for marker in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class UnsafeXml(Exception):
    """The bytes are not small, well-formed, DTD-free XML; the message says why."""


def parse_hardened(data: bytes, *, max_bytes: int) -> etree._Element:
    """The root element of `data`, or `UnsafeXml`."""
    if not isinstance(data, bytes):
        raise UnsafeXml("expected bytes")
    if len(data) > max_bytes:
        raise UnsafeXml(f"the file is {len(data)} bytes; at most {max_bytes} are allowed")
    if any(marker in data for marker in _DTD_MARKERS):
        raise UnsafeXml("the file contains a DOCTYPE or ENTITY declaration")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise UnsafeXml(f"the file is not well-formed XML: {error}") from None
    if root is None:
        raise UnsafeXml("the file is empty")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise UnsafeXml("the file has a DOCTYPE")
    return root
