"""MAIL FROM and RCPT TO arguments in the plain form every mail server sends are read without the email package's
RFC 5322 parser, with the same answer aiosmtpd's parser gives; anything else still goes to that parser."""

import asyncio
from collections.abc import Iterator

import pytest
from aiosmtpd import smtp as aiosmtpd_smtp
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalpost.gateway.server import GatewayHandler, GatewaySMTP, SessionCount

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
atom = st.text(alphabet=ATEXT, min_size=1, max_size=8)
label = st.text(alphabet="abcXYZ019-", min_size=1, max_size=8)
local_part = st.lists(atom, min_size=1, max_size=3).map(".".join)
domain = st.lists(label, min_size=1, max_size=3).map(".".join)
param = st.sampled_from(["SIZE=1234", "BODY=8BITMIME", "SMTPUTF8", "NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;a@b.dk"])
params = st.lists(param, max_size=3).map(" ".join)
# A few characters that leave the plain form (comments, quotes, brackets, spaces, dots in odd places, non-ASCII).
noise = st.text(alphabet=' .()<>"[]@\t\\,;:æ', max_size=3)


@pytest.fixture(scope="module")
def session() -> Iterator[GatewaySMTP]:
    loop = asyncio.new_event_loop()
    try:
        yield GatewaySMTP(GatewayHandler(), data_size_limit=1024, sessions=SessionCount(1), session_seconds=60,
                          loop=loop)
    finally:
        loop.close()


def aiosmtpd_answer(session: GatewaySMTP, arg: str) -> tuple[str | None, str | None]:
    return SMTP._getaddr(session, arg)  # type: ignore[no-any-return]


@settings(max_examples=300, deadline=None)
@given(local=local_part, host=domain, rest=params, gap=st.sampled_from([" ", "  ", "\t"]))
def test_plain_addresses_read_as_aiosmtpd_reads_them(session: GatewaySMTP, local: str, host: str, rest: str,
                                                      gap: str) -> None:
    arg = f"<{local}@{host}>" + (gap + rest if rest else "")
    assert session._getaddr(arg) == aiosmtpd_answer(session, arg)


@settings(max_examples=300, deadline=None)
@given(local=local_part, host=domain, rest=params, before=noise, inside=noise, after=noise)
def test_anything_else_gets_aiosmtpd_answer(session: GatewaySMTP, local: str, host: str, rest: str, before: str,
                                            inside: str, after: str) -> None:
    arg = f"{before}<{local}{inside}@{host}>{after}{rest}".strip()
    assert session._getaddr(arg) == aiosmtpd_answer(session, arg)


def test_plain_addresses_skip_the_rfc5322_parser(session: GatewaySMTP, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: str) -> None:
        raise AssertionError(f"parsed {value!r} with the email package")

    monkeypatch.setattr(aiosmtpd_smtp, "get_angle_addr", refuse)
    monkeypatch.setattr(aiosmtpd_smtp, "get_addr_spec", refuse)
    assert session._getaddr("<post@nordby.dk> SIZE=5120 BODY=8BITMIME") == ("post@nordby.dk", "SIZE=5120 BODY=8BITMIME")
    assert session._getaddr("<svar.post+1@digitalpost.dk>") == ("svar.post+1@digitalpost.dk", "")


def test_a_local_part_over_the_limit_is_malformed_either_way(session: GatewaySMTP,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "local_part_limit", 4)
    assert session._getaddr("<toolong@nordby.dk>") == (None, None) == aiosmtpd_answer(session, "<toolong@nordby.dk>")
    assert session._getaddr("<post@nordby.dk>") == ("post@nordby.dk", "")
