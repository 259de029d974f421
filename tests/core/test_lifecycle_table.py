"""The lifecycle table: an accepted message ends once — delivered, failed or recalled — and then stays."""

import pytest

from digitalpost.core.lifecycle import MessageState, may_become

ENDINGS = [MessageState.DELIVERED, MessageState.FAILED, MessageState.RECALLED]


@pytest.mark.parametrize("ending", ENDINGS)
def test_an_accepted_message_may_end_each_way(ending):
    assert may_become(MessageState.ACCEPTED, ending)


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("target", [*ENDINGS, MessageState.ACCEPTED])
def test_an_ended_message_never_changes_again(ending, target):
    assert not may_become(ending, target)


def test_an_accepted_message_cannot_become_accepted_again():
    assert not may_become("ACCEPTED", "ACCEPTED")


def test_an_unknown_state_is_an_error_not_a_silent_no():
    with pytest.raises(ValueError, match="LOST"):
        may_become("ACCEPTED", "LOST")
