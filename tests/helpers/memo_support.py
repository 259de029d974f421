"""Test support for MeMo: where the official XSDs and samples are (the shared folder), and an XSD checker."""

from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree

from digitalpost.protocols.memo import MemoVersion

SHARED_MEMO = Path(__file__).resolve().parents[2] / ".." / "shared" / "memo"
XSD_FILES = {
    MemoVersion.V1_1: SHARED_MEMO / "xsd" / "v1.1" / "MeMo_core.xsd",
    MemoVersion.V1_2: SHARED_MEMO / "xsd" / "v1.2" / "Version1.2" / "MeMo_core.xsd",
}
SAMPLES = sorted((SHARED_MEMO / "samples").glob("memo-1.[12]/*.xml"))


def sample_version(path: Path) -> MemoVersion:
    return MemoVersion(path.parent.name.removeprefix("memo-"))


class Schemas:
    """The official XSDs, compiled once per session."""

    def __init__(self) -> None:
        self._schemas = {v: etree.XMLSchema(etree.parse(str(path))) for v, path in XSD_FILES.items()}

    def errors(self, data: bytes, version: MemoVersion) -> list[str]:
        schema = self._schemas[version]
        if schema.validate(etree.fromstring(data)):
            return []
        return [f"{e.line}: {e.message}" for e in schema.error_log]


def sample_bytes(version: str, name: str) -> bytes:
    return (SHARED_MEMO / "samples" / f"memo-{version}" / name).read_bytes()


def mutation_site(data: bytes, index: int) -> tuple[etree._Element, etree._Element, etree._Element]:
    """(root, target, its parent) of a MeMo's tree: the `index`-th element below the root, wrapping around; "delete"
    and "duplicate" done here (`mutated`), the tests' other mutations by the caller."""
    root = etree.fromstring(data)
    elements = list(root.iter())[1:]
    target = elements[index % len(elements)]
    parent = target.getparent()
    assert parent is not None
    return root, target, parent


def mutated(target: etree._Element, parent: etree._Element, mutation: str) -> bool:
    """Delete or duplicate `target`; False for any other mutation (the caller's)."""
    if mutation == "delete":
        parent.remove(target)
    elif mutation == "duplicate":
        target.addnext(copy.deepcopy(target))
    else:
        return False
    return True
