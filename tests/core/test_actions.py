"""MeMo actions as the mailbox keeps them: records, wording, safe links, when one is open, the calendar file."""

from datetime import UTC, datetime, timedelta

import icalendar

from digitalpost.core import actions
from digitalpost.protocols import memo
from helpers.pages import booking_action, link_action, with_actions

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def letter_with(*acts: memo.Action) -> memo.Message:
    letter = memo.simple_message(sender_cvr="29190003", sender_label="Nordby Kommune", recipient_id="0101011234",
                                 label="Brev", files=[("brev.txt", "text/plain", b"Hej")], created=NOW)
    return with_actions(letter, *acts)


def test_records_keep_every_field_and_summarise_the_deadlines():
    records = actions.records_of(letter_with(
        link_action("Betal", "betaling", "https://b.example/", end=NOW + timedelta(days=2)),
        booking_action("Samtale", NOW + timedelta(days=9)),
        link_action("Læs", "INFORMATION", "https://i.example/"),
    ))
    assert [r["code"] for r in records] == ["BETALING", "AFTALE", "INFORMATION"]
    assert records[0]["url"] == "https://b.example/"
    assert records[1]["reservation"]["location"] == "Jobcenter Nordby, Torvet 1"
    summary = actions.summarise(records)
    assert summary.open_until == NOW + timedelta(days=9, minutes=30)  # the appointment's end
    assert summary.undated is True
    assert actions.summarise([]) == actions.OpenActions(open_until=None, undated=False)


def test_an_action_is_open_until_its_deadline_or_if_undated_until_the_letter_is_read():
    dated, undated = actions.records_of(letter_with(
        link_action("Betal", "BETALING", "https://b.example/", end=NOW + timedelta(hours=1)),
        link_action("Læs", "INFORMATION", "https://i.example/")))
    assert actions.is_open(dated, now=NOW, read=True)
    assert not actions.is_open(dated, now=NOW + timedelta(hours=1), read=False)
    assert actions.is_open(undated, now=NOW, read=False)
    assert not actions.is_open(undated, now=NOW, read=True)


def test_each_type_has_its_own_wording_in_danish_and_english():
    assert actions.wording("BETALING", danish=True) == "Betal"
    assert actions.wording("betaling", danish=False) == "Pay"
    assert actions.wording("UNDERSKRIV", danish=False) == "Sign"
    assert actions.wording("NOGET_NYT", danish=True) == "Åbn"


def test_the_calendar_file_is_a_valid_event_with_the_appointment():
    (record,) = actions.records_of(letter_with(booking_action("Samtale", NOW + timedelta(days=1), minutes=45)))
    calendar = icalendar.Calendar.from_ical(actions.calendar_file(record, now=NOW, sender="Nordby Kommune"))
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == NOW + timedelta(days=1)
    assert event.decoded("dtend") == NOW + timedelta(days=1, minutes=45)
    assert str(event["uid"]).startswith("6f1c1a52-")
    (link,) = actions.records_of(letter_with(link_action("Betal", "BETALING", "https://b.example/")))
    assert actions.calendar_file(link, now=NOW, sender="Nordby Kommune") is None
