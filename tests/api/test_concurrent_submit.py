"""Identical submissions racing each other create one message and the same receipt."""

import threading

import pytest
from django.db import connection

from digitalpost.messages.models import Message
from digitalpost.protocols import memo


@pytest.fixture(params=[False, True], ids=["own-commits", "group-commit"])
def group_commit(request, settings):
    settings.DIGITALPOST_GROUP_COMMIT = request.param
    return request.param


def test_concurrent_identical_submissions_create_one_message(tx_cast, group_commit):
    letter = tx_cast.nordby.memo(tx_cast.anna)
    body = memo.build(letter)
    barrier = threading.Barrier(4)
    results: list[tuple[int, str]] = []

    def send() -> None:
        try:
            barrier.wait()
            response = tx_cast.nordby.submit(body, message_uuid=letter.header.message_uuid)
            results.append((response.status_code, response.json()["transmissionId"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Message.objects.count() == 1
    assert sorted(code for code, _ in results) in ([200, 200, 200, 201],)
    assert len({transmission for _, transmission in results}) == 1


def test_concurrent_different_submissions_are_all_accepted_and_durable(tx_cast, group_commit):
    letters = [tx_cast.nordby.memo(tx_cast.anna, label=f"Brev {n}") for n in range(12)]
    barrier = threading.Barrier(len(letters))
    statuses: list[int] = []

    def send(letter) -> None:
        try:
            barrier.wait()
            statuses.append(tx_cast.nordby.submit(letter).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(letter,)) for letter in letters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * len(letters)
    assert sorted(Message.objects.values_list("label", flat=True)) == sorted(f"Brev {n}" for n in range(12))
    assert Message.objects.filter(events__kind="MESSAGE_RECEIVED").count() == len(letters)
