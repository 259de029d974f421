"""Forwarding a letter to another Digital Post recipient: a delivered copy over the same blobs; the original and
the authority's view untouched."""

from __future__ import annotations

import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import (
    MailboxViewer,
    list_inbox,
    visible_logged_messages,
    visible_messages_for_system,
)
from digitalpost.messages.services.events import verify_timeline
from digitalpost.messages.services.forwarding import find_forward_recipient, forward_letter
from helpers.pages import deliver_letter


def test_the_copy_is_delivered_over_the_same_blobs_and_the_original_is_untouched(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Afgørelse", text="Du får boligstøtte")
    before = (list(letter.events.values_list("kind", "hash")), letter.read_at, letter.label)
    copy = forward_letter(letter=letter, recipient=cast.dorte, forwarded_by="Anna Andersen")
    copy.refresh_from_db()
    assert (copy.state, copy.mailbox.owner, copy.label) == (Message.State.DELIVERED, cast.dorte, "VS: Afgørelse")
    assert (copy.sender_label, copy.written_by, copy.forwarded_from) == ("Nordby Kommune", "Anna Andersen", letter)
    assert copy.sender_system is None
    assert not copy.is_legal_notification
    assert copy.actions == []
    originals = [(d.filename, d.blob) for d in letter.documents.all()]
    assert [(d.filename, d.blob) for d in copy.documents.all()] == originals
    assert list(copy.events.values_list("kind", flat=True)) == ["MESSAGE_RECEIVED", "MESSAGE_DELIVERED"]
    assert copy.events.first().data == {"forwardedFrom": str(letter.pk), "forwardedBy": "Anna Andersen"}
    assert verify_timeline(copy) is None
    letter.refresh_from_db()
    assert (list(letter.events.values_list("kind", "hash")), letter.read_at, letter.label) == before
    assert list(list_inbox(MailboxViewer(cast.dorte.pk))) == [copy]
    assert copy not in list(list_inbox(MailboxViewer(cast.anna.pk)))


def test_the_authority_never_sees_who_forwarded_what_to_whom(cast, drain, staff):
    from digitalpost.accounts.selectors import access_organisation
    from digitalpost.core.roles import Action

    letter = deliver_letter(cast, drain, cast.anna, "Afgørelse")
    copy = forward_letter(letter=letter, recipient=cast.bodil, forwarded_by="Anna Andersen")
    assert letter in visible_messages_for_system(cast.nordby.system)
    assert copy not in visible_messages_for_system(cast.nordby.system)
    org = access_organisation(staff.nora, cast.nordby.authority.cvr, Action.VIEW_MESSAGE_LOG)
    assert letter in visible_logged_messages(org)
    assert copy not in visible_logged_messages(org)


@pytest.mark.parametrize(("number", "code"), [
    ("0101011111", ErrorCode.FORWARD_RECIPIENT_UNKNOWN),
    ("12345678", ErrorCode.FORWARD_RECIPIENT_UNKNOWN),
    ("nonsense", ErrorCode.FORWARD_RECIPIENT_UNKNOWN),
    ("1203702345", ErrorCode.FORWARD_RECIPIENT_NOT_DIGITAL),  # Bent is exempt
    ("2404603456", ErrorCode.FORWARD_RECIPIENT_NOT_DIGITAL),  # Carl is closed
])
def test_only_recipients_who_take_digital_post_are_found(cast, number, code):
    with pytest.raises(DigitalPostError) as refused:
        find_forward_recipient(number)
    assert refused.value.code == code


def test_recipients_are_found_by_cpr_with_or_without_dash_or_by_cvr(cast):
    assert find_forward_recipient("080798-4567") == cast.bodil
    assert find_forward_recipient("33770006") == cast.dorte
