"""The vocabulary the MeMo model is declared in: versions, namespaces, simple types and element fields.

Each model dataclass lists its XML children in XSD order with `el(...)`; the parser, builder and checker
all walk that one declaration, so the XSD is transcribed once. Also home of `Problem` and `MemoRejected`.
Not for: reading or writing XML (see parse.py and build.py) or service rules (rules.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from digitalpost.core.errors import DigitalPostError, ErrorCode

NAMESPACE = "https://DigitalPost.dk/MeMo-1"
GRD = "https://data.gov.dk/model/core/"
GLN = "https://www.gs1.dk/gs1-standarder/identifikation/gln-global-location-number/"
SOR = "https://services.nsi.dk/en/Services/SOR"
KLE = "http://kle-online.dk/"
FORM = "http://www.form-online.dk/"
DMV = "https://motorregister.skat.dk/"
UDD = "https://www.dst.dk/da/TilSalg/Forskningsservice/Dokumentation/hoejkvalitetsvariable/elevregister-2/udd#"

PREFIXES: Mapping[str, str] = {
    "memo": NAMESPACE, "grd": GRD, "gln": GLN, "sor": SOR, "kle": KLE, "form": FORM, "dmv": DMV, "udd": UDD,
}
XSI = "http://www.w3.org/2001/XMLSchema-instance"


class MemoVersion(StrEnum):
    V1_1 = "1.1"
    V1_2 = "1.2"


class MessageType(StrEnum):
    DIGITALPOST = "DIGITALPOST"
    NEMSMS = "NEMSMS"


ALL_VERSIONS = frozenset(MemoVersion)


class Kind(Enum):
    STRING = "string"
    MESSAGE_TYPE = "message type"
    UUID = "UUID"
    DATETIME = "date-time"
    DATE = "date"
    BOOLEAN = "boolean"
    URI = "URI"
    LANGUAGE = "language"
    LONG = "integer"
    BASE64 = "base64"


@dataclass(frozen=True, slots=True)
class SimpleType:
    """An XSD simple type as far as MeMo uses it (the facets that matter)."""

    name: str
    kind: Kind
    max_length: int | None = None
    max_length_in: Mapping[MemoVersion, int] | None = None
    max_value: int | None = None

    def length_limit(self, version: MemoVersion) -> int | None:
        if self.max_length_in is not None:
            return self.max_length_in[version]
        return self.max_length


TEXT = SimpleType("memoTextType", Kind.STRING, max_length=256)
COMMENT = SimpleType("memoCommentType", Kind.STRING, max_length=512)
NOTIFICATION = SimpleType(
    "memoNotificationType", Kind.STRING, max_length_in={MemoVersion.V1_1: 150, MemoVersion.V1_2: 160}
)
LICENSE_NUMBER = SimpleType("memoLicenseNumberType", Kind.STRING, max_length=7)
MESSAGE_TYPE = SimpleType("memoMessageType", Kind.MESSAGE_TYPE)
UUID = SimpleType("memoUuidType", Kind.UUID)
DATETIME = SimpleType("memoDateTimeType", Kind.DATETIME)
DATE = SimpleType("xs:date", Kind.DATE)
BOOLEAN = SimpleType("xs:boolean", Kind.BOOLEAN)
URI = SimpleType("memoUriType", Kind.URI, max_length=256)
LANGUAGE = SimpleType("memoLanguageType", Kind.LANGUAGE, max_length=2)
GLN_NUMBER = SimpleType("memoGLNType", Kind.LONG, max_value=9_999_999_999_999)
P_NUMBER = SimpleType("memoPNumberType", Kind.LONG, max_value=9_999_999_999)
BASE64 = SimpleType("xs:base64Binary", Kind.BASE64)


@dataclass(frozen=True, slots=True)
class XmlField:
    """One child element of a complex type: where it lives in XML and how often it may occur."""

    local: str
    ns: str
    type: SimpleType | type
    required_in: frozenset[MemoVersion]
    max_occurs: int | None  # None: unbounded
    only_in: frozenset[MemoVersion]
    choice: str | None
    default: str | None  # XSD default: the value of an element present but completely empty

    @property
    def repeated(self) -> bool:
        return self.max_occurs != 1

    @property
    def is_simple(self) -> bool:
        return isinstance(self.type, SimpleType)

    @property
    def key(self) -> tuple[str, str]:
        return (self.ns, self.local)


def el(
    local: str,
    type_: SimpleType | type,
    *,
    ns: str = NAMESPACE,
    min_occurs: int = 1,
    max_occurs: int | None = 1,
    required_in: frozenset[MemoVersion] | None = None,
    only_in: frozenset[MemoVersion] = ALL_VERSIONS,
    choice: str | None = None,
    default: str | None = None,
) -> Any:
    """Declare a dataclass field as an XML child element (in XSD order)."""
    if required_in is None:
        required_in = ALL_VERSIONS if min_occurs >= 1 else frozenset()
    xf = XmlField(local, ns, type_, required_in, max_occurs, only_in, choice, default)
    if xf.repeated:
        return field(default=(), metadata={"xml": xf})
    if required_in == ALL_VERSIONS:
        return field(metadata={"xml": xf})
    return field(default=None, metadata={"xml": xf})


@dataclass(frozen=True, slots=True)
class Child:
    name: str
    xml: XmlField


_CHILDREN: dict[tuple[type, MemoVersion | None], tuple[Child, ...]] = {}


def children_of(cls: type) -> tuple[Child, ...]:
    """All declared XML children of a model class, in XSD order, for every version."""
    found = _CHILDREN.get((cls, None))
    if found is None:
        found = tuple(Child(f.name, f.metadata["xml"]) for f in dataclasses.fields(cls)
                      if "xml" in f.metadata)
        _CHILDREN[(cls, None)] = found
    return found


def children_in(cls: type, version: MemoVersion) -> tuple[Child, ...]:
    """The XML children of a model class that exist in `version`, in XSD order."""
    found = _CHILDREN.get((cls, version))
    if found is None:
        found = tuple(c for c in children_of(cls) if version in c.xml.only_in)
        _CHILDREN[(cls, version)] = found
    return found


def step(xf: XmlField, index: int) -> str:
    """One step of a `where` path: `File[2]` for repeatable elements (1-based), `label` otherwise."""
    return f"{xf.local}[{index}]" if xf.repeated else xf.local


def versions_text(versions: frozenset[MemoVersion]) -> str:
    return " and ".join(f"MeMo {v}" for v in sorted(versions))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a message: a catalogue code, where it is, and what to fix."""

    code: ErrorCode
    where: str
    text: str


def describe_problems(problems: Sequence[Problem]) -> str:
    """Every problem on one line, for an error detail a sender can fix in one round."""
    return "; ".join(f"{p.code} at {p.where}: {p.text}" for p in problems)


class MemoRejected(DigitalPostError):
    """A MeMo was refused; `problems` holds every problem found, not just the first."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first.code, f"{first.where}: {first.text}{more}")
