"""Large MeMos per sender system: while as many as the hub takes at once are being received (their slots held, as
another web process would hold them), one more is answered 429 submissions.too.many with Retry-After; small MeMos
and other sender systems are not held up, and a freed slot is taken again."""

from contextlib import ExitStack

from digitalpost.hub.slots import slot
from digitalpost.messages.models import Message


def _hold_all(stack: ExitStack, settings, system_pk: int) -> None:
    for _ in range(settings.DIGITALPOST_LARGE_MEMOS_PER_SENDER):
        assert stack.enter_context(slot(settings.VAR_DIR / "slots", f"large-memo-{system_pk}",
                                        settings.DIGITALPOST_LARGE_MEMOS_PER_SENDER))


def test_one_large_memo_too_many_is_answered_429_and_nothing_is_stored(cast, settings):
    settings.DIGITALPOST_LARGE_MEMO_BYTES = 1000
    large = cast.nordby.memo(cast.anna, label="Stor")
    with ExitStack() as busy:
        _hold_all(busy, settings, cast.nordby.system.pk)
        refused = cast.nordby.submit(large)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "10"
        assert refused.json()["errorCode"] == "submissions.too.many"
        assert not Message.objects.exists()
        settings.DIGITALPOST_LARGE_MEMO_BYTES = 10**9  # the same MeMo, now below the "large" line
        assert cast.nordby.submit(cast.nordby.memo(cast.anna)).status_code == 201
        settings.DIGITALPOST_LARGE_MEMO_BYTES = 1000
    assert cast.nordby.submit(large).status_code == 201


def test_another_sender_systems_large_memos_are_not_held_up(cast, settings):
    settings.DIGITALPOST_LARGE_MEMO_BYTES = 1000
    with ExitStack() as busy:
        _hold_all(busy, settings, cast.nordby.system.pk)
        assert cast.sydby.submit(cast.sydby.memo(cast.anna)).status_code == 201


def test_a_memo_larger_than_the_form_limit_is_accepted(cast, settings):
    # Forms are capped by DATA_UPLOAD_MAX_MEMORY_SIZE; the MeMo API has its own, larger cap.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = cast.nordby.submit(cast.nordby.memo(cast.anna))
    assert response.status_code == 201, response.content
