"""Hypothesis strategies for valid MeMo messages of both versions, derived from the model declarations.

Every optional part appears sometimes, texts mix Danish letters, XML's awkward characters and exact
maximum lengths. The XSD check in the tests is the independent oracle for what is generated here.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from digitalpost.protocols.memo import MemoVersion, Message, MessageBody, MessageHeader, MessageType
from digitalpost.protocols.memo.spec import Kind, SimpleType, children_of

DANISH = "æøåÆØÅéü"
_xml_chars = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
) | st.sampled_from("\t\n\r<>&\"' " + DANISH)


def texts(limit: int) -> st.SearchStrategy[str]:
    short = st.text(_xml_chars, max_size=min(limit, 10))
    # Exactly at the limit; built from one drawn piece, as drawing hundreds of characters is slow.
    longest = st.builds(lambda piece: (piece * limit)[:limit], st.text(_xml_chars, min_size=1, max_size=5))
    return st.one_of(short, short, short, longest)


def uuids_v4() -> st.SearchStrategy[str]:
    return st.builds(
        lambda u, upper: str(u).upper() if upper else str(u), st.uuids(version=4), st.booleans()
    )


def utc_datetimes() -> st.SearchStrategy[datetime]:
    return st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )


def https_urls() -> st.SearchStrategy[str]:
    path = st.text(st.sampled_from(string.ascii_lowercase + string.digits + "-/_.ø"), max_size=20)
    longest = path.map(lambda p: f"https://example.dk/{(p or 'x') * 256}"[:256])
    return st.one_of(path.map(lambda p: f"https://example.dk/{p}"), longest)


def simple_values(stype: SimpleType, version: MemoVersion) -> st.SearchStrategy[Any]:
    kind = stype.kind
    if kind is Kind.STRING:
        limit = stype.length_limit(version)
        assert limit is not None
        return texts(limit)
    strategies: dict[Kind, st.SearchStrategy[Any]] = {
        Kind.MESSAGE_TYPE: st.sampled_from(MessageType),
        Kind.UUID: uuids_v4(),
        Kind.DATETIME: utc_datetimes(),
        Kind.DATE: st.dates(),
        Kind.BOOLEAN: st.booleans(),
        Kind.URI: https_urls(),
        Kind.LANGUAGE: st.from_regex(r"[a-zA-Z]{1,2}", fullmatch=True),
        Kind.LONG: st.integers(min_value=-(2**63), max_value=stype.max_value),
        Kind.BASE64: st.binary(max_size=40),
    }
    return strategies[kind]


_MADE: dict[tuple[type, MemoVersion], st.SearchStrategy[Any]] = {}


def instances(cls: type, version: MemoVersion) -> st.SearchStrategy[Any]:
    """Valid instances of a model class for `version`, every optional part sometimes present."""
    if (cls, version) not in _MADE:
        _MADE[(cls, version)] = _instances(cls, version)
    return _MADE[(cls, version)]


def _instances(cls: type, version: MemoVersion) -> st.SearchStrategy[Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    groups: dict[str, list[str]] = {}
    for child in children_of(cls):
        xf = child.xml
        if version not in xf.only_in:
            fields[child.name] = st.just(() if xf.repeated else None)
            continue
        item = (
            simple_values(xf.type, version) if isinstance(xf.type, SimpleType) else instances(xf.type, version)
        )
        required = version in xf.required_in
        if xf.repeated:
            most = min(xf.max_occurs or 2, 2)
            fields[child.name] = st.lists(item, min_size=1 if required else 0, max_size=most).map(tuple)
        else:
            fields[child.name] = item if required else st.none() | item
        if xf.choice is not None:
            groups.setdefault(xf.choice, []).append(child.name)
    made = st.fixed_dictionaries(fields)
    for members in groups.values():
        made = st.tuples(made, st.sampled_from(members)).map(
            lambda pair, members=members: {
                name: value for name, value in pair[0].items() if name not in members or name == pair[1]
            } | {name: None for name in members if name != pair[1]}
        )
    return made.map(lambda kwargs: cls(**kwargs))


def messages(version: MemoVersion | None = None) -> st.SearchStrategy[Message]:
    """Valid whole messages of `version` (or of either version)."""
    if version is None:
        return st.one_of([messages(v) for v in MemoVersion])
    sch_version = st.just("1.1.0") | texts(256) if version is MemoVersion.V1_1 else st.none()
    return st.builds(
        Message, version=st.just(version), memo_sch_version=sch_version,
        header=instances(MessageHeader, version), body=st.none() | instances(MessageBody, version),
    )
