"""The mailbox's Notifications page: a signed-in citizen or company sets their own notice address, turns notices
on or off and gives a mobile number for NemSMS; nobody can reach anyone else's settings."""

from __future__ import annotations

import pytest
from django.test import Client

from digitalpost.outbox.models import Job, WorkKind
from digitalpost.registry.models import Contact
from helpers.pages import deliver_letter, signed_in

PAGE = "/post/settings/notifications/"


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def fresh(contact: Contact) -> Contact:
    return Contact.objects.get(pk=contact.pk)


def test_page_needs_sign_in(cast):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert Client().post(PAGE, {"notification_email": "x@example.org"}).status_code == 302


def test_page_shows_own_settings_and_is_in_danish_by_default(cast):
    Contact.objects.filter(pk=cast.anna.pk).update(notification_email="anna@example.org", mobile_number="+4520123456")
    html = signed_in(cast.anna).get(PAGE).content.decode()
    assert '<html lang="da">' in html
    assert 'value="anna@example.org"' in html
    assert 'value="+4520123456"' in html
    assert 'name="notify_by_email"' in html
    assert "checked" in html


def test_citizen_saves_address_turns_notices_on_and_gives_a_mobile(cast):
    client = signed_in(cast.anna)
    response = client.post(PAGE, {"notification_email": "anna@example.org", "notify_by_email": "on",
                                  "mobile_number": "20 12 34 56"})
    assert response.status_code == 302
    assert response["Location"] == PAGE + "?saved=1"
    anna = fresh(cast.anna)
    assert (anna.notification_email, anna.notify_by_email, anna.mobile_number) == (
        "anna@example.org", True, "+4520123456")
    assert 'id="saved"' in client.get(response["Location"]).content.decode()


def test_company_turns_notices_off(cast):
    Contact.objects.filter(pk=cast.dorte.pk).update(notification_email="post@dorte.example")
    signed_in(cast.dorte).post(PAGE, {"notification_email": "post@dorte.example", "mobile_number": ""})
    assert fresh(cast.dorte).notify_by_email is False


def test_saved_settings_decide_the_next_notice(cast, drain):
    signed_in(cast.anna).post(PAGE, {"notification_email": "anna@example.org", "notify_by_email": "on"})
    message = deliver_letter(cast, drain, cast.anna, "Brev")
    assert Job.objects.filter(kind=WorkKind.NOTIFY, key=f"notice:{message.pk}").exists()


def test_a_signed_in_citizen_changes_only_their_own_settings(cast):
    Contact.objects.filter(pk=cast.dorte.pk).update(notification_email="post@dorte.example")
    signed_in(cast.anna).post(PAGE, {"notification_email": "evil@example.org", "notify_by_email": "on",
                                     "contact": str(cast.dorte.pk), "contact_id": str(cast.dorte.pk)})
    assert fresh(cast.dorte).notification_email == "post@dorte.example"
    assert fresh(cast.anna).notification_email == "evil@example.org"
    assert "post@dorte.example" not in signed_in(cast.anna).get(PAGE).content.decode()


def test_bad_values_are_shown_and_nothing_is_saved(cast):
    client = signed_in(cast.anna)
    for data in ({"notification_email": "not-an-address", "notify_by_email": "on"},
                 {"notification_email": "anna@example.org", "mobile_number": "12ab"},
                 {"notification_email": "", "notify_by_email": "on"}):
        response = client.post(PAGE, data)
        assert response.status_code == 200
        assert 'id="form-errors"' in response.content.decode()
    anna = fresh(cast.anna)
    assert (anna.notification_email, anna.mobile_number) == ("", "")


def test_post_without_csrf_token_is_refused(cast):
    client = signed_in(cast.anna, client=Client(enforce_csrf_checks=True))
    response = client.post(PAGE, {"notification_email": "anna@example.org", "notify_by_email": "on"})
    assert response.status_code == 403
    assert fresh(cast.anna).notification_email == ""
