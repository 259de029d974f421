import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import PartyKind
from digitalpost.core.policy import POLICY, check_may_write


def test_every_pair_of_party_kinds_has_a_rule():
    assert {(s, r) for s in PartyKind for r in PartyKind} == set(POLICY)


@pytest.mark.parametrize("recipient", [PartyKind.CITIZEN, PartyKind.COMPANY])
def test_authority_may_write_to_citizens_and_companies_unmarked(recipient):
    rule = check_may_write(PartyKind.AUTHORITY, recipient)
    assert rule.allowed
    assert not rule.marked


def test_authority_to_authority_is_allowed_but_marked():
    assert check_may_write(PartyKind.AUTHORITY, PartyKind.AUTHORITY).marked


@pytest.mark.parametrize("sender", [PartyKind.CITIZEN, PartyKind.COMPANY])
@pytest.mark.parametrize("recipient", [PartyKind.CITIZEN, PartyKind.COMPANY])
def test_citizens_and_companies_may_not_write_to_each_other(sender, recipient):
    with pytest.raises(DigitalPostError) as caught:
        check_may_write(sender, recipient)
    assert caught.value.code == ErrorCode.POLICY_NOT_ALLOWED
    assert "rule" in caught.value.detail
