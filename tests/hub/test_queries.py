"""Prepared SELECTs and UPDATEs (hub.queries) give what the same QuerySet gives through the ORM, run after run."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.hub.queries import Param, PreparedIn, PreparedSelect, PreparedUpdate
from digitalpost.messages.models import Message, Thread
from digitalpost.systems.models import SenderSystem

pytestmark = pytest.mark.django_db

THREADS = PreparedSelect(Thread.objects.select_related("party__mailbox", "authority")
                         .filter(pk=Param("pk", Thread._meta.pk)))
FIRST_UUIDS = PreparedSelect(Message.objects.filter(thread_id=Param("thread", Thread._meta.pk))
                             .order_by("accepted_at").values_list("message_uuid", "accepted_at")[:1])
SYSTEMS_BY_NAME = PreparedSelect(SenderSystem.objects.select_related("authority")
                                 .filter(name=Param("name"), is_active=True).order_by("-is_standard", "created_at"))
TOUCH = PreparedUpdate(Thread.objects.filter(pk=Param("pk", Thread._meta.pk)),
                       last_activity_at=Param("at", Thread._meta.get_field("last_activity_at")))


def _threads(cast, count: int) -> list[Thread]:
    mailbox = create_mailbox(authority=cast.nordby.authority, name="Borgerservice")
    return [send_inquiry(party=party, mailbox=mailbox, inquiry=Inquiry(subject=f"Sag {i}", text="Hej")).thread
            for i, party in enumerate([cast.anna, cast.bent][:count])]


def test_prepared_select_gives_the_orms_instances_with_their_related_objects(cast):
    threads = _threads(cast, 2)
    for thread in threads:  # the second run uses the SQL compiled by the first
        found = THREADS.first(pk=thread.pk)
        orm = Thread.objects.select_related("party__mailbox", "authority").get(pk=thread.pk)
        assert found is not None
        assert {f.attname: getattr(found, f.attname) for f in Thread._meta.concrete_fields} == {
            f.attname: getattr(orm, f.attname) for f in Thread._meta.concrete_fields}
        with CaptureQueriesContext(connection) as queries:  # attached, not read again
            assert (found.party.mailbox, found.authority.cvr) == (orm.party.mailbox, orm.authority.cvr)
        assert len(queries) == 0
    assert THREADS.first(pk=threads[0].authority_mailbox_id) is None


def test_prepared_select_gives_the_orms_value_rows_with_converted_values(cast):
    for thread in _threads(cast, 2):
        orm = list(thread.messages.order_by("accepted_at").values_list("message_uuid", "accepted_at")[:1])
        assert FIRST_UUIDS.rows(thread=thread.pk) == orm
        assert FIRST_UUIDS.rows(thread=thread.pk)[0][1].tzinfo is not None
    with pytest.raises(TypeError):
        FIRST_UUIDS.objects(thread=thread.pk)


def test_prepared_select_keeps_order_and_filters_of_the_queryset(cast):
    name = cast.nordby.system.name
    assert SYSTEMS_BY_NAME.objects(name=name) == list(
        SenderSystem.objects.filter(name=name, is_active=True).order_by("-is_standard", "created_at"))
    assert SYSTEMS_BY_NAME.objects(name="no such system") == []


def test_prepared_update_changes_only_the_named_row(cast):
    threads = _threads(cast, 2)
    later = timezone.now() + timedelta(days=1)
    before = Thread.objects.get(pk=threads[1].pk).last_activity_at
    assert TOUCH.run(pk=threads[0].pk, at=later) == 1
    assert Thread.objects.get(pk=threads[0].pk).last_activity_at == later
    assert Thread.objects.get(pk=threads[1].pk).last_activity_at == before
    assert TOUCH.run(pk=threads[0].authority_mailbox_id, at=later) == 0


@pytest.mark.django_db(transaction=True)
def test_a_query_compiled_in_one_thread_runs_in_another_with_that_threads_connection(tx_cast):
    # The gateway's filing threads share one compiled query (decision 0018).
    [thread] = _threads(tx_cast, 1)
    expected = THREADS.first(pk=thread.pk)
    found: list[object] = []

    def run() -> None:
        try:
            found.append(THREADS.first(pk=thread.pk))
            found.append(FIRST_UUIDS.rows(thread=thread.pk))
        finally:
            connection.close()  # this thread's own connection

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert expected is not None
    assert isinstance(found[0], Thread)
    assert (found[0].pk, found[0].last_activity_at, found[0].party.mailbox) == (
        expected.pk, expected.last_activity_at, expected.party.mailbox)
    assert found[1] == FIRST_UUIDS.rows(thread=thread.pk)


THREADS_IN = PreparedIn(lambda pks: PreparedSelect(Thread.objects.select_related("authority").filter(pk__in=pks)
                                                   .order_by("subject")), pks=Thread._meta.pk)
SUBJECTS_IN = PreparedIn(lambda pks: PreparedSelect(Thread.objects.filter(pk__in=pks, subject=Param("subject"))
                                                    .values_list("subject")), pks=Thread._meta.pk)
LAST_ACTIVITY = Thread._meta.get_field("last_activity_at")
TOUCH_IN = PreparedIn(lambda pks: PreparedUpdate(Thread.objects.filter(pk__in=pks),
                                                 last_activity_at=Param("at", LAST_ACTIVITY)), pks=Thread._meta.pk)


def test_prepared_in_gives_what_the_orm_gives_for_lists_of_every_length(cast):
    threads = _threads(cast, 2)
    pks = [thread.pk for thread in threads]
    for chosen in ([pks[0]], pks, [str(pks[1]), pks[0]], [pks[0], pks[0]], pks):  # ids as text too, repeats
        orm = list(Thread.objects.select_related("authority").filter(pk__in=chosen).order_by("subject"))
        assert THREADS_IN.objects(pks=chosen) == orm
        assert [t.authority.cvr for t in THREADS_IN.objects(pks=chosen)] == [t.authority.cvr for t in orm]
    assert SUBJECTS_IN.rows(pks=pks, subject="Sag 1") == [("Sag 1",)]
    assert THREADS_IN.objects(pks=[]) == []  # as __in=[]: nothing, and no statement
    later = timezone.now() + timedelta(days=1)
    assert TOUCH_IN.run(pks=pks, at=later) == 2
    assert TOUCH_IN.run(pks=[threads[0].authority_mailbox_id], at=later) == 0
    assert set(Thread.objects.values_list("last_activity_at", flat=True)) == {later}


def test_prepared_in_compiles_once_per_length(cast):
    threads = _threads(cast, 2)
    built: list[int] = []
    counted = PreparedIn(lambda pks: built.append(len(pks)) or PreparedSelect(Thread.objects.filter(pk__in=pks)),
                         pks=Thread._meta.pk)
    for chosen in ([threads[0].pk], [threads[1].pk], [t.pk for t in threads], [threads[1].pk, threads[0].pk]):
        assert {t.pk for t in counted.objects(pks=chosen)} == set(chosen)
    assert built == [1, 2]
