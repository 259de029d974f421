"""Dialog-thread tokens: a compact, versioned, MACed reference to one conversation.

A token names the thread, the authority (CVR) and the mailbox a citizen wrote to, and is MACed with a hub
secret so an edited or invented token can never route a reply to another person. Tokens look like
`v1.<key id>.<payload>.<mac>` (base64url without padding), safe in URLs, subjects, headers and XML. Keys rotate
through a `Keyring`: new tokens use the current key, replies in flight still verify with older ones. The format
is checked in exactly one function, `_check`. Not for: where tokens travel (see carriers.py) or looking the
thread up (the hub's job).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from digitalpost.core.errors import DigitalPostError, ErrorCode

VERSION = "v1"
MAX_TOKEN_LENGTH = 200  # a v1 token is about 110 characters; anything much longer is not ours
MIN_KEY_BYTES = 16
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
# What any token (of any version) may look like: used by carriers to pick tokens out of text.
TOKEN_SHAPE = re.compile(r"v[0-9]{1,3}\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{1,160}\.[A-Za-z0-9_-]{1,100}")
_CVR = re.compile(r"[0-9]{8}")
_B64 = re.compile(r"[A-Za-z0-9_-]*")
_V1_PAYLOAD = struct.Struct(">16s16sIIB")  # thread id, mailbox id, authority CVR, issued at (unix s), reply rule
_MAC_BYTES = 32


class ReplyRule(StrEnum):
    """Whether the citizen's counterpart may reply in this thread."""

    REPLY_ALLOWED = "reply-allowed"
    NO_REPLY = "no-reply"


_RULE_CODES: dict[ReplyRule, int] = {ReplyRule.REPLY_ALLOWED: 0, ReplyRule.NO_REPLY: 1}
_RULES_BY_CODE = {code: rule for rule, code in _RULE_CODES.items()}


class ThreadTokenError(DigitalPostError):
    """A token that cannot be used: `thread.invalid` or `thread.not.yours`."""


@dataclass(frozen=True)
class ThreadRef:
    """What a token says: the conversation, whose it is, and the mailbox it started in."""

    thread_id: UUID
    authority_cvr: str
    mailbox_id: UUID
    reply_rule: ReplyRule = ReplyRule.REPLY_ALLOWED

    def __post_init__(self) -> None:
        if not _CVR.fullmatch(self.authority_cvr):
            raise ValueError(f"authority_cvr must be 8 digits, not {self.authority_cvr!r}")


@dataclass(frozen=True)
class VerifiedToken:
    """A token that passed every check, with the details beyond the reference."""

    ref: ThreadRef
    version: str
    key_id: str
    issued_at: datetime


@dataclass(frozen=True, eq=False)
class Keyring:
    """MAC secrets by key id; `current_key_id` signs new tokens, every key in `keys` verifies."""

    current_key_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        keys = dict(self.keys)
        for key_id, secret in keys.items():
            if not KEY_ID.fullmatch(key_id):
                raise ValueError(f"key id {key_id!r} must be 1-16 characters of A-Z, a-z, 0-9, _ or -")
            if len(secret) < MIN_KEY_BYTES:
                raise ValueError(f"key {key_id!r} is shorter than {MIN_KEY_BYTES} bytes; use 32 random bytes")
        if self.current_key_id not in keys:
            raise ValueError(f"current key id {self.current_key_id!r} is not in the keyring")
        object.__setattr__(self, "keys", MappingProxyType(keys))

    @classmethod
    def single(cls, key_id: str, secret: bytes) -> Keyring:
        return cls(current_key_id=key_id, keys={key_id: secret})

    def rotated(self, key_id: str, secret: bytes) -> Keyring:
        """This keyring plus a new current key; the old keys keep verifying until dropped."""
        return Keyring(current_key_id=key_id, keys={**self.keys, key_id: secret})

    def without(self, key_id: str) -> Keyring:
        """This keyring with a retired key removed (tokens MACed with it stop verifying)."""
        return Keyring(self.current_key_id, {k: v for k, v in self.keys.items() if k != key_id})


def encode(ref: ThreadRef, *, keyring: Keyring, issued_at: datetime) -> str:
    """The token for `ref`, MACed with the keyring's current key. `issued_at` is kept to the second."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    seconds = int(issued_at.timestamp())
    if not 0 <= seconds < 2**32:
        raise ValueError("issued_at must lie between 1970 and 2106")
    payload = _V1_PAYLOAD.pack(
        ref.thread_id.bytes, ref.mailbox_id.bytes, int(ref.authority_cvr), seconds, _RULE_CODES[ref.reply_rule]
    )
    key_id = keyring.current_key_id
    signed = f"{VERSION}.{key_id}.{_b64(payload)}"
    return f"{signed}.{_b64(_mac(keyring.keys[key_id], signed))}"


def verify(token: str, *, keyring: Keyring, expected_authority_cvr: str | None) -> ThreadRef:
    """The reference in `token`, or `ThreadTokenError` (thread.invalid / thread.not.yours)."""
    return verify_token(token, keyring=keyring, expected_authority_cvr=expected_authority_cvr).ref


def verify_token(token: str, *, keyring: Keyring, expected_authority_cvr: str | None) -> VerifiedToken:
    """As `verify`, with the key id, version and issue time. `None` skips the authority check."""
    checked = _check(token, keyring)
    if expected_authority_cvr is not None and checked.ref.authority_cvr != expected_authority_cvr:
        raise ThreadTokenError(
            ErrorCode.THREAD_NOT_YOURS,
            f"the thread belongs to CVR {checked.ref.authority_cvr}, the reply came from CVR "
            f"{expected_authority_cvr}",
        )
    return checked


def _check(token: str, keyring: Keyring) -> VerifiedToken:
    """The one place that decides whether a token is well-formed and ours (every version, every key)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not TOKEN_SHAPE.fullmatch(token):
        raise _invalid("the token is not of the form v1.<key>.<data>.<mac>")
    version, key_id, payload_text, mac_text = token.split(".")
    if version != VERSION:
        raise _invalid(f"unknown token version {version!r}")
    secret = keyring.keys.get(key_id)
    if secret is None:
        raise _invalid(f"unknown key id {key_id!r} (the key was retired or never ours)")
    payload, mac = _unb64(payload_text), _unb64(mac_text)
    if payload is None or mac is None or len(mac) != _MAC_BYTES:
        raise _invalid("the token's data or MAC is not canonical base64url")
    if not hmac.compare_digest(mac, _mac(secret, f"{version}.{key_id}.{payload_text}")):
        raise _invalid("the token's MAC does not match (the token was changed)")
    if len(payload) != _V1_PAYLOAD.size:
        raise _invalid("the token's data has the wrong length")
    thread, mailbox, cvr, seconds, rule_code = _V1_PAYLOAD.unpack(payload)
    rule = _RULES_BY_CODE.get(rule_code)
    if rule is None or cvr > 99_999_999:
        raise _invalid("the token's data is not understood")
    ref = ThreadRef(thread_id=UUID(bytes=thread), authority_cvr=f"{cvr:08d}", mailbox_id=UUID(bytes=mailbox),
                    reply_rule=rule)
    return VerifiedToken(ref=ref, version=version, key_id=key_id,
                         issued_at=datetime.fromtimestamp(seconds, tz=UTC))


def _invalid(detail: str) -> ThreadTokenError:
    return ThreadTokenError(ErrorCode.THREAD_INVALID, detail)


def _mac(secret: bytes, signed: str) -> bytes:
    return hmac.new(secret, signed.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict base64url: only the canonical spelling of some bytes decodes (no stray padding bits)."""
    if not _B64.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None
