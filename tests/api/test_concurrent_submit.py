"""Identical submissions racing each other create one message and the same receipt."""

import threading

from django.db import connection

from digitalpost.messages.models import Message
from digitalpost.protocols import memo


def test_concurrent_identical_submissions_create_one_message(tx_cast):
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
