"""Differential test: on mutated messages, `parse` accepts exactly what the official XSD accepts."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from strategies import messages

from digitalpost.protocols.memo import MemoRejected, build, parse

MUTATIONS = ("delete", "duplicate", "swap", "text", "empty")
ODD_TEXTS = ("", " ", "x", "true", "0", "2024-05-03", "2024-05-03T12:00:00Z", "8c2ea15d-61fb-4ba9-9366-42f8b194c114",
             "12345678901234", "da", "QQ==", "-1", "DIGITALPOST", "ø" * 161)


def mutate(data: bytes, index: int, mutation: str, text: str) -> bytes:
    root = etree.fromstring(data)
    elements = list(root.iter())[1:]
    target = elements[index % len(elements)]
    parent = target.getparent()
    assert parent is not None
    if mutation == "delete":
        parent.remove(target)
    elif mutation == "duplicate":
        target.addnext(copy.deepcopy(target))
    elif mutation == "swap" and target.getnext() is not None:
        target.getnext().addnext(target)
    elif mutation == "text" and len(target) == 0:
        target.text = text
    elif mutation == "empty":
        for child in list(target):
            target.remove(child)
        target.text = None
    return etree.tostring(root)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(messages(), st.integers(min_value=0), st.sampled_from(MUTATIONS), st.sampled_from(ODD_TEXTS))
def test_parse_accepts_a_mutated_message_exactly_when_the_xsd_does(xsd, message, index, mutation, text):
    data = mutate(build(message), index, mutation, text)
    xsd_errors = xsd.errors(data, message.version)
    try:
        parse(data, max_bytes=10**8)
        problems = []
    except MemoRejected as rejected:
        problems = [f"{p.where}: {p.text}" for p in rejected.problems]

    assert (xsd_errors == []) == (problems == []), (xsd_errors, problems)
