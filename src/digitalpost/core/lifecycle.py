"""A message's life: its states and which may follow which, the events on its timeline, receipt statuses.

The event log and `Message.state` are stored by the messages app, and only its lifecycle service
(`messages.services.lifecycle`) changes the state; this module only names things, says which state changes are
allowed and decides finality, so all of it can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class MessageState(StrEnum):
    """`Message.state`: accepted by the hub, then exactly one ending."""

    ACCEPTED = "ACCEPTED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    RECALLED = "RECALLED"


# Which state may follow which. Accepted is the only open state; each ending is final, so a second attempt at any
# change (a worker run twice, a recall racing the delivery) finds the move not allowed and changes nothing.
TRANSITIONS: Mapping[MessageState, frozenset[MessageState]] = {
    MessageState.ACCEPTED: frozenset({MessageState.DELIVERED, MessageState.FAILED, MessageState.RECALLED}),
    MessageState.DELIVERED: frozenset(),
    MessageState.FAILED: frozenset(),
    MessageState.RECALLED: frozenset(),
}


def may_become(current: str, target: str) -> bool:
    """Whether a message in state `current` may move to `target` now."""
    return MessageState(target) in TRANSITIONS[MessageState(current)]


class ReceiptStatus(StrEnum):
    RECEIVED = "RECEIVED"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    NOT_ALLOWED = "NOT_ALLOWED"


class EventKind(StrEnum):
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    DELIVERY_POSTPONED = "DELIVERY_POSTPONED"
    # Waiting for a REST pull receiver to fetch and acknowledge it.
    MESSAGE_AVAILABLE = "MESSAGE_AVAILABLE"
    DELIVERY_RETRY = "DELIVERY_RETRY"
    MESSAGE_DELIVERED = "MESSAGE_DELIVERED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    MESSAGE_READ = "MESSAGE_READ"
    # A legal notification opened for the first time by the recipient themself (never by an employee without
    # rights to act, nor anyone else): once per message, next to its MESSAGE_READ.
    MESSAGE_LEGALLY_NOTIFIED = "MESSAGE_LEGALLY_NOTIFIED"
    # The receiver system failed for the configured days and was switched off; the message keeps waiting.
    RECEIVER_DEACTIVATED = "RECEIVER_DEACTIVATED"
    # Withdrawn by the authority before its delivery date; it is never delivered.
    MESSAGE_RECALLED = "MESSAGE_RECALLED"
    # Casework on an inquiry in the portal.
    INQUIRY_ASSIGNED = "INQUIRY_ASSIGNED"
    INQUIRY_HANDLED = "INQUIRY_HANDLED"
    # KombiPost print: the letter PDF is made, goes to the print provider in a batch, and is handed to the post
    # (AFLEVERET) or refused by the provider (AFVIST); returned mail comes back later.
    LETTER_RENDERED = "LETTER_RENDERED"
    LETTER_BATCHED = "LETTER_BATCHED"
    PHYSICAL_LETTER_SENT = "PHYSICAL_LETTER_SENT"
    PRINT_REFUSED = "PRINT_REFUSED"
    PHYSICAL_LETTER_RETURNED = "PHYSICAL_LETTER_RETURNED"
    # Notices to the recipient outside the mailbox: the e-mail "you have new mail", the reminder of an unread
    # legal notification, and a NemSMS handed to the SMS provider.
    NOTICE_SENT = "NOTICE_SENT"
    REMINDER_SENT = "REMINDER_SENT"
    SMS_SENT = "SMS_SENT"
    # The recipient's copy was removed (emptied from Deleted, or a retention rule): documents and MeMo gone from
    # the blob store, the row kept as a tombstone; the event names the rule and the SHA-256 of what was removed.
    MESSAGE_CONTENT_DELETED = "MESSAGE_CONTENT_DELETED"


# After one of these nothing more happens to the delivery; later events (read) only add information.
FINAL_EVENTS = frozenset({EventKind.MESSAGE_DELIVERED, EventKind.DELIVERY_FAILED, EventKind.MESSAGE_RECALLED,
                          EventKind.PHYSICAL_LETTER_SENT, EventKind.PRINT_REFUSED})


def is_final(kinds: list[str]) -> bool:
    return any(kind in FINAL_EVENTS for kind in kinds)
