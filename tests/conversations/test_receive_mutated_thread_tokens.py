"""Property: a reply whose dialog-thread token was changed anywhere — a character replaced, dropped or added, in
every carrier — is never filed into any thread; it is refused with a thread code."""

from __future__ import annotations

import string

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from digitalpost.conversations.services.receive import receive_secure_mail
from digitalpost.core.errors import ErrorCode
from digitalpost.gateway.answers import smtp_answer
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.outbox.models import Job, WorkKind
from helpers.secure_mail import open_forwarded, protect, reply_entity

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings")]

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_."
THREAD_CODES = {ErrorCode.THREAD_INVALID, ErrorCode.THREAD_MISSING, ErrorCode.THREAD_NOT_YOURS}


@st.composite
def mutations(draw: st.DrawFn, token: str) -> str:
    kind = draw(st.sampled_from(["replace", "drop", "append", "insert"]))
    at = draw(st.integers(min_value=0, max_value=len(token) - 1))
    char = draw(st.sampled_from(TOKEN_ALPHABET))
    if kind == "replace":
        return token[:at] + char + token[at + 1:]
    if kind == "drop":
        return token[:at] + token[at + 1:]
    if kind == "append":
        return token + char
    return token[:at] + char + token[at:]


@pytest.fixture
def opened(nordby_secure, authority_mail_server, drain, securemail_pki):
    nordby_secure.inquiry()
    assert drain(WorkKind.FORWARD) == 1
    return open_forwarded(authority_mail_server.mails[0].data, address=securemail_pki.nordby_address,
                          at=timezone.now())


def test_reply_with_the_untouched_token_is_filed(opened, securemail_pki):
    entity, envelope = reply_entity(opened, text="Dit pas er klar.")

    outcome = receive_secure_mail(
        raw=protect(entity, envelope, signer=securemail_pki.nordby_sender, hub=securemail_pki.hub))

    assert outcome.code is None, outcome.detail
    assert outcome.message is not None
    assert smtp_answer(outcome).startswith("250 ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reply_with_a_mutated_token_in_every_carrier_is_never_filed(opened, securemail_pki, data):
    token = opened.token
    bad = data.draw(mutations(token), label="mutated token")
    assume(bad != token)
    assert token.encode() in opened.thread_file
    entity, envelope = reply_entity(opened, text="Dit pas er klar.", token=bad,
                                    thread_file=opened.thread_file.replace(token.encode(), bad.encode()))
    refusals_before = RefusedReply.objects.count()

    outcome = receive_secure_mail(
        raw=protect(entity, envelope, signer=securemail_pki.nordby_sender, hub=securemail_pki.hub),
        envelope_from="borgerservice@nordby.localhost")

    assert outcome.message is None
    assert outcome.code in THREAD_CODES, (outcome.code, outcome.detail)
    assert smtp_answer(outcome).startswith("554")
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()
    assert not Job.objects.filter(kind=WorkKind.DELIVER).exists()
    assert RefusedReply.objects.count() == refusals_before + 1
