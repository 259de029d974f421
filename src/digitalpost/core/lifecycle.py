"""A message's life: the events on its timeline, which of them are final, and receipt statuses.

The event log itself is stored by the messages app; this module only names things and decides
finality, so it can be tested without a database.
"""

from __future__ import annotations

from enum import StrEnum


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


# After one of these nothing more happens to the delivery; later events (read) only add information.
FINAL_EVENTS = frozenset({EventKind.MESSAGE_DELIVERED, EventKind.DELIVERY_FAILED, EventKind.MESSAGE_RECALLED,
                          EventKind.PHYSICAL_LETTER_SENT, EventKind.PRINT_REFUSED})


def is_final(kinds: list[str]) -> bool:
    return any(kind in FINAL_EVENTS for kind in kinds)
