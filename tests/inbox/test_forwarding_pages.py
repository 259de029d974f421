"""Forwarding from the web mailbox: to another Digital Post recipient, by e-mail where the hub allows it (a notice,
the documents only when ticked, through the real SMTP relay), and on behalf of someone by a read-and-write holder."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from digitalpost.attorney.services import citizen_actor, grant_power
from digitalpost.messages.models import Message
from digitalpost.notifications.models import ForwardedMail
from digitalpost.outbox.models import WorkKind
from helpers.pages import deliver_letter, signed_in


def _copies() -> list[Message]:
    return list(Message.objects.exclude(forwarded_from=None))


def test_forwarding_to_a_cpr_number_delivers_a_copy_that_names_both_senders(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Afgørelse om boligstøtte", text="Du får 1.200 kr.")
    anna = signed_in(cast.anna)
    page = anna.get(f"/post/{letter.pk}/forward/").content.decode()
    assert 'id="email-warning"' not in page
    assert 'name="email"' not in page
    response = anna.post(f"/post/{letter.pk}/forward/", {"channel": "digital", "number": "080798-4567"})
    assert response.status_code == 302
    assert response["Location"] == f"/post/{letter.pk}/?forwarded=digital"
    [copy] = _copies()
    bodil = signed_in(cast.bodil)
    assert "VS: Afgørelse om boligstøtte" in bodil.get("/post/").content.decode()
    seen = bodil.get(f"/post/{copy.pk}/").content.decode()
    assert re.search(r'<p class="written-by" id="written-by">[^<]+ Anna Andersen</p>', seen)
    assert "Nordby Kommune" in seen
    assert "Du får 1.200 kr." in seen
    assert signed_in(cast.anna).get(f"/post/{letter.pk}/").status_code == 200  # the original stays


def test_an_unknown_number_is_refused_on_the_form(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Brev")
    response = signed_in(cast.anna).post(f"/post/{letter.pk}/forward/", {"channel": "digital", "number": "0101011111"})
    assert response.status_code == 400
    assert b"forward.recipient.unknown" in response.content
    assert _copies() == []


def test_email_is_refused_when_the_hub_is_not_set_up_for_it(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Brev")
    signed_in(cast.anna).post(f"/post/{letter.pk}/forward/", {"channel": "email", "email": "x@example.org"})
    assert not ForwardedMail.objects.exists()


@pytest.mark.parametrize("include", [False, True])
def test_by_email_a_notice_and_the_documents_only_when_ticked(cast, drain, smtp_relay, settings, include):
    settings.DIGITALPOST_FORWARD_TO_EMAIL = True
    letter = deliver_letter(cast, drain, cast.anna, "Afgørelse om boligstøtte", text="Du får 1.200 kr.")
    anna = signed_in(cast.anna)
    assert 'id="email-warning"' in anna.get(f"/post/{letter.pk}/forward/").content.decode()
    form = {"channel": "email", "email": "revisor@example.org"} | ({"include_documents": "on"} if include else {})
    assert anna.post(f"/post/{letter.pk}/forward/", form).status_code == 302
    assert drain(WorkKind.NOTIFY) == 1
    [(recipients, mail)] = smtp_relay.notices("forwarded")
    assert recipients == ["revisor@example.org"]
    assert "Anna Andersen" in mail["Subject"] or "Afgørelse" in mail["Subject"]
    text = mail.as_string()
    assert cast.anna.number not in text
    attachments = [part.get_filename() for part in mail.iter_attachments()]
    if include:
        assert attachments == ["brev.txt"]
        assert "E-mail er ikke sikker" in mail.get_body(("plain",)).get_content()
    else:
        assert attachments == []
        assert "Afgørelse om boligstøtte" not in text
        assert "1.200" not in text
        assert "Nordby Kommune" in mail.get_content()
    assert ForwardedMail.objects.get().sent_at is not None
    assert drain(WorkKind.NOTIFY) == 0  # sent once


def test_a_read_write_holder_forwards_on_behalf_and_a_read_only_holder_cannot(cast, drain):
    letter = deliver_letter(cast, drain, cast.anna, "Til Anna")
    today = timezone.localdate()
    for level in ("READ", "READ_WRITE"):
        power = grant_power(grantor=cast.anna, holder=cast.bodil, level=level, starts_on=today, ends_on=None,
                            actor=citizen_actor(cast.anna))
        holder = signed_in(cast.bodil)
        holder.post("/post/mailboxes/switch/", {"power": str(power.pk)})
        response = holder.post(f"/post/{letter.pk}/forward/", {"channel": "digital", "number": "33770006"})
        if level == "READ":
            assert response.status_code == 403
            assert b"attorney.read.only" in response.content
            assert _copies() == []
        else:
            assert response.status_code == 302
            [copy] = _copies()
            assert copy.written_by == "Bodil Bertelsen på vegne af Anna Andersen"
            assert copy.mailbox.owner == cast.dorte
