"""Thread tokens: round trip, tamper refusal, foreign authorities, key rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.threads import (
    Keyring,
    ReplyRule,
    ThreadRef,
    ThreadTokenError,
    encode,
    verify,
    verify_token,
)

NORDBY = "29189846"
SYDBY = "29189854"
RING = Keyring.single("k2024", b"n" * 32)
REF = ThreadRef(
    thread_id=UUID("6f2b1c1e-8f43-4a43-9d55-0e5e0c3b7a01"),
    authority_cvr=NORDBY,
    mailbox_id=UUID("0c4f6c57-8b54-4f0e-a0c8-5b2f4f1f4e22"),
)
ISSUED = datetime(2024, 5, 3, 9, 0, 7, tzinfo=UTC)
TOKEN = encode(REF, keyring=RING, issued_at=ISSUED)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_. v=+/"


def _refused_as_invalid(token: str, keyring: Keyring = RING) -> None:
    with pytest.raises(ThreadTokenError) as raised:
        verify(token, keyring=keyring, expected_authority_cvr=NORDBY)
    assert raised.value.code is ErrorCode.THREAD_INVALID


def test_token_round_trips_to_the_same_reference():
    assert verify(TOKEN, keyring=RING, expected_authority_cvr=NORDBY) == REF
    details = verify_token(TOKEN, keyring=RING, expected_authority_cvr=None)
    assert (details.version, details.key_id, details.issued_at) == ("v1", "k2024", ISSUED)


def test_token_is_compact_and_safe_in_urls_subjects_and_headers():
    assert TOKEN.startswith("v1.k2024.")
    assert len(TOKEN) < 120
    assert set(TOKEN) <= set(ALPHABET) - set(" =+/")


@given(
    thread=st.uuids(), mailbox=st.uuids(), cvr=st.from_regex(r"\A[0-9]{8}\Z"),
    rule=st.sampled_from(ReplyRule), seconds=st.integers(0, 2**32 - 1),
)
def test_any_reference_round_trips(thread, mailbox, cvr, rule, seconds):
    ref = ThreadRef(thread_id=thread, authority_cvr=cvr, mailbox_id=mailbox, reply_rule=rule)
    issued = datetime.fromtimestamp(seconds, tz=UTC)
    checked = verify_token(encode(ref, keyring=RING, issued_at=issued), keyring=RING, expected_authority_cvr=cvr)
    assert (checked.ref, checked.issued_at) == (ref, issued)


@settings(max_examples=500)
@given(position=st.integers(0, len(TOKEN) - 1), replacement=st.sampled_from(ALPHABET))
def test_every_single_character_change_is_refused_as_invalid(position, replacement):
    mutated = TOKEN[:position] + replacement + TOKEN[position + 1:]
    if mutated != TOKEN:
        _refused_as_invalid(mutated)


def test_every_exhaustive_single_character_change_is_refused_as_invalid():
    for position in range(len(TOKEN)):
        for replacement in ALPHABET:
            mutated = TOKEN[:position] + replacement + TOKEN[position + 1:]
            if mutated != TOKEN:
                _refused_as_invalid(mutated)


@given(cut=st.integers(0, len(TOKEN) - 1))
def test_every_truncation_is_refused_as_invalid(cut):
    _refused_as_invalid(TOKEN[:cut])
    _refused_as_invalid(TOKEN[cut + 1:])


@given(position=st.integers(0, len(TOKEN)), extra=st.text(ALPHABET, min_size=1, max_size=3))
def test_every_insertion_is_refused_as_invalid(position, extra):
    _refused_as_invalid(TOKEN[:position] + extra + TOKEN[position:])


def test_token_macked_with_another_secret_under_the_same_key_id_is_refused():
    forged = encode(REF, keyring=Keyring.single("k2024", b"attacker-secret-0123456789abcdef"), issued_at=ISSUED)
    _refused_as_invalid(forged)


def test_payload_of_one_token_under_the_mac_of_another_is_refused():
    other = encode(ThreadRef(UUID(int=1), NORDBY, UUID(int=2)), keyring=RING, issued_at=ISSUED)
    v, kid, payload, _ = TOKEN.split(".")
    _refused_as_invalid(".".join([v, kid, payload, other.split(".")[3]]))


def test_unknown_version_and_unknown_key_id_are_refused():
    _refused_as_invalid("v2" + TOKEN[2:])
    _refused_as_invalid(TOKEN.replace("k2024", "k2023"))
    _refused_as_invalid(TOKEN, keyring=Keyring.single("other", b"n" * 32))


@pytest.mark.parametrize("junk", ["", "v1", "v1...", "....", "v1.k2024..", "x" * 5000, "v1.k2024.åäö.abc"])
def test_junk_is_refused_as_invalid(junk):
    _refused_as_invalid(junk)


def test_valid_token_of_another_authority_is_refused_as_not_yours():
    with pytest.raises(ThreadTokenError) as raised:
        verify(TOKEN, keyring=RING, expected_authority_cvr=SYDBY)
    assert raised.value.code is ErrorCode.THREAD_NOT_YOURS
    assert "29189846" in raised.value.detail


def test_rotation_signs_with_the_new_key_and_still_verifies_tokens_in_flight():
    rotated = RING.rotated("k2025", b"m" * 32)
    fresh = encode(REF, keyring=rotated, issued_at=ISSUED)
    assert fresh.startswith("v1.k2025.")
    assert verify(fresh, keyring=rotated, expected_authority_cvr=NORDBY) == REF
    assert verify(TOKEN, keyring=rotated, expected_authority_cvr=NORDBY) == REF
    _refused_as_invalid(fresh)  # the old keyring does not know the new key
    _refused_as_invalid(TOKEN, keyring=rotated.without("k2024"))  # a retired key stops verifying


def test_keyring_refuses_short_keys_bad_ids_and_a_missing_current_key_and_hides_secrets():
    with pytest.raises(ValueError, match="shorter"):
        Keyring.single("k1", b"short")
    with pytest.raises(ValueError, match="key id"):
        Keyring.single("k.1", b"n" * 32)
    with pytest.raises(ValueError, match="current"):
        Keyring(current_key_id="k9", keys={"k1": b"n" * 32})
    assert "nnnn" not in repr(RING)


def test_reference_and_issue_time_are_checked_when_encoding():
    with pytest.raises(ValueError, match="8 digits"):
        ThreadRef(UUID(int=1), "1234", UUID(int=2))
    with pytest.raises(ValueError, match="timezone"):
        encode(REF, keyring=RING, issued_at=datetime(2024, 5, 3))


@pytest.mark.parametrize("expected", [SYDBY, "２９１８９８４６", ""])
def test_any_other_expected_authority_is_not_yours(expected):
    with pytest.raises(ThreadTokenError) as raised:
        verify(TOKEN, keyring=RING, expected_authority_cvr=expected)
    assert raised.value.code is ErrorCode.THREAD_NOT_YOURS
