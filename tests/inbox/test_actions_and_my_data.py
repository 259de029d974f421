"""Actions as buttons, the calendar file, "needs action", legal notification marks and the "my data" archive."""

import io
import json
import os
import uuid
import zipfile
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from cast import PDF
from digitalpost.core import actions
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import Actor
from digitalpost.inbox.signin import MailboxAccess
from digitalpost.messages.models import Message
from digitalpost.registry.services import grant_company_access
from helpers.pages import booking_action, deliver_letter, deliver_memo, link_action, signed_in, with_actions


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def letter_with_actions(cast, drain, recipient, label, *acts, **options) -> Message:
    return deliver_memo(cast, drain, with_actions(cast.nordby.memo(recipient, label=label, **options), *acts))


def test_actions_are_buttons_worded_by_their_type_in_danish_and_english(cast, drain):
    message = letter_with_actions(cast, drain, cast.anna, "Restskat",
                                  link_action("Betal restskat", "BETALING", "https://betal.nordby.example/r/1"),
                                  link_action("Underskriv aftalen", "UNDERSKRIV", "https://sign.nordby.example/a"))
    client = signed_in(cast.anna)
    page = client.get(f"/post/{message.pk}/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert 'href="https://betal.nordby.example/r/1"' in page
    assert "Betal: Betal restskat" in page
    assert "Underskriv: Underskriv aftalen" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/post/"})
    english = client.get(f"/post/{message.pk}/").content.decode()
    assert "Pay: Betal restskat" in english
    assert "Sign: Underskriv aftalen" in english


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://betal.nordby.example/", "data:text/html,x",
                                 "https://user@evil.example/", "https:///nohost"])
def test_an_unsafe_link_is_never_a_button(url):
    assert actions.safe_link(url) is None
    assert actions.safe_link("https://betal.nordby.example/r?id=1") == "https://betal.nordby.example/r?id=1"


def test_an_unsafe_link_stored_anyway_is_shown_as_refused(cast, drain):
    message = letter_with_actions(cast, drain, cast.anna, "Brev",
                                  link_action("Klik", "SELVBETJENING", "https://ok.example/"))
    Message.objects.filter(pk=message.pk).update(actions=[{**message.actions[0], "url": "javascript:alert(1)"}])
    page = signed_in(cast.anna).get(f"/post/{message.pk}/").content.decode()
    assert "javascript:" not in page
    assert "refused-link" in page


def test_an_appointment_comes_as_a_real_calendar_file(cast, drain):
    start = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    message = letter_with_actions(cast, drain, cast.anna, "Indkaldelse", booking_action("Samtale", start))
    client = signed_in(cast.anna)
    assert f"/post/{message.pk}/actions/0/calendar.ics" in client.get(f"/post/{message.pk}/").content.decode()
    response = client.get(f"/post/{message.pk}/actions/0/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment")
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + timedelta(minutes=30)
    assert str(event["location"]) == "Jobcenter Nordby, Torvet 1"
    assert str(event["summary"]) == "Samtale i Jobcenter Nordby"
    assert str(event["organizer"]) == "mailto:jobcenter@nordby.example"
    # A link action has no calendar; another person gets nothing at all.
    assert client.get(f"/post/{message.pk}/actions/1/calendar.ics").status_code == 404
    assert signed_in(cast.dorte).get(f"/post/{message.pk}/actions/0/calendar.ics").status_code == 404


def test_needs_action_lists_open_actions_only(cast, drain):
    now = timezone.now()
    due = letter_with_actions(cast, drain, cast.anna, "Betal inden fristen",
                              link_action("Betal", "BETALING", "https://b.example/", end=now + timedelta(days=3)))
    past = letter_with_actions(cast, drain, cast.anna, "Fristen er gået",
                               link_action("Betal", "BETALING", "https://b.example/", end=now - timedelta(days=1)))
    undated = letter_with_actions(cast, drain, cast.anna, "Uden frist",
                                  link_action("Læs", "INFORMATION", "https://i.example/"))
    plain = deliver_letter(cast, drain, cast.anna, "Intet at gøre")
    others = letter_with_actions(cast, drain, cast.dorte, "Dortes",
                                 link_action("Betal", "BETALING", "https://b.example/", end=now + timedelta(days=3)))
    client = signed_in(cast.anna)

    def listed() -> set[str]:
        page = client.get("/post/needs-action/").content.decode()
        return {m.label for m in (due, past, undated, plain, others) if f'data-message="{m.pk}"' in page}

    assert listed() == {"Betal inden fristen", "Uden frist"}
    assert "(no longer open)" in client.get(f"/post/{past.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.get(f"/post/{undated.pk}/")  # read: an action without a deadline is no longer open
    client.get(f"/post/{due.pk}/")  # read: a dated action stays open until its deadline
    assert listed() == {"Betal inden fristen"}


def test_legal_notification_and_mandatory_post_are_marked_and_the_first_opening_recorded(cast, drain):
    legal = deliver_memo(cast, drain, cast.nordby.memo(cast.anna, label="Afgørelse", legal_notification=True))
    mandatory = deliver_memo(cast, drain, cast.nordby.memo(cast.anna, label="Påbud", mandatory=True))
    client = signed_in(cast.anna)
    inbox = client.get("/post/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert inbox.count('data-mark="legal"') == 1
    assert inbox.count('data-mark="mandatory"') == 1

    page = client.get(f"/post/{legal.pk}/").content.decode()
    assert 'id="legal-notice"' in page
    assert 'id="legally-notified-at"' in page
    client.get(f"/post/{legal.pk}/")
    assert legal.events.filter(kind=EventKind.MESSAGE_LEGALLY_NOTIFIED).count() == 1
    assert 'id="mandatory-notice"' in client.get(f"/post/{mandatory.pk}/").content.decode()


def test_a_company_employee_who_may_only_look_never_legally_notifies(cast, drain):
    legal = deliver_memo(cast, drain, cast.nordby.memo(cast.dorte, label="Påbud", legal_notification=True))
    grant_company_access(company=cast.dorte, employee_id="urn:uuid:erik", level="READ", actor=Actor("test"))
    reader = signed_in(cast.dorte, access=MailboxAccess(cast.dorte, "READ", False, "urn:uuid:erik", "Erik"))
    assert reader.get(f"/post/{legal.pk}/").status_code == 200
    legal.refresh_from_db()
    assert legal.read_at is not None
    assert legal.legally_notified_at is None
    signed_in(cast.dorte).get(f"/post/{legal.pk}/")
    legal.refresh_from_db()
    assert legal.legally_notified_at is not None


def test_my_data_shows_what_the_archive_holds_and_the_archive_holds_it(cast, drain):
    letter = letter_with_actions(cast, drain, cast.anna, "Afgørelse om boligstøtte",
                                 link_action("Betal", "BETALING", "https://b.example/"),
                                 files=[("afgørelse.pdf", "application/pdf", PDF),
                                        ("bilag.txt", "text/plain", b"Bilag")],
                                 legal_notification=True)
    second = deliver_letter(cast, drain, cast.anna, "Andet brev", text="Hej Anna")
    deliver_letter(cast, drain, cast.dorte, "Bents brev", text="Hemmeligt for Anna")
    client = signed_in(cast.anna)
    client.get(f"/post/{letter.pk}/")

    overview = client.get("/post/my-data/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 messages" in overview
    assert "3 documents" in overview
    assert "index.json" in overview

    response = client.get("/post/my-data/archive.zip")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    index = json.loads(archive.read("index.json"))
    assert [m["label"] for m in index["messages"]] == ["Afgørelse om boligstøtte", "Andet brev"]
    first = index["messages"][0]
    assert first["legalNotification"] is True
    assert first["legallyNotifiedAt"] is not None
    assert first["actions"][0]["code"] == "BETALING"
    assert [d["filename"] for d in first["documents"]] == ["afgørelse.pdf", "bilag.txt"]
    assert archive.read(first["documents"][0]["path"]) == PDF
    assert archive.read(first["documents"][1]["path"]) == b"Bilag"
    assert archive.read(index["messages"][1]["documents"][0]["path"]) == b"Hej Anna"
    html = archive.read("index.html").decode()
    assert "Afgørelse om boligstøtte" in html
    assert "<script" not in html.lower()
    every_name = " ".join(archive.namelist()) + json.dumps(index) + html
    assert "Bents brev" not in every_name
    assert "Hemmeligt" not in every_name
    assert str(second.pk) in json.dumps(index)


def test_the_archive_is_sent_in_pieces_as_it_is_written(cast, drain):
    big = os.urandom(600 * 1024)  # random: does not compress, so the pieces are the document's own blocks
    deliver_letter(cast, drain, cast.anna, "Stort bilag",
                   files=[("brev.txt", "text/plain", b"Se bilag"), ("bilag.png", "image/png", big)])
    response = signed_in(cast.anna).get("/post/my-data/archive.zip")
    pieces = [piece for piece in response.streaming_content if piece]
    assert len(pieces) > 5
    assert max(len(piece) for piece in pieces) < len(big) / 2
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    (listed,) = [d for d in json.loads(archive.read("index.json"))["messages"][0]["documents"] if d["size"] == len(big)]
    assert archive.read(listed["path"]) == big


def test_letters_whose_ids_begin_alike_keep_their_own_documents_in_the_archive(cast, drain, monkeypatch):
    # Time-ordered ids made within a minute share their first characters (decision 0026): a folder named by them
    # put two letters' same-named documents under one path, and the zip kept the later one twice.
    from digitalpost.messages.services import group_ingest

    monkeypatch.setattr(group_ingest, "time_ordered_uuid",
                        lambda: uuid.UUID(int=(0x01A2421E << 96) | int.from_bytes(os.urandom(12), "big")))
    deliver_letter(cast, drain, cast.anna, "Første brev", text="Et")
    deliver_letter(cast, drain, cast.anna, "Andet brev", text="To")

    response = signed_in(cast.anna).get("/post/my-data/archive.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    index = json.loads(archive.read("index.json"))
    paths = [d["path"] for m in index["messages"] for d in m["documents"]]
    assert len(set(paths)) == len(paths) == len(archive.namelist()) - 2  # besides index.json and index.html
    assert [archive.read(path) for path in paths] == [b"Et", b"To"]
