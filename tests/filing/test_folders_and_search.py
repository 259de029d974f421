"""Folders, moves, marks and full-text search through the mailbox pages (Django's test client), on the database
the suite runs on (SQLite FTS5, or PostgreSQL's tsvector under tests/with_postgres.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.filing.models import Folder, SearchEntry
from digitalpost.filing.selectors import DELETED, INBOX, InboxCounts, SearchQuery, count_inbox, list_box, search
from digitalpost.filing.services.folders import create_folder, mark_messages, move_messages, rename_folder
from digitalpost.inbox.signin import SignedInPerson, mailbox_access_for
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import MailboxViewer
from digitalpost.registry.services import grant_company_access
from helpers.pages import deliver_letter, deliver_memo, link_action, signed_in, with_actions


def viewer(contact) -> MailboxViewer:
    return MailboxViewer(contact_id=contact.pk)


def ids(messages) -> list:
    return [m.pk for m in messages]


def test_a_folder_is_made_renamed_and_removed_and_its_post_goes_back(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Skat 2025")
    client = signed_in(cast.anna)
    assert client.post("/post/folders/", {"name": "  Skat  "}).status_code == 302
    folder = Folder.objects.get(owner=cast.anna)
    assert folder.name == "Skat"
    taken = client.post("/post/folders/", {"name": "skat"})
    assert taken.status_code == 400
    assert b"folder.name.taken" in taken.content
    assert client.post("/post/bulk/", {"action": "move", "target": str(folder.pk), "message": [str(letter.pk)],
                                       "next": "/post/"}).status_code == 302
    assert ids(list_box(viewer(cast.anna), INBOX)) == []
    assert "Skat 2025" in client.get(f"/post/folders/{folder.pk}/").content.decode()
    assert client.post(f"/post/folders/{folder.pk}/rename/", {"name": "Skat og told"}).status_code == 302
    assert "Skat og told" in client.get("/post/").content.decode()
    assert client.post(f"/post/folders/{folder.pk}/delete/").status_code == 302
    assert not Folder.objects.filter(pk=folder.pk).exists()
    assert ids(list_box(viewer(cast.anna), INBOX)) == [letter.pk]  # nothing deleted: back in the Inbox


def test_folder_names_are_checked(cast):
    with pytest.raises(DigitalPostError) as empty:
        create_folder(viewer=viewer(cast.anna), name="   ")
    assert empty.value.code == ErrorCode.FOLDER_NAME_INVALID
    create_folder(viewer=viewer(cast.anna), name="Bolig")
    other = create_folder(viewer=viewer(cast.anna), name="Bil")
    with pytest.raises(DigitalPostError) as taken:
        rename_folder(viewer=viewer(cast.anna), folder_id=other.pk, name="BOLIG")
    assert taken.value.code == ErrorCode.FOLDER_NAME_TAKEN
    create_folder(viewer=viewer(cast.bent), name="Bolig")  # another person's names are their own


def test_bulk_delete_moves_to_deleted_and_back_and_marks_read_and_unread(cast, drain):
    first = deliver_letter(cast, drain, cast.anna, "Første")
    second = deliver_letter(cast, drain, cast.anna, "Andet")
    client = signed_in(cast.anna)
    response = client.post("/post/bulk/", {"action": "delete", "message": [str(first.pk), str(second.pk)],
                                           "next": "/post/"})
    assert response["Location"] == "/post/?done=delete"
    assert ids(list_box(viewer(cast.anna), INBOX)) == []
    deleted_page = client.get("/post/deleted/").content.decode()
    assert "Første" in deleted_page
    assert "Andet" in deleted_page
    client.post("/post/bulk/", {"action": "restore", "message": [str(first.pk)], "next": "/post/deleted/"})
    assert ids(list_box(viewer(cast.anna), INBOX)) == [first.pk]
    assert ids(list_box(viewer(cast.anna), DELETED)) == [second.pk]

    client.post("/post/bulk/", {"action": "read", "message": [str(first.pk)], "next": "/post/"})
    first.refresh_from_db()
    assert first.read_at is not None
    client.post("/post/bulk/", {"action": "unread", "message": [str(first.pk)], "next": "/post/"})
    first.refresh_from_db()
    assert first.read_at is None
    client.get(f"/post/{first.pk}/")  # opening it after the marks tells the sender nothing new
    first.refresh_from_db()
    assert first.read_at is not None
    assert first.events.filter(kind="MESSAGE_READ").count() == 1


def test_the_inbox_counts_its_letters_and_unread_ones_once_and_leaves_moved_post_out(cast, drain):
    first, second, third = (deliver_letter(cast, drain, cast.anna, f"Brev {n}") for n in range(3))
    deliver_letter(cast, drain, cast.bent, "Bents brev")  # someone else's post is in no count of hers
    anna = viewer(cast.anna)
    mark_messages(viewer=anna, message_ids=[str(first.pk)], read=True)
    move_messages(viewer=anna, message_ids=[str(second.pk)], target=DELETED)
    assert count_inbox(anna) == InboxCounts(total=2, unread=1)
    page = signed_in(cast.anna).get("/post/")
    assert page.context["page"].paginator.count == 2
    assert page.context["unread"] == 1
    assert ids(page.context["page"].object_list) == [third.pk, first.pk]


def test_sent_lists_what_the_person_wrote(cast, staff):
    topic = staff.nordby_borgerservice.topics.values_list("name", flat=True).first() or ""
    inquiry = send_inquiry(party=cast.anna, mailbox=staff.nordby_borgerservice,
                           inquiry=Inquiry(subject="Mit pas", text="Hvornår er mit pas klar?", topic=topic))
    assert ids(list_box(viewer(cast.anna), "sent")) == [inquiry.pk]
    assert "Mit pas" in signed_in(cast.anna).get("/post/sent/").content.decode()
    found = search(viewer(cast.anna), SearchQuery(text="hvornår pas"))
    assert ids(found) == [inquiry.pk]
    assert ids(search(viewer(cast.anna), SearchQuery(text="Nordby"))) == [inquiry.pk]  # whom it went to


def test_search_finds_sender_subject_text_and_attachment_names_and_only_ones_own(cast, drain):
    by_text = deliver_letter(cast, drain, cast.anna, "Brev", text="Din ejendomsvurdering er klar.")
    by_label = deliver_letter(cast, drain, cast.anna, "Ejendomsskat for 2026")
    by_file = deliver_letter(cast, drain, cast.anna, "Bilag", files=[
        ("brev.txt", "text/plain", b"Se bilaget."), ("kontoudtog-marts.pdf", "application/pdf", b"%PDF-1.4 x")])
    by_sydby = cast.sydby.submit(cast.sydby.memo(cast.anna, label="Hej",
                                                 files=[("b.txt", "text/plain", b"Hej")]))
    assert by_sydby.status_code == 201
    drain()
    deliver_letter(cast, drain, cast.bent, "Ejendomsskat for 2026", text="Din ejendomsvurdering er klar.")
    anna = viewer(cast.anna)
    assert ids(search(anna, SearchQuery(text="ejendomsvurdering"))) == [by_text.pk]
    assert set(ids(search(anna, SearchQuery(text="ejendoms")))) == {by_text.pk, by_label.pk}  # word beginnings
    assert ids(search(anna, SearchQuery(text="kontoudtog"))) == [by_file.pk]
    assert len(ids(search(anna, SearchQuery(text="Sydby")))) == 1
    assert ids(search(anna, SearchQuery(text="ejendomsskat 2026"))) == [by_label.pk]  # every word must match
    # Bent has the same words; Anna never finds his letter, and the page shows her own only.
    page = signed_in(cast.anna).get("/post/search/", {"q": "ejendomsvurdering"}).content.decode()
    assert page.count("data-message=") == 1
    # Characters with meaning to the index are only separators here.
    assert ids(search(anna, SearchQuery(text='"ejendomsskat* (2026:'))) == [by_label.pk]


def test_search_filters_and_leaves_deleted_post_out(cast, drain):
    now = timezone.now()
    old = deliver_letter(cast, drain, cast.anna, "Gammel kvittering")
    Message.objects.filter(pk=old.pk).update(accepted_at=now - timedelta(days=40))
    new = deliver_letter(cast, drain, cast.anna, "Ny kvittering")
    open_action = deliver_memo(cast, drain, with_actions(
        cast.nordby.memo(cast.anna, label="Betal kvittering", files=[("b.txt", "text/plain", b"Betal")]),
        link_action("Betal", "BETALING", "https://betal.example/1", end=now + timedelta(days=3))))
    anna = viewer(cast.anna)
    assert set(ids(search(anna, SearchQuery(text="kvittering")))) == {old.pk, new.pk, open_action.pk}
    recent = SearchQuery(text="kvittering", received_from=(now - timedelta(days=7)).date())
    assert set(ids(search(anna, recent))) == {new.pk, open_action.pk}
    older = SearchQuery(received_to=(now - timedelta(days=30)).date())
    assert ids(search(anna, older)) == [old.pk]
    assert ids(search(anna, SearchQuery(needs_action=True), now=now)) == [open_action.pk]
    mark_messages(viewer=anna, message_ids=[new.pk], read=True)
    assert set(ids(search(anna, SearchQuery(text="kvittering", unread=True)))) == {old.pk, open_action.pk}
    assert ids(search(anna, SearchQuery(sender="Sydby Kommune"))) == []
    move_messages(viewer=anna, message_ids=[old.pk], target=DELETED)
    assert old.pk not in ids(search(anna, SearchQuery(text="kvittering")))


def test_search_results_are_paginated_with_the_query_kept(cast, drain):
    for number in range(23):
        deliver_letter(cast, drain, cast.anna, f"Lønseddel {number}")
    client = signed_in(cast.anna)
    first = client.get("/post/search/", {"q": "lønseddel"}).content.decode()
    assert first.count("data-message=") == 20
    assert "page=2&amp;q=l%C3%B8nseddel" in first
    second = client.get("/post/search/", {"q": "lønseddel", "page": "2"}).content.decode()
    assert second.count("data-message=") == 3


def test_every_delivered_letter_is_indexed_by_the_delivery_itself(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Indekseret", text="Teksten")
    entry = SearchEntry.objects.get(message=letter)
    assert (entry.owner_id, entry.sender, entry.label, entry.body) == (cast.anna.pk, "Nordby Kommune", "Indekseret",
                                                                      "Teksten")
    assert entry.attachments == "brev.txt"


def test_a_company_s_folders_belong_to_the_company_not_to_one_employee(cast, drain, settings):
    letter = deliver_letter(cast, drain, cast.dorte, "Momsangivelse")
    for employee in ("urn:uuid:erik", "urn:uuid:frida"):
        grant_company_access(company=cast.dorte, employee_id=employee, level="READ_WRITE", actor=Actor("test"))

    def employee(name: str):
        person = SignedInPerson(cpr=None, cvr=cast.dorte.number, employee_id=f"urn:uuid:{name}", name=name,
                                assurance="Substantial", privileges="")
        return signed_in(cast.dorte, access=mailbox_access_for(person))

    erik, frida = employee("erik"), employee("frida")
    erik.post("/post/folders/", {"name": "Moms"})
    folder = Folder.objects.get(owner=cast.dorte)
    erik.post("/post/bulk/", {"action": "move", "target": str(folder.pk), "message": [str(letter.pk)],
                              "next": "/post/"})
    assert "Momsangivelse" in frida.get(f"/post/folders/{folder.pk}/").content.decode()
    assert "Momsangivelse" in frida.get("/post/search/", {"q": "moms"}).content.decode()


def test_a_read_only_employee_sees_the_folders_but_changes_nothing(cast, drain):
    letter = deliver_letter(cast, drain, cast.dorte, "Årsrapport")
    folder = create_folder(viewer=viewer(cast.dorte), name="Regnskab")
    grant_company_access(company=cast.dorte, employee_id="urn:uuid:reader", level="READ", actor=Actor("test"))
    reader = signed_in(cast.dorte, access=mailbox_access_for(SignedInPerson(
        cpr=None, cvr=cast.dorte.number, employee_id="urn:uuid:reader", name="R", assurance="Substantial",
        privileges="")))
    page = reader.get("/post/").content.decode()
    assert "Regnskab" in page
    assert 'name="message"' not in page
    refused = reader.post("/post/bulk/", {"action": "delete", "message": [str(letter.pk)], "next": "/post/"})
    assert refused.status_code == 403
    assert ids(list_box(viewer(cast.dorte), INBOX)) == [letter.pk]
    assert reader.post(f"/post/folders/{folder.pk}/delete/").status_code == 403
