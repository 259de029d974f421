"""What a letter asks the recipient to do: MeMo actions as the mailbox keeps, shows and counts them.

A MeMo document may carry actions (pay, sign, book, self-service, ...), each with a label from the sender, an
`actionCode`, an optional period and either a link (EntryPoint) or an appointment (Reservation). The hub keeps
them as plain JSON records on the message (`records_of`), shows them as buttons worded by their type, links only
to safe https addresses (`safe_link`), offers an appointment as a calendar file (`calendar_file`), and counts a
letter as "needs action" while one of its actions is open (`is_open`). Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import icalendar

if TYPE_CHECKING:  # only the shape: core depends on nothing of ours
    from digitalpost.protocols import memo

# The wording of each MeMo actionCode in Danish and English (the button's verb); unknown codes read "Åbn"/"Open".
WORDING: Mapping[str, tuple[str, str]] = {
    "AFTALE": ("Se aftale", "See appointment"),
    "BETALING": ("Betal", "Pay"),
    "SELVBETJENING": ("Gå til selvbetjening", "Go to self-service"),
    "INFORMATION": ("Læs mere", "Read more"),
    "UNDERSKRIV": ("Underskriv", "Sign"),
    "BEKRAEFT": ("Bekræft", "Confirm"),
    "FORBEREDELSE": ("Forbered dig", "Prepare"),
    "TILMELD": ("Tilmeld dig", "Sign up"),
}
DEFAULT_WORDING = ("Åbn", "Open")
CALENDAR_WORDING = ("Tilføj til kalender", "Add to calendar")


def wording(code: str, *, danish: bool) -> str:
    da, en = WORDING.get(code.upper(), DEFAULT_WORDING)
    return da if danish else en


def safe_link(url: str | None) -> str | None:
    """The link when it is an absolute https address with a host and no user name; None for anything else.

    MeMo's rules already refuse other schemes at the door; this is checked again where the link is shown, so
    a `javascript:`, `data:` or `http:` address stored before (or by another path) is never a button.
    """
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).isoformat()


def _record(action: memo.Action, document: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "document": document, "label": action.label, "code": action.action_code.upper(),
        "start": _iso(action.start_date_time), "end": _iso(action.end_date_time),
        "url": action.entry_point.url if action.entry_point is not None else None, "reservation": None,
    }
    if action.reservation is not None:
        booking = action.reservation
        record["reservation"] = {
            "uuid": booking.reservation_uuid, "abstract": booking.abstract, "description": booking.description,
            "location": booking.location, "start": _iso(booking.start_date_time), "end": _iso(booking.end_date_time),
            "organizerMail": booking.organizer_mail, "organizerName": booking.organizer_name,
        }
    return record


def records_of(message: memo.Message) -> list[dict[str, Any]]:
    """Every action of the message's documents as a JSON-ready record, main document first."""
    if message.body is None:
        return []
    records = [_record(a, "main") for a in message.body.main_document.actions]
    for number, document in enumerate(message.body.additional_documents, start=1):
        records += [_record(a, f"additional-{number}") for a in document.actions]
    return records


def deadline(record: Mapping[str, Any]) -> datetime | None:
    """Until when the action can be taken: its own end, else the appointment's end; None when open-ended."""
    reservation = record.get("reservation") or {}
    end = record.get("end") or reservation.get("end")
    return datetime.fromisoformat(end) if end else None


@dataclass(frozen=True)
class OpenActions:
    """What the message row keeps so "needs action" is one indexed query: the latest deadline, and whether
    any action has none (open while the letter is unread)."""

    open_until: datetime | None
    undated: bool


def summarise(records: Iterable[Mapping[str, Any]]) -> OpenActions:
    deadlines = [deadline(r) for r in records]
    dated = [d for d in deadlines if d is not None]
    return OpenActions(open_until=max(dated) if dated else None, undated=any(d is None for d in deadlines))


def stored_fields(message: memo.Message) -> dict[str, Any]:
    """The message row's action fields (`actions`, `actions_open_until`, `has_undated_action`) for a MeMo."""
    records = records_of(message)
    summary = summarise(records)
    return {"actions": records, "actions_open_until": summary.open_until, "has_undated_action": summary.undated}


def is_open(record: Mapping[str, Any], *, now: datetime, read: bool) -> bool:
    """An action with a deadline is open until the deadline; one without is open until the letter is read."""
    until = deadline(record)
    return (not read) if until is None else now < until


def calendar_file(record: Mapping[str, Any], *, now: datetime, sender: str) -> bytes | None:
    """An RFC 5545 calendar (.ics) with the appointment of a booking action; None when it has none."""
    booking = record.get("reservation")
    if not booking:
        return None
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//digitalpost//mailbox//DA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{booking['uuid']}@digitalpost")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", datetime.fromisoformat(booking["start"]).astimezone(UTC))
    event.add("dtend", datetime.fromisoformat(booking["end"]).astimezone(UTC))
    event.add("summary", booking["abstract"])
    event.add("description", booking["description"])
    event.add("location", booking["location"])
    if booking.get("organizerMail"):
        organizer = icalendar.vCalAddress(f"mailto:{booking['organizerMail']}")
        organizer.params["cn"] = icalendar.vText(booking.get("organizerName") or sender)
        event.add("organizer", organizer)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
