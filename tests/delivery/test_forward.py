"""Picking the way out: every receiver kind has exactly one channel, chosen in one place (delivery.forward)."""

import pytest

from digitalpost.delivery.channels.base import ForwardPostponed
from digitalpost.delivery.channels.rest_pull import PULL_CHANNEL, RestPullChannel
from digitalpost.delivery.channels.rest_push import PUSH_CHANNEL, RestPushChannel
from digitalpost.delivery.channels.secure_address import SECURE_ADDRESS_CHANNEL, SecureAddressChannel
from digitalpost.delivery.forward import CHANNELS, channel_for
from digitalpost.systems.models import ReceiverSystem

EXPECTED = {
    ReceiverSystem.Kind.SECURE_ADDRESS: (SecureAddressChannel, SECURE_ADDRESS_CHANNEL, True),
    ReceiverSystem.Kind.REST_PUSH: (RestPushChannel, PUSH_CHANNEL, True),
    ReceiverSystem.Kind.REST_PULL: (RestPullChannel, PULL_CHANNEL, False),
}


def test_every_receiver_kind_has_a_channel():
    assert set(CHANNELS) == set(ReceiverSystem.Kind.values)


@pytest.mark.parametrize("kind", EXPECTED)
def test_each_kind_goes_through_its_own_channel_bound_to_the_receiver(kind):
    receiver = ReceiverSystem(kind=kind, name="Nordby ESDH")
    channel = channel_for(receiver)
    cls, name, sends_probes = EXPECTED[kind]
    assert type(channel) is cls
    assert (channel.name, channel.sends_probes, channel.receiver) == (name, sends_probes, receiver)


def test_a_kind_without_a_channel_postpones_instead_of_losing_the_inquiry():
    with pytest.raises(ForwardPostponed, match="not supported yet"):
        channel_for(ReceiverSystem(kind="FAX", name="Old"))
