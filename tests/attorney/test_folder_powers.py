"""Powers of attorney limited to chosen folders: what may be chosen, and that everything the holder's viewer reads
or moves stays inside the chosen folders (the services and selectors; the pages are in the access matrix)."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.selectors import list_chosen_folder_names, mailbox_viewer
from digitalpost.attorney.services import citizen_actor, grant_power, record_use
from digitalpost.audit.models import AuditEntry
from digitalpost.conversations.selectors import list_threads
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.filing.selectors import (
    DELETED,
    INBOX,
    SENT,
    SearchQuery,
    access_folder,
    list_box,
    list_folders,
    search,
)
from digitalpost.filing.services.folders import create_folder, delete_folder, move_messages, rename_folder
from digitalpost.messages.selectors import MailboxViewer, access_message, list_archive, list_needing_action
from helpers.pages import deliver_letter


def _give(cast, folders, level: str = "READ_WRITE") -> PowerOfAttorney:
    return grant_power(grantor=cast.anna, holder=cast.bodil, level=level, starts_on=timezone.localdate(),
                       ends_on=None, folders=folders, actor=citizen_actor(cast.anna))


@pytest.fixture
def annas(cast, drain, staff):
    """Anna's mailbox: a letter in Inbox, one in Bolig, one in Helbred, one in Deleted, and an inquiry in Sent."""
    anna = MailboxViewer(cast.anna.pk)
    bolig = create_folder(viewer=anna, name="Bolig")
    helbred = create_folder(viewer=anna, name="Helbred")
    letters = {name: deliver_letter(cast, drain, cast.anna, f"Brev {name}", text=f"Fælles ord {name}")
               for name in ("inbox", "bolig", "helbred", "slettet")}
    move_messages(viewer=anna, message_ids=[letters["bolig"].pk], target=str(bolig.pk))
    move_messages(viewer=anna, message_ids=[letters["helbred"].pk], target=str(helbred.pk))
    move_messages(viewer=anna, message_ids=[letters["slettet"].pk], target=DELETED)
    topic = staff.nordby_borgerservice.topics.values_list("name", flat=True).first() or ""
    sent = send_inquiry(party=cast.anna, mailbox=staff.nordby_borgerservice,
                        inquiry=Inquiry(subject="Annas spørgsmål", text="Fælles ord", topic=topic))
    return {"Bolig": bolig, "Helbred": helbred, "sent": sent, **letters}


def test_a_folder_limited_grant_names_its_folders_in_the_audit_log(cast, annas):
    power = _give(cast, [INBOX, str(annas["Bolig"].pk)])
    assert (power.scope, power.opens_inbox, power.opens_sent) == ("FOLDERS", True, False)
    assert list(power.folders.all()) == [annas["Bolig"]]
    with translation.override("da"):
        assert list_chosen_folder_names(power) == ["Indbakke", "Bolig"]
    record_use(power=power, actor=citizen_actor(cast.bodil))
    granted, used = AuditEntry.objects.filter(action__in=["attorney.granted", "attorney.used"]).order_by("seq")
    expected = [{"box": "inbox"}, {"id": str(annas["Bolig"].pk), "name": "Bolig"}]
    assert (granted.after["scope"], granted.after["folders"]) == ("FOLDERS", expected)
    assert used.after["folders"] == expected


@pytest.mark.parametrize("chosen", [[], [DELETED], ["not-a-folder"], ["bents"]])
def test_only_the_grantors_own_folders_inbox_and_sent_may_be_chosen(cast, annas, chosen):
    if chosen == ["bents"]:
        chosen = [str(create_folder(viewer=MailboxViewer(cast.bent.pk), name="Bents").pk)]
    with pytest.raises(DigitalPostError) as refused:
        _give(cast, chosen)
    assert refused.value.code == ErrorCode.ATTORNEY_FOLDERS_INVALID
    assert not PowerOfAttorney.objects.exists()


def test_the_holder_sees_reads_and_finds_only_what_lies_in_the_chosen_folders(cast, annas):
    holder = mailbox_viewer(_give(cast, [str(annas["Bolig"].pk)]))
    assert holder.contact_id == cast.anna.pk
    assert access_message(holder, annas["bolig"].pk) == annas["bolig"]
    for outside in ("inbox", "helbred", "slettet", "sent"):
        with pytest.raises(DigitalPostError):
            access_message(holder, annas[outside].pk)
    assert [m.pk for m in search(holder, SearchQuery(text="fælles"))] == [annas["bolig"].pk]
    assert [m.pk for m in list_archive(holder)] == [annas["bolig"].pk]
    assert list(list_folders(holder)) == [annas["Bolig"]]
    with pytest.raises(DigitalPostError):
        access_folder(holder, annas["Helbred"].pk)
    for box in (INBOX, SENT, DELETED):
        with pytest.raises(DigitalPostError):
            list_box(holder, box)
    assert list(list_needing_action(holder, now=timezone.now())) == []
    assert list(list_threads(holder)) == []  # the inquiry lies in Sent
    # The grantor moves the letter out of Bolig: from that moment it is gone for the holder.
    move_messages(viewer=MailboxViewer(cast.anna.pk), message_ids=[annas["bolig"].pk], target=INBOX)
    assert list(search(holder, SearchQuery(text="fælles"))) == []


def test_inbox_and_sent_are_chosen_as_the_places_of_post_never_moved(cast, annas):
    holder = mailbox_viewer(_give(cast, [INBOX, SENT]))
    assert [m.pk for m in list_box(holder, INBOX)] == [annas["inbox"].pk]
    assert [m.pk for m in list_box(holder, SENT)] == [annas["sent"].pk]
    assert [t.pk for t in list_threads(holder)] == [annas["sent"].thread_id]
    assert {m.pk for m in search(holder, SearchQuery(text="fælles"))} == {annas["inbox"].pk, annas["sent"].pk}
    assert list(list_folders(holder)) == []


def test_a_holder_moves_only_between_the_chosen_folders(cast, annas):
    holder = mailbox_viewer(_give(cast, [str(annas["Bolig"].pk)]))
    letter = annas["bolig"].pk
    with pytest.raises(DigitalPostError) as hidden:
        move_messages(viewer=holder, message_ids=[letter], target=str(annas["Helbred"].pk))
    assert hidden.value.code == ErrorCode.MESSAGE_NOT_FOUND  # a folder not chosen is "not found"
    for target in (DELETED, INBOX):  # Deleted is never chosen; Inbox is not chosen here
        with pytest.raises(DigitalPostError) as refused:
            move_messages(viewer=holder, message_ids=[letter], target=target)
        assert refused.value.code == ErrorCode.ATTORNEY_OUTSIDE_FOLDERS
    # Ids outside the chosen folders are ignored, as another person's are.
    assert move_messages(viewer=holder, message_ids=[annas["helbred"].pk], target=str(annas["Bolig"].pk)) == 0
    for arrange in (lambda: create_folder(viewer=holder, name="Ny"),
                    lambda: rename_folder(viewer=holder, folder_id=annas["Bolig"].pk, name="Ny"),
                    lambda: delete_folder(viewer=holder, folder_id=annas["Bolig"].pk)):
        with pytest.raises(DigitalPostError) as arranged:
            arrange()
        assert arranged.value.code == ErrorCode.ATTORNEY_OUTSIDE_FOLDERS
    annas["bolig"].placement.refresh_from_db()
    assert annas["bolig"].placement.folder_id == annas["Bolig"].pk
    # With Inbox chosen too, the letter may go back to Inbox, and from there into Bolig again.
    both = mailbox_viewer(_give(cast, [INBOX, str(annas["Bolig"].pk)]))
    assert move_messages(viewer=both, message_ids=[letter], target=INBOX) == 1
    assert move_messages(viewer=both, message_ids=[letter], target=str(annas["Bolig"].pk)) == 1


def test_a_folder_the_grantor_removes_leaves_the_power_with_it(cast, annas):
    power = _give(cast, [str(annas["Bolig"].pk), str(annas["Helbred"].pk)])
    delete_folder(viewer=MailboxViewer(cast.anna.pk), folder_id=annas["Helbred"].pk)
    power.refresh_from_db()
    assert list(power.folders.all()) == [annas["Bolig"]]
    # Helbred's letter went back to Inbox, which the power does not open.
    with pytest.raises(DigitalPostError):
        access_message(mailbox_viewer(power), annas["helbred"].pk)
