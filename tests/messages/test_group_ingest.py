"""A group of MeMos accepted together (a mass send's group) writes what accepting each on its own writes — the
message, its hash-chained events, receipt, delivery job and pushes — and each item keeps its own outcome."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from digitalpost.core.kombi import Kombi
from digitalpost.messages.models import Event, EventPush, Message, Receipt
from digitalpost.messages.services.events import verify_timeline
from digitalpost.messages.services.group_ingest import Submission, accept_memos
from digitalpost.messages.services.ingest import Acceptance, MemoRefused, accept_memo
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import memo
from digitalpost.systems.models import SenderPushEndpoint
from helpers.bulk_archives import memo_files, post_archive, tar_lzma
from helpers.kombipost import a4_pdf

MESSAGE_FIELDS = ("mailbox_id", "sender_label", "label", "message_type", "is_mandatory", "is_legal_notification",
                  "is_to_authority_as_company", "do_not_deliver_until", "memo_size", "state", "channel",
                  "answer_mailbox_id", "answer_by", "actions", "has_undated_action", "sender_system_id")


def letters(cast) -> list[memo.Message]:
    """One of each kind: plain, postponed, answerable, to a company, to an exempt citizen (print), with actions."""
    later = timezone.localdate() + timedelta(days=3)
    letter = [("brev.pdf", "application/pdf", a4_pdf())]
    return [
        cast.nordby.memo(cast.anna, label="Plain"),
        cast.nordby.memo(cast.anna, label="Later", do_not_deliver_until_date=later),
        cast.nordby.memo(cast.anna, label="Answer me", reply=True),
        cast.nordby.memo(cast.dorte, label="To a company"),
        cast.nordby.memo(cast.bent, label="On paper", files=letter),
    ]


def shape(message: Message) -> dict:
    """What must be the same whichever way the message was accepted (ids, uuids and times aside)."""
    events = list(Event.objects.filter(message=message).order_by("seq"))
    job = Job.objects.get(payload__message=str(message.pk))
    return {
        "message": {name: getattr(message, name) for name in MESSAGE_FIELDS},
        "pending": message.pending_memo is not None and len(message.pending_memo) == message.memo_size,
        "document_parts": message.document_parts,  # where delivery finds the files without parsing again
        "events": [(e.seq, e.kind, sorted(e.data)) for e in events],
        "chain": verify_timeline(message),
        "receipts": list(Receipt.objects.filter(message=message).values_list("status", "sender_system_id")),
        "job": (job.kind, job.key.split(":")[0], job.max_attempts, job.run_after > timezone.now(), job.lane),
        "pushes": sorted(EventPush.objects.filter(event__message=message).values_list("endpoint_id", "event__kind")),
    }


def test_a_group_writes_for_each_item_what_accepting_it_alone_writes(cast):
    SenderPushEndpoint.objects.create(sender_system=cast.nordby.system, url="https://esdh.nordby.example/all")
    alone = [accept_memo(system=cast.nordby.system, body=memo.build(m), kombi=Kombi.AUTOMATIC,
                         deliver_kind=WorkKind.DELIVER_BULK, received={"massSend": "m", "massSendItem": "1"})
             for m in letters(cast)]
    together = accept_memos(system=cast.nordby.system, kombi=Kombi.AUTOMATIC, submissions=[
        Submission(memo.build(m), {"massSend": "m", "massSendItem": "1"}) for m in letters(cast)])

    assert all(isinstance(outcome, Acceptance) and not outcome.replayed for outcome in together)
    assert all(Message.objects.get(pk=outcome.message.pk).document_parts for outcome in together
               if isinstance(outcome, Acceptance))
    for one, grouped in zip(alone, together, strict=True):
        assert isinstance(grouped, Acceptance)
        assert shape(Message.objects.get(pk=grouped.message.pk)) == shape(Message.objects.get(pk=one.message.pk))
        assert grouped.receipt.pk == Receipt.objects.get(message=grouped.message, status="RECEIVED").pk
    kinds = dict(Message.objects.filter(pk__in=[a.message.pk for a in together if isinstance(a, Acceptance)])
                 .values_list("label", "channel"))
    assert kinds["On paper"] == "PRINT"
    # The endpoint's pushes are numbered in the order of the events, as they were written.
    pushes = list(EventPush.objects.order_by("id").values_list("event_id", flat=True))
    assert pushes == sorted(pushes)


def test_each_item_keeps_its_own_refusal_and_replay_and_the_rest_is_accepted(cast):
    system = cast.nordby.system
    earlier = cast.nordby.memo(cast.anna, label="Sent before")
    accept_memo(system=system, body=memo.build(earlier))
    changed = memo.build(cast.nordby.memo(cast.anna, label="Changed", message_uuid=earlier.header.message_uuid))
    twice = memo.build(cast.nordby.memo(cast.anna, label="Twice"))
    twice_other = memo.build(cast.nordby.memo(cast.anna, label="Twice, other bytes",
                                              message_uuid=memo.parse(twice, max_bytes=10**6).header.message_uuid))
    bodies = [
        memo.build(earlier),  # replay of an earlier acceptance
        changed,  # the same messageUUID with other bytes
        b"<Message>not a MeMo",
        memo.build(cast.nordby.memo(cast.carl)),  # closed
        memo.build(cast.nordby.memo(cast.anna, sender_cvr=cast.sydby.authority.cvr)),
        twice, twice,  # twice in the group: the second is a replay of the first
        twice_other,  # and a third copy with other bytes conflicts
        memo.build(cast.nordby.memo(cast.anna, label="Fine")),
    ]
    outcomes = accept_memos(system=system, submissions=[Submission(body) for body in bodies])

    def code(outcome):
        return str(outcome.code) if isinstance(outcome, MemoRefused) else ("replay" if outcome.replayed else "new")

    assert [code(o) for o in outcomes] == ["replay", "memo.uuid.conflict", "memo.invalid", "recipient.is.closed",
                                           "sender.not.allowed", "new", "replay", "memo.uuid.conflict", "new"]
    assert outcomes[6].message.pk == outcomes[5].message.pk
    assert Message.objects.count() == 3
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK).count() == 2


@pytest.fixture
def group_insert_fails(transactional_db):
    """The group's multi-row INSERT of messages is refused by the database (as a concurrent submission of one of
    its messageUUIDs would have it), once."""
    table = f'INSERT INTO "{Message._meta.db_table}"'
    refused = []

    def refuse(execute, sql, params, many, context):
        many_rows = "), (" in sql or "UNNEST(" in sql  # a VALUES list, or one array per column (PostgreSQL)
        if sql.startswith(table) and many_rows and not refused:
            refused.append(sql)
            raise IntegrityError("UNIQUE constraint failed (injected)")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield refused


def test_a_group_that_cannot_be_written_together_leaves_nothing_and_its_items_go_one_by_one(tx_cast,
                                                                                          group_insert_fails):
    files = memo_files([tx_cast.nordby.memo(tx_cast.anna, label=f"Brev {i}") for i in range(4)])
    body = post_archive(tx_cast.nordby, tar_lzma([*files, ("broken.xml", b"<nope/>")])).json()
    assert group_insert_fails
    assert (body["accepted"], body["refused"]) == (4, 1)
    assert Message.objects.count() == 4
    assert Event.objects.filter(kind="MESSAGE_RECEIVED").count() == 4
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK).count() == 4
    assert all(verify_timeline(message) is None for message in Message.objects.all())


def test_a_groups_messages_get_ids_in_time_order(cast):
    """Version 7 ids (decision 0026): a group's rows go to the last pages of the id indexes, not a page each."""
    first = accept_memos(system=cast.nordby.system, submissions=[Submission(memo.build(m)) for m in letters(cast)[:2]])
    time.sleep(0.002)  # the next group's ids are made in a later millisecond
    second = accept_memos(system=cast.nordby.system, submissions=[Submission(memo.build(m)) for m in letters(cast)[2:]])
    messages = [Message.objects.get(pk=outcome.message.pk) for outcome in first + second
                if isinstance(outcome, Acceptance)]

    assert len(messages) == 5
    assert {(m.pk.version, m.transmission_id.version) for m in messages} == {(7, 7)}
    assert max(m.pk for m in messages[:2]) < min(m.pk for m in messages[2:])


class _Planned(Exception):
    """Raised by the stand-in for commit_merged: the acceptance's rows were planned, not written."""


def test_single_acceptances_written_together_in_a_batch_are_what_each_writes_on_its_own(cast, monkeypatch):
    # Under group commit, single submissions hand their planned rows to the committer, which writes a batch's
    # together (decision 0024); an acceptance with on_recorded writes its own rows (ingest._record). Same rows.
    from digitalpost.messages.services import ingest

    SenderPushEndpoint.objects.create(sender_system=cast.nordby.system, url="https://esdh.nordby.example/all")
    own = [accept_memo(system=cast.nordby.system, body=memo.build(m), kombi=Kombi.AUTOMATIC,
                       on_recorded=lambda _acceptance: None) for m in letters(cast)]
    queued = []

    def plan_only(write_many, payload):
        queued.append((write_many, payload))
        raise _Planned

    monkeypatch.setattr(ingest, "commit_merged", plan_only)
    for m in letters(cast):
        with pytest.raises(_Planned):
            accept_memo(system=cast.nordby.system, body=memo.build(m), kombi=Kombi.AUTOMATIC)
    write_many = queued[0][0]
    assert all(queued_write is write_many for queued_write, _ in queued)
    with CaptureQueriesContext(connection) as writes:
        together = write_many([payload for _, payload in queued])

    inserts = [q["sql"] for q in writes.captured_queries if q["sql"].startswith("INSERT")]
    assert len([sql for sql in inserts if sql.startswith(f'INSERT INTO "{Message._meta.db_table}"')]) == 1
    for alone, grouped in zip(own, together, strict=True):
        assert shape(Message.objects.get(pk=grouped.message.pk)) == shape(Message.objects.get(pk=alone.message.pk))
        assert grouped.receipt.pk == Receipt.objects.get(message=grouped.message, status="RECEIVED").pk
    pushes = list(EventPush.objects.order_by("id").values_list("event_id", flat=True))
    assert pushes == sorted(pushes)
