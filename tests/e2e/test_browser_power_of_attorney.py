"""Power of attorney and forwarding in a real browser: Anna gives her neighbour's daughter Bodil a power, Bodil
switches into Anna's mailbox from the header, writes and forwards on her behalf, Anna ends it and Bodil is out.

The rules are tested with Django's test client in tests/inbox/test_power_of_attorney.py and test_forwarding.py;
this adds what only a browser shows: the switcher, the "on behalf of" band, the forms as a person fills them in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cast import Cast
from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.filing.models import Folder
from digitalpost.filing.services.folders import create_folder, move_messages
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import MailboxViewer
from helpers.axe import assert_accessible, preload_axe
from helpers.browser import sign_in_to_mailbox
from helpers.pages import deliver_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="Log ud").click()


def test_anna_gives_bodil_a_power_bodil_acts_for_her_and_anna_ends_it(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    letter = deliver_letter(tx_cast, drain, tx_cast.anna, "Afgørelse om boligstøtte", text="Du får boligstøtte.")
    deliver_letter(tx_cast, drain, tx_cast.bodil, "Bodils eget brev")
    borgerservice = create_mailbox(authority=tx_cast.nordby.authority, name="Borgerservice", topics=["Bolig"])
    base = live_server.url

    # Anna gives the power: the CPR number is typed into the form, never part of an address.
    sign_in_to_mailbox(page, base, tx_cast.anna.number)
    page.locator("header nav").get_by_role("link", name="Fuldmagt").click()
    expect(page.locator("h1")).to_have_text("Fuldmagt")
    page.locator('input[name="holder_cpr"]').fill("080798-4567")
    page.locator('input[name="level"][value="READ_WRITE"]').check()
    page.locator('input[name="ends_on"]').fill((timezone.localdate() + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Giv fuldmagt").click()
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#given tbody tr")).to_contain_text("Bodil Bertelsen")
    assert "0807984567" not in page.url
    assert "080798" not in page.content()
    screenshot("mailbox-power-of-attorney-given")
    sign_out(page)

    # Bodil signs in to her own mailbox and switches to Anna's in the header.
    sign_in_to_mailbox(page, base, tx_cast.bodil.number)
    expect(page.locator("#messages")).to_contain_text("Bodils eget brev")
    page.locator("#mailbox-switch-power").select_option(label="Anna Andersen (læse og skrive)")
    page.locator("#mailbox-switch").get_by_role("button", name="Skift").click()
    expect(page.locator("#on-behalf")).to_contain_text("Du handler på vegne af Anna Andersen")
    expect(page.locator("#messages")).to_contain_text("Afgørelse om boligstøtte")
    expect(page.locator("#messages")).not_to_contain_text("Bodils eget brev")
    assert AuditEntry.objects.filter(action="attorney.used").count() == 1
    screenshot("mailbox-power-of-attorney-acting")

    # She writes to Borgerservice for Anna: the conversation says who wrote it.
    page.goto(f"{base}/post/write/mailbox/{borgerservice.pk}/")
    page.get_by_label("Emne").select_option("Bolig")
    page.get_by_label("Overskrift").fill("Spørgsmål om boligstøtte")
    page.get_by_label("Din besked").fill("Hej\nJeg skriver for Anna. Hvornår udbetales boligstøtten?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#confirmation")).to_be_visible()
    expect(page.locator("article.entry.own h2")).to_contain_text("Bodil Bertelsen skrev på vegne af Anna Andersen")
    sent = Message.objects.get(direction=Message.Direction.TO_AUTHORITY)
    assert (sent.mailbox.owner_id, sent.written_by) == (tx_cast.anna.pk, "Bodil Bertelsen")

    # And she forwards Anna's letter to Dorte ApS (CVR) on Anna's behalf.
    page.goto(f"{base}/post/{letter.pk}/")
    page.locator("#forward-link").click()
    page.locator('input[name="number"]').fill(tx_cast.dorte.number)
    page.locator("#forward-button").click()
    expect(page.locator("#forwarded")).to_be_visible()
    copy = Message.objects.get(forwarded_from=letter)
    assert (copy.mailbox.owner_id, copy.written_by) == (tx_cast.dorte.pk, "Bodil Bertelsen på vegne af Anna Andersen")
    sign_out(page)

    # Anna ends the power; Bodil's next request in Anna's mailbox is refused and she is back in her own.
    sign_in_to_mailbox(page, base, tx_cast.anna.number)
    page.locator("header nav").get_by_role("link", name="Fuldmagt").click()
    page.locator("#given").get_by_role("button", name="Afslut nu").click()
    expect(page.locator("#ended")).to_be_visible()
    sign_out(page)
    sign_in_to_mailbox(page, base, tx_cast.bodil.number)
    expect(page.locator("#mailbox-switch")).to_have_count(0)  # nothing left to switch to
    power = PowerOfAttorney.objects.get()
    assert power.ended_at is not None
    assert AuditEntry.objects.filter(action="attorney.ended").count() == 1


def test_a_power_ended_while_the_holder_is_in_the_mailbox_shuts_her_out_at_once(
    page: Page, live_server, tx_cast: Cast, drain
):
    deliver_letter(tx_cast, drain, tx_cast.anna, "Til Anna")
    today = timezone.localdate()
    from digitalpost.attorney.services import citizen_actor, end_power, grant_power

    power = grant_power(grantor=tx_cast.anna, holder=tx_cast.bodil, level="READ", starts_on=today, ends_on=None,
                        actor=citizen_actor(tx_cast.anna))
    sign_in_to_mailbox(page, live_server.url, tx_cast.bodil.number)
    page.locator("#mailbox-switch-power").select_option(value=str(power.pk))
    page.locator("#mailbox-switch").get_by_role("button", name="Skift").click()
    expect(page.locator("#on-behalf")).to_contain_text("Du må kun læse.")
    expect(page.locator("#messages")).to_contain_text("Til Anna")
    end_power(power=power, actor=citizen_actor(tx_cast.anna))
    page.reload()
    expect(page.locator("main")).to_contain_text("attorney.not.active")
    page.goto(f"{live_server.url}/post/")
    expect(page.locator("main")).not_to_contain_text("Til Anna")
    expect(page.locator("#on-behalf")).to_have_count(0)


def test_forwarding_by_email_warns_that_email_is_not_secure(page: Page, live_server, tx_cast: Cast, drain,
                                                            settings, screenshot):
    settings.DIGITALPOST_FORWARD_TO_EMAIL = True
    letter = deliver_letter(tx_cast, drain, tx_cast.anna, "Lønseddel", text="Din løn")
    sign_in_to_mailbox(page, live_server.url, tx_cast.anna.number)
    page.goto(f"{live_server.url}/post/{letter.pk}/")
    page.locator("#forward-link").click()
    expect(page.locator("#email-warning")).to_contain_text("E-mail er ikke sikker.")
    screenshot("mailbox-forward")
    page.locator('input[name="channel"][value="email"]').check()
    page.locator('input[name="email"]').fill("revisor@example.org")
    page.locator("#forward-button").click()
    expect(page.locator("#forwarded")).to_contain_text("E-mailen er på vej.")
    from digitalpost.notifications.models import ForwardedMail

    forward = ForwardedMail.objects.get()
    assert (forward.recipient, forward.include_documents, forward.forwarded_by) == (
        "revisor@example.org", False, "Anna Andersen")


def test_anna_limits_a_power_to_one_folder_and_bodil_sees_only_that_folders_letters(
    page: Page, live_server, tx_cast: Cast, drain, screenshot
):
    preload_axe(page.context)
    anna = MailboxViewer(tx_cast.anna.pk)
    bolig = create_folder(viewer=anna, name="Bolig")
    create_folder(viewer=anna, name="Helbred")
    housing = deliver_letter(tx_cast, drain, tx_cast.anna, "Husleje for maj", text="Huslejen stiger.")
    health = deliver_letter(tx_cast, drain, tx_cast.anna, "Svar fra hospitalet", text="Prøvesvar.")
    deliver_letter(tx_cast, drain, tx_cast.anna, "Brev i indbakken", text="Hej Anna.")
    move_messages(viewer=anna, message_ids=[housing.pk], target=str(bolig.pk))
    move_messages(viewer=anna, message_ids=[health.pk], target=str(Folder.objects.get(name="Helbred").pk))
    base = live_server.url

    # Anna gives Bodil read access to Bolig only: "only the folders ticked", then the folder's box.
    sign_in_to_mailbox(page, base, tx_cast.anna.number)
    page.locator("header nav").get_by_role("link", name="Fuldmagt").click()
    page.locator('input[name="holder_cpr"]').fill("080798-4567")
    page.get_by_label("Kun de mapper, der er sat flueben ved nedenfor").check()
    page.get_by_label("Bolig", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Giv fuldmagt").click()
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#given tbody tr")).to_contain_text("Kun disse mapper: Bolig")
    power = PowerOfAttorney.objects.get()
    assert (power.scope, [f.name for f in power.folders.all()]) == ("FOLDERS", ["Bolig"])
    granted = AuditEntry.objects.get(action="attorney.granted")
    assert granted.after["folders"] == [{"id": str(bolig.pk), "name": "Bolig"}]
    sign_out(page)

    # Bodil switches to Anna's mailbox: she lands in Bolig, is told the limit, and sees nothing else.
    sign_in_to_mailbox(page, base, tx_cast.bodil.number)
    page.locator("#mailbox-switch-power").select_option(label="Anna Andersen (kun læse, udvalgte mapper)")
    page.locator("#mailbox-switch").get_by_role("button", name="Skift").click()
    expect(page).to_have_url(f"{base}/post/folders/{bolig.pk}/")
    expect(page.locator("#on-behalf-folders")).to_have_text("Fuldmagten gælder kun disse mapper: Bolig.")
    expect(page.locator("#messages")).to_contain_text("Husleje for maj")
    expect(page.locator("#folders")).not_to_contain_text("Helbred")
    expect(page.locator("#folders")).not_to_contain_text("Indbakke")
    screenshot("mailbox-power-of-attorney-folders")
    assert_accessible(page)
    page.locator("#quick-search").fill("svar")
    page.locator("#folders").get_by_role("button", name="Søg").click()
    expect(page.locator("#search-count")).to_have_text("0 meddelelser fundet")
    outside = page.goto(f"{base}/post/{health.pk}/")
    assert outside is not None
    assert outside.status == 404  # as anyone else's post
    expect(page.locator("body")).not_to_contain_text("Prøvesvar")
    page.goto(f"{base}/post/{housing.pk}/")
    expect(page.locator("main")).to_contain_text("Huslejen stiger.")
