"""Power of attorney in the web mailbox: give and end it, switch mailboxes, act on behalf, read-only holders.

The holder's CPR number travels only in the grant form's body; the switch is recorded in the audit log; every
request made in the grantor's mailbox asks again whether the power is in force.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.services import citizen_actor, end_power, grant_power
from digitalpost.audit.models import AuditEntry
from digitalpost.core.lifecycle import EventKind
from digitalpost.inbox.signin import ACTING_KEY
from digitalpost.messages.models import Message
from helpers.pages import deliver_letter, deliver_memo, mailbox_session, signed_in


def give(cast, level: str = "READ", *, days: int = 30) -> PowerOfAttorney:
    today = timezone.localdate()
    return grant_power(grantor=cast.anna, holder=cast.bodil, level=level, starts_on=today,
                       ends_on=today + timedelta(days=days), actor=citizen_actor(cast.anna))


def switched(cast, power: PowerOfAttorney):
    client = signed_in(cast.bodil)
    response = client.post("/post/mailboxes/switch/", {"power": str(power.pk)})
    assert response.status_code == 302
    assert response["Location"] == "/post/"
    return client


def test_the_grantor_gives_a_power_by_cpr_in_the_form_and_sees_it_listed(cast):
    client = signed_in(cast.anna)
    today = timezone.localdate()
    response = client.post("/post/power-of-attorney/", {
        "holder_cpr": "080798-4567", "level": "READ_WRITE", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=60)).isoformat()})
    assert response.status_code == 302
    assert response["Location"] == "/post/power-of-attorney/?saved=1"
    power = PowerOfAttorney.objects.get()
    assert (power.grantor, power.holder, power.level, power.registered_in) == (cast.anna, cast.bodil, "READ_WRITE", "")
    page = client.get(response["Location"]).content.decode()
    assert "Bodil Bertelsen" in page
    assert f'data-power="{power.pk}"' in page
    assert cast.bodil.number not in page
    assert "080798" not in page
    assert AuditEntry.objects.filter(action="attorney.granted", object_id=str(power.pk)).exists()


def test_an_unknown_holder_is_refused_with_its_code_and_nothing_is_stored(cast):
    client = signed_in(cast.anna, client=None)
    response = client.post("/post/power-of-attorney/", {
        "holder_cpr": "0101011111", "level": "READ", "starts_on": timezone.localdate().isoformat()})
    assert response.status_code == 400
    assert b"attorney.holder.unknown" in response.content
    assert not PowerOfAttorney.objects.exists()


def test_the_holder_switches_into_the_grantors_mailbox_reads_there_and_the_use_is_audited(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Til Anna")
    own = deliver_letter(cast, drain, cast.bodil, "Til Bodil")
    power = give(cast)
    client = signed_in(cast.bodil)
    before = client.get("/post/").content.decode()
    assert "Til Bodil" in before
    assert "Til Anna" not in before
    assert f'<option value="{power.pk}">Anna Andersen' in before  # the switcher offers Anna's mailbox
    client.post("/post/mailboxes/switch/", {"power": str(power.pk)})
    inbox = client.get("/post/").content.decode()
    assert "Til Anna" in inbox
    assert "Til Bodil" not in inbox
    assert 'id="on-behalf"' in inbox
    assert "Anna Andersen" in inbox
    assert client.get(f"/post/{letter.pk}/").status_code == 200
    assert client.get(f"/post/{own.pk}/").status_code == 404  # one mailbox at a time
    used = AuditEntry.objects.get(action="attorney.used")
    assert used.actor_label == f"citizen:{cast.bodil.pk} Bodil Bertelsen"
    client.post("/post/mailboxes/switch/", {"power": ""})
    assert "Til Bodil" in client.get("/post/").content.decode()


def test_a_holders_opening_of_a_legal_notification_is_no_legal_notification(cast, drain):
    legal = deliver_memo(cast, drain, cast.nordby.memo(cast.anna, label="Afgørelse", legal_notification=True))
    client = switched(cast, give(cast))
    assert client.get(f"/post/{legal.pk}/").status_code == 200
    kinds = set(legal.events.values_list("kind", flat=True))
    assert EventKind.MESSAGE_READ in kinds
    assert EventKind.MESSAGE_LEGALLY_NOTIFIED not in kinds


def test_a_read_only_holder_cannot_write(cast, staff):
    client = switched(cast, give(cast, "READ"))
    response = client.post(f"/post/write/mailbox/{staff.nordby_borgerservice.pk}/",
                           {"topic": "Pas", "subject": "Spørgsmål", "text": "Hej"})
    assert response.status_code == 403
    assert b"attorney.read.only" in response.content
    assert not Message.objects.filter(direction=Message.Direction.TO_AUTHORITY).exists()


def test_a_read_write_holders_inquiry_is_the_grantors_and_records_who_wrote_it(cast, staff):
    client = switched(cast, give(cast, "READ_WRITE"))
    response = client.post(f"/post/write/mailbox/{staff.nordby_borgerservice.pk}/",
                           {"topic": "Pas", "subject": "Annas pas", "text": "Hvornår er Annas pas klar?"})
    assert response.status_code == 302
    sent = Message.objects.get(direction=Message.Direction.TO_AUTHORITY)
    assert sent.mailbox.owner == cast.anna
    assert sent.thread.party == cast.anna
    assert sent.written_by == "Bodil Bertelsen"
    assert sent.events.get(kind=EventKind.MESSAGE_RECEIVED).data["writtenOnBehalfBy"] == "Bodil Bertelsen"
    # Both see who wrote it for Anna (the page's language follows the browser: match the mark and the names).
    for reader in (client, signed_in(cast.anna)):
        page = reader.get(response["Location"]).content.decode()
        assert re.search(r'<span class="written-by">Bodil Bertelsen [^<]+ Anna Andersen</span>', page)


def test_an_ended_power_gives_no_access_on_the_very_next_request(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Til Anna")
    power = give(cast)
    client = switched(cast, power)
    assert client.get(f"/post/{letter.pk}/").status_code == 200
    end_power(power=power, actor=citizen_actor(cast.anna))
    response = client.get(f"/post/{letter.pk}/")
    assert response.status_code == 403
    assert b"attorney.not.active" in response.content
    assert ACTING_KEY not in mailbox_session(client)
    assert "Til Anna" not in client.get("/post/").content.decode()


def test_an_expired_power_cannot_be_switched_into(cast):
    power = give(cast)
    PowerOfAttorney.objects.filter(pk=power.pk).update(ends_on=timezone.localdate() - timedelta(days=1))
    client = signed_in(cast.bodil)
    response = client.post("/post/mailboxes/switch/", {"power": str(power.pk)})
    assert response.status_code == 403
    assert b"attorney.not.active" in response.content
    assert not AuditEntry.objects.filter(action="attorney.used").exists()


@pytest.mark.parametrize("who", ["grantor", "holder"])
def test_the_grantor_ends_it_and_the_holder_may_give_it_up(cast, who):
    power = give(cast)
    client = signed_in(cast.anna if who == "grantor" else cast.bodil)
    response = client.post(f"/post/power-of-attorney/{power.pk}/end/")
    assert response.status_code == 302
    power.refresh_from_db()
    assert power.ended_at is not None
    assert AuditEntry.objects.filter(action="attorney.ended", object_id=str(power.pk)).exists()


def test_nobody_else_can_end_a_power(cast):
    power = give(cast)
    assert signed_in(cast.bent).post(f"/post/power-of-attorney/{power.pk}/end/").status_code == 404
    power.refresh_from_db()
    assert power.ended_at is None


def test_a_switch_to_someone_elses_power_is_refused(cast):
    power = give(cast)
    response = signed_in(cast.bent).post("/post/mailboxes/switch/", {"power": str(power.pk)})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="attorney.used").exists()


def test_the_grantor_limits_a_power_to_chosen_folders_and_the_holder_is_told_so(cast, drain):
    from digitalpost.filing.services.folders import create_folder, move_messages
    from digitalpost.messages.selectors import MailboxViewer

    anna = MailboxViewer(cast.anna.pk)
    bolig = create_folder(viewer=anna, name="Bolig")
    create_folder(viewer=anna, name="Privat")
    letter = deliver_letter(cast, drain, cast.anna, "Husleje")
    deliver_letter(cast, drain, cast.anna, "I indbakken")
    move_messages(viewer=anna, message_ids=[letter.pk], target=str(bolig.pk))
    client = signed_in(cast.anna)
    form = client.get("/post/power-of-attorney/").content.decode()
    assert 'name="scope" value="FOLDERS"' in form
    assert 'value="inbox"' in form
    assert 'value="sent"' in form
    assert 'value="deleted"' not in form
    response = client.post("/post/power-of-attorney/", {
        "holder_cpr": "080798-4567", "level": "READ", "starts_on": timezone.localdate().isoformat(),
        "scope": "FOLDERS", "folders": [str(bolig.pk)]})
    assert response.status_code == 302
    power = PowerOfAttorney.objects.get()
    assert (power.scope, list(power.folders.all())) == ("FOLDERS", [bolig])
    assert 'data-scope="FOLDERS"' in client.get(response["Location"]).content.decode()
    holder = switched(cast, power)
    page = holder.get(f"/post/folders/{bolig.pk}/").content.decode()
    assert 'id="on-behalf-folders"' in page
    assert "Husleje" in page
    assert "Privat" not in page  # the folder list shows only the chosen folders
    assert 'href="/post/"' not in page.split('id="folders"')[1]  # nor Inbox, which the power leaves out
    assert "I indbakken" not in holder.get("/post/search/", {"q": "indbakken"}).content.decode()
