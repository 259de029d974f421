"""A MeMo of a shape parsed before is read by the shape's plan (values only); every outcome stays the full walk's.

`parse` remembers, per tree shape and version, which element's text becomes which field once the walk has found
a tree of that shape valid (a mass send's items share one shape). These tests hold the plan to the walk: the same
Message for every valid message, the same problems in the same order for every invalid one, whether a plan of a
similar shape is known or not.
"""

from __future__ import annotations

import importlib
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from digitalpost.protocols.memo import MemoRejected, build, parse
from helpers.memo_strategies import messages
from helpers.memo_support import SAMPLES, mutated, mutation_site

parse_module = importlib.import_module("digitalpost.protocols.memo.parse")  # the package names the function parse
MAX = 10**8
ODD_TEXTS = ("", " ", "x", "true", "0", "2024-05-03", "2024-05-03T12:00:00Z", "8c2ea15d-61fb-4ba9-9366-42f8b194c114",
             "12345678901234", "da", "QQ==", "-1", "DIGITALPOST", "ø" * 161, "not base64!")


def outcome(data: bytes) -> object:
    """What `parse` makes of `data`: the Message, or the problems it lists."""
    try:
        return parse(data, max_bytes=MAX)
    except MemoRejected as rejected:
        return [(p.code, p.where, p.text) for p in rejected.problems]


def cold(data: bytes) -> object:
    """The outcome with no plan known: the full walk."""
    parse_module._PLANS.clear()
    return outcome(data)


def mutate(data: bytes, index: int, mutation: str, text: str) -> bytes:
    root, target, parent = mutation_site(data, index)
    if mutated(target, parent, mutation):
        pass
    elif mutation == "text":
        target.text = text  # on a complex element: loose text beside its children
    elif mutation == "tail":
        target.tail = text
    elif mutation == "attribute":
        target.set("extra", text)
    return etree.tostring(root)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_sample_read_by_its_plan_is_the_message_the_walk_reads(path):
    data = path.read_bytes()
    walked = cold(data)
    assert not isinstance(walked, list), walked
    assert parse_module._PLANS  # the walk found it valid and left its plan

    assert outcome(data) == walked


def test_a_second_message_of_the_same_shape_is_not_walked(monkeypatch):
    data = SAMPLES[0].read_bytes()
    first = cold(data)

    def walked(*_: object, **__: object) -> object:
        raise AssertionError("walked again")

    monkeypatch.setattr(parse_module._Reader, "complex_children", walked)
    assert parse(data, max_bytes=MAX) == first


def test_a_bad_value_in_a_known_shape_gets_the_walks_problems():
    data = SAMPLES[0].read_bytes()
    root = etree.fromstring(data)
    uuid_element = next(e for e in root.iter() if etree.QName(e).localname == "messageUUID")
    uuid_element.text = "not a uuid"
    bad = etree.tostring(root)
    walked = cold(bad)
    assert isinstance(walked, list)
    assert walked

    outcome(data)  # the good message's plan is known now
    assert outcome(bad) == walked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(messages(), st.integers(min_value=0),
       st.sampled_from(("none", "delete", "duplicate", "text", "tail", "attribute")), st.sampled_from(ODD_TEXTS))
def test_with_a_plan_known_every_outcome_is_the_walks(message, index, mutation, text):
    data = build(message)
    changed = data if mutation == "none" else mutate(data, index, mutation, text)
    walked = cold(changed)

    outcome(data)  # the unchanged message's plan (a similar shape) is known
    outcome(changed)  # and the changed one's, if it is valid
    assert outcome(changed) == walked


def test_messages_differing_only_in_values_share_one_plan():
    data = SAMPLES[0].read_bytes()
    root = etree.fromstring(data)
    uuid_element = next(e for e in root.iter() if etree.QName(e).localname == "messageUUID")
    cold(data)
    for _ in range(3):
        uuid_element.text = str(uuid.uuid4())
        other = etree.tostring(root)
        read = outcome(other)
        assert not isinstance(read, list)
        assert read.header.message_uuid == uuid_element.text
    assert len(parse_module._PLANS) == 1


def test_a_tree_above_the_element_cap_is_walked_and_left_no_plan(monkeypatch):
    data = SAMPLES[0].read_bytes()
    elements = sum(1 for e in etree.fromstring(data).iter() if isinstance(e.tag, str))  # comments are not counted
    monkeypatch.setattr(parse_module, "MAX_SHAPE_ELEMENTS", elements - 1)
    walked = cold(data)

    assert not parse_module._PLANS
    assert outcome(data) == walked
