"""The message log: search the organisation's messages, read their timelines and receipts — content only for
the caseworkers of the conversation's mailbox — and recall a postponed letter (administrators)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.accounts.services import create_user, grant_role
from digitalpost.audit.models import AuditEntry
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import Role
from digitalpost.messages.models import Message


def letter(cast, recipient, label="Afgørelse", days_ahead: int | None = None, sender=None) -> Message:
    sender = sender or cast.nordby
    options = {}
    if days_ahead is not None:
        options["do_not_deliver_until_date"] = timezone.localdate() + timedelta(days=days_ahead)
    response = sender.submit(sender.memo(recipient, label=label, files=[("brev.txt", "text/plain", b"Hemmeligt")],
                                         **options))
    assert response.status_code == 201, response.content
    return Message.objects.get(pk=response.json()["messageId"])


def member(cast, username: str, role: Role):
    user = create_user(username=username, full_name=username.title(), email=f"{username}@example.org",
                       password="p" * 12)
    grant_role(authority=cast.nordby.authority, user=user, role=role)
    return user


def log_url(cast, *parts) -> str:
    return "/".join([f"/portal/{cast.nordby.authority.cvr}/message-log", *parts]) + "/"


def search(client, cast, query) -> str:
    """The search form is POSTed (a CPR number never goes into the URL); the result page follows."""
    return client.post(log_url(cast), query, follow=True).content.decode()


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-message="([^"]+)">', html)


@pytest.fixture
def world(cast, staff, drain):
    to_anna = letter(cast, cast.anna, "Byggetilladelse")
    to_dorte = letter(cast, cast.dorte, "Faktura")
    drain()
    inquiry = send_inquiry(party=cast.anna, mailbox=staff.nordby_borgerservice,
                           inquiry=Inquiry(subject="Mit pas", text="Min hemmelige tekst", topic="Pas"))
    sydby = letter(cast, cast.anna, "Sydbys brev", sender=cast.sydby)
    return {"to_anna": to_anna, "to_dorte": to_dorte, "inquiry": inquiry, "sydby": sydby}


def test_log_lists_the_organisations_sent_and_received_messages_newest_first(cast, staff, world):
    html = staff.client(staff.nora).get(log_url(cast)).content.decode()
    assert listed(html) == [str(world[k].pk) for k in ("inquiry", "to_dorte", "to_anna")]
    assert "Sydbys brev" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"party": "0505851234"}, ["inquiry", "to_anna"]),
        ({"party": "33770006"}, ["to_dorte"]),
        ({"label": "tilladel"}, ["to_anna"]),
        ({"direction": "TO_AUTHORITY"}, ["inquiry"]),
        ({"direction": "TO_PARTY", "state": "DELIVERED"}, ["to_dorte", "to_anna"]),
        ({"state": "RECALLED"}, []),
    ],
)
def test_log_search_filters(cast, staff, world, query, expected):
    html = search(staff.client(staff.nora), cast, query)
    assert listed(html) == [str(world[k].pk) for k in expected]


def test_log_search_by_accepted_date_range(cast, staff, world):
    today = timezone.localdate()
    client = staff.client(staff.nora)
    assert len(listed(search(client, cast, {"accepted_from": today, "accepted_to": today}))) == 3
    before = today - timedelta(days=1)
    assert listed(search(client, cast, {"accepted_to": before})) == []
    wrong = search(client, cast, {"accepted_from": today, "accepted_to": before})
    assert "Swap them" in wrong


def test_a_malformed_party_number_is_explained(cast, staff, world):
    html = search(staff.client(staff.nora), cast, {"party": "12ab"})
    assert "10 digits" in html
    assert listed(html) == []


def test_the_search_stays_out_of_the_url_and_pages_keep_it(cast, staff, drain):
    for n in range(26):
        letter(cast, cast.anna, f"Brev {n}")
    letter(cast, cast.bent, "Til Bent")
    client = staff.client(staff.nora)
    response = client.post(log_url(cast), {"party": "0505851234"})
    assert response.status_code == 302
    assert "0505851234" not in response["Location"]
    assert len(listed(client.get(response["Location"]).content.decode())) == 25
    second = client.get(log_url(cast), {"page": 2}).content.decode()
    assert len(listed(second)) == 1
    assert "0505851234" not in re.findall(r'href="([^"]*)"', second).__str__()
    assert len(listed(search(client, cast, {"clear": "1"}))) == 25
    assert len(listed(client.get(log_url(cast), {"page": 2}).content.decode())) == 2
    # An old bookmark with the number in the URL no longer searches by it.
    assert len(listed(client.get(log_url(cast), {"party": "1203702345"}).content.decode())) == 25


def test_log_is_paginated(cast, staff, drain):
    for n in range(26):
        letter(cast, cast.anna, f"Brev {n}")
    client = staff.client(staff.nora)
    assert len(listed(client.get(log_url(cast)).content.decode())) == 25
    assert len(listed(client.get(log_url(cast), {"page": 2}).content.decode())) == 1


def test_detail_shows_metadata_timeline_and_receipts_but_no_content(cast, staff, world):
    message = world["to_anna"]
    html = staff.client(staff.nora).get(log_url(cast, str(message.pk))).content.decode()
    assert str(message.message_uuid) in html
    assert re.findall(r'<tr data-event="([^"]+)">', html) == ["MESSAGE_RECEIVED", "MESSAGE_DELIVERED"]
    assert re.findall(r'<tr data-receipt="([^"]+)">', html) == ["RECEIVED", "COMPLETED"]
    assert "Hemmeligt" not in html
    assert "brev.txt" not in html
    assert 'id="no-content"' in html


def test_an_administrator_without_casework_sees_the_inquiry_in_the_log_without_content(cast, staff, world):
    admin = member(cast, "alma", Role.ADMIN)
    client = staff.client(admin)
    html = client.get(log_url(cast, str(world["inquiry"].pk))).content.decode()
    assert "Mit pas" in html
    assert "henvendelse.txt" not in html
    assert "Min hemmelige tekst" not in html
    assert 'id="no-content"' in html
    assert client.get(f"/portal/{cast.nordby.authority.cvr}/inquiries/{world['inquiry'].thread_id}/").status_code == 403


def test_the_mailboxs_caseworker_gets_the_content_from_the_log(cast, staff, world):
    html = staff.client(staff.niels).get(log_url(cast, str(world["inquiry"].pk))).content.decode()
    assert "henvendelse.txt" in html
    assert f"/inquiries/{world['inquiry'].thread_id}/" in html
    assert 'id="no-content"' not in html


def test_another_organisations_message_is_not_found_under_its_own_cvr(cast, staff, world):
    sofie = staff.client(staff.sofie)
    assert sofie.get(log_url(cast)).status_code == 404
    assert sofie.get(log_url(cast, str(world["to_anna"].pk))).status_code == 404
    response = sofie.get(f"/portal/{cast.sydby.authority.cvr}/message-log/{world['to_anna'].pk}/")
    assert response.status_code == 404
    assert b"Byggetilladelse" not in response.content
    sydby_log = sofie.get(f"/portal/{cast.sydby.authority.cvr}/message-log/").content.decode()
    assert listed(sydby_log) == [str(world["sydby"].pk)]


def test_citizen_service_cannot_see_the_log(cast, staff, world):
    client = staff.client(member(cast, "carla", Role.CITIZEN_SERVICE))
    assert client.get(log_url(cast)).status_code == 403
    assert client.get(log_url(cast, str(world["to_anna"].pk))).status_code == 403


# Recall.


def test_an_administrator_recalls_a_postponed_letter_from_the_log(cast, staff, drain):
    waiting = letter(cast, cast.anna, "Varsel", days_ahead=5)
    client = staff.client(member(cast, "alma", Role.ADMIN))
    page = client.get(log_url(cast, str(waiting.pk))).content.decode()
    assert 'id="recall"' in page
    response = client.post(log_url(cast, str(waiting.pk), "recall"))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == Message.State.RECALLED
    assert waiting.events.get(kind=EventKind.MESSAGE_RECALLED).data == {"by": "alma"}
    assert AuditEntry.objects.filter(action="message.recalled", actor_label="alma").exists()
    after = client.get(log_url(cast, str(waiting.pk))).content.decode()
    assert 'data-event="MESSAGE_RECALLED"' in after
    assert 'id="recall"' not in after


def test_recalling_too_late_is_refused_with_its_code(cast, staff, world):
    client = staff.client(staff.nora)
    assert 'id="recall"' not in client.get(log_url(cast, str(world["to_anna"].pk))).content.decode()
    response = client.post(log_url(cast, str(world["to_anna"].pk), "recall"), follow=True)
    assert "recall.not.possible" in response.content.decode()
    today = letter(cast, cast.anna, "I dag", days_ahead=0)
    response = client.post(log_url(cast, str(today.pk), "recall"), follow=True)
    assert "recall.too.late" in response.content.decode()
    assert not Message.objects.filter(state=Message.State.RECALLED).exists()


def test_caseworkers_and_other_organisations_cannot_recall(cast, staff):
    waiting = letter(cast, cast.anna, "Varsel", days_ahead=5)
    assert staff.client(staff.niels).post(log_url(cast, str(waiting.pk), "recall")).status_code == 403
    assert 'id="recall"' not in staff.client(staff.niels).get(log_url(cast, str(waiting.pk))).content.decode()
    sofie = staff.client(staff.sofie)
    assert sofie.post(log_url(cast, str(waiting.pk), "recall")).status_code == 404
    own = f"/portal/{cast.sydby.authority.cvr}/message-log/{waiting.pk}/recall/"
    assert sofie.post(own).status_code == 404
    waiting.refresh_from_db()
    assert waiting.state == Message.State.ACCEPTED
