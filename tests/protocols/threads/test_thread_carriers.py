"""Thread carriers: the dkaldialogtraad.xml attachment, the header, the subject tag, and choosing between them."""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import Header
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.threads import (
    THREAD_FILE_NAMESPACE,
    Carrier,
    Keyring,
    ReplyRule,
    ThreadCarriers,
    ThreadRef,
    ThreadTokenError,
    encode,
    find_all_in_subject,
    find_in_subject,
    find_token,
    read_header,
    read_thread_file,
    render_thread_file,
    resolve_thread,
    tag_subject,
    untag_subject,
)

NORDBY, SYDBY = "29189846", "29189854"
RING = Keyring.single("k1", b"s" * 32)
ISSUED = datetime(2024, 5, 3, 9, 0, tzinfo=UTC)
REF = ThreadRef(UUID(int=11), NORDBY, UUID(int=12))
OTHER_REF = ThreadRef(UUID(int=21), NORDBY, UUID(int=12))
SYDBY_REF = ThreadRef(UUID(int=31), SYDBY, UUID(int=32))
TOKEN = encode(REF, keyring=RING, issued_at=ISSUED)
OTHER = encode(OTHER_REF, keyring=RING, issued_at=ISSUED)
SYDBY_TOKEN = encode(SYDBY_REF, keyring=RING, issued_at=ISSUED)
BROKEN = TOKEN[:-3] + "AAA"


def _resolve(**carriers):
    return resolve_thread(ThreadCarriers(**carriers), keyring=RING, expected_authority_cvr=NORDBY)


# --- the attachment ---

def test_thread_file_round_trips_and_is_readable_by_people():
    data = render_thread_file(REF, TOKEN)
    assert read_thread_file(data) == TOKEN
    text = data.decode("utf-8")
    assert THREAD_FILE_NAMESPACE in text
    assert "Må under ingen omstændigheder slettes" in text
    assert "Never delete" in text
    assert str(REF.thread_id) in text
    assert NORDBY in text
    assert str(REF.mailbox_id) in text


def test_thread_file_tolerates_reindenting_but_not_a_missing_token():
    data = render_thread_file(REF, TOKEN).replace(b"<Token>", b"<Token>\n   ").replace(b"</Token>", b"\n</Token>")
    assert read_thread_file(data) == TOKEN
    without = render_thread_file(REF, TOKEN).replace(TOKEN.encode(), b"")
    with pytest.raises(ThreadTokenError) as raised:
        read_thread_file(without)
    assert raised.value.code is ErrorCode.THREAD_INVALID


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<DialogThread xmlns="urn:digitalpost:dialogtraad:1"><Token>&x;</Token></DialogThread>"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]>
<DialogThread xmlns="urn:digitalpost:dialogtraad:1"><Token>&c;</Token></DialogThread>"""


@pytest.mark.parametrize("data", [
    XXE, BOMB, XXE.decode().encode("utf-16"), b"", b"not xml", b"<DialogThread/>",
    b"<x:DialogThread xmlns:x='urn:other'><x:Token>" + TOKEN.encode() + b"</x:Token></x:DialogThread>",
    b"<DialogThread xmlns='urn:digitalpost:dialogtraad:1'>" + b"<a>" * 10000 + b"</DialogThread>",
    render_thread_file(REF, TOKEN).replace(b"</DialogThread>", b"<Token>%s</Token></DialogThread>" % TOKEN.encode()),
])
def test_hostile_or_broken_thread_files_are_refused_as_invalid(data):
    with pytest.raises(ThreadTokenError) as raised:
        read_thread_file(data)
    assert raised.value.code is ErrorCode.THREAD_INVALID


# --- the header ---

def test_header_value_is_unfolded():
    assert read_header(f"\r\n {TOKEN[:40]}\r\n {TOKEN[40:]}  ") == TOKEN
    assert read_header("  ") is None
    assert read_header(None) is None


# --- the subject tag ---

def test_tag_subject_adds_exactly_one_tag_and_untag_removes_it():
    tagged = tag_subject("Borgerservice: Ansøgning om parkeringstilladelse", TOKEN)
    assert tagged == f"Borgerservice: Ansøgning om parkeringstilladelse [DP:{TOKEN}]"
    assert tag_subject(tagged, OTHER).count("[DP:") == 1
    assert untag_subject(tagged) == "Borgerservice: Ansøgning om parkeringstilladelse"
    assert tag_subject("", TOKEN) == f"[DP:{TOKEN}]"


@pytest.mark.parametrize("mangle", [
    lambda s: "SV: Re: " + s,
    lambda s: "AW: Fwd: SV: " + s,
    lambda s: "RE: " + s.replace(" [DP:", "\r\n [DP:"),
    lambda s: s.replace(TOKEN, TOKEN[:50] + "\r\n " + TOKEN[50:]),  # folded inside the token
    lambda s: s.replace("[DP:", "[ dp: "),
    lambda s: "[DP:" + TOKEN + "] SV: " + untag_subject(s),  # the tag moved to the front
    lambda s: "SV: " + s + " (sag 2024-17)",
    lambda s: Header("SV: " + s, "utf-8").encode(),  # RFC 2047 encoded-words, as in a raw header
])
def test_subject_tag_survives_what_mail_programs_do_to_subjects(mangle):
    subject = tag_subject("Borgerservice / Parkering: Ærø-tilladelse", TOKEN)
    assert find_in_subject(mangle(subject)) == TOKEN


@given(prefix=st.lists(st.sampled_from(["Re:", "SV:", "AW:", "Fwd:", "VS:", "RE :"]), max_size=5),
       words=st.text(st.characters(blacklist_characters="[]", blacklist_categories=("Cs", "Cc")), max_size=60))
def test_subject_tag_is_found_behind_any_reply_prefixes(prefix, words):
    subject = " ".join([*prefix, tag_subject(words, TOKEN)])
    assert find_in_subject(subject) == TOKEN


def test_subject_without_tag_has_no_token_and_all_tags_are_reported():
    assert find_in_subject("SV: Ansøgning") is None
    assert find_in_subject(None) is None
    assert find_all_in_subject(f"[DP:{TOKEN}] og [DP:{OTHER}]") == [TOKEN, OTHER]


# --- choosing between carriers ---

def test_find_token_prefers_attachment_then_header_then_subject():
    assert find_token(ThreadCarriers(attachment=TOKEN, header=OTHER, subject=OTHER)).source is Carrier.ATTACHMENT
    found = find_token(ThreadCarriers(header=TOKEN, subject=OTHER))
    assert (found.token, found.source, found.disagree) == (TOKEN, Carrier.HEADER, True)
    assert found.found == ((Carrier.HEADER, TOKEN), (Carrier.SUBJECT, OTHER))
    assert find_token(ThreadCarriers(subject=TOKEN)).source is Carrier.SUBJECT
    assert find_token(ThreadCarriers()).token is None


@pytest.mark.parametrize("carriers", [
    {"attachment": TOKEN}, {"header": TOKEN}, {"subject": TOKEN},
    {"attachment": TOKEN, "header": TOKEN, "subject": TOKEN},
])
def test_a_reply_with_any_one_carrier_left_still_routes(carriers):
    resolved = _resolve(**carriers)
    assert resolved.ref == REF
    assert (resolved.conflicts, resolved.rejected) == ((), ())


def test_a_reply_without_carriers_is_thread_missing():
    with pytest.raises(ThreadTokenError) as raised:
        _resolve()
    assert raised.value.code is ErrorCode.THREAD_MISSING


def test_attachment_wins_and_a_valid_token_of_another_thread_is_reported_as_conflict():
    resolved = _resolve(attachment=TOKEN, header=OTHER, subject=TOKEN)
    assert resolved.ref == REF
    assert resolved.source is Carrier.ATTACHMENT
    assert resolved.conflicts == ((Carrier.HEADER, OTHER_REF),)


def test_a_damaged_carrier_is_reported_but_a_good_one_still_routes():
    resolved = _resolve(attachment=BROKEN, subject=TOKEN)
    assert resolved.source is Carrier.SUBJECT
    assert resolved.rejected == ((Carrier.ATTACHMENT, ErrorCode.THREAD_INVALID),)
    resolved = resolve_thread(ThreadCarriers(header=TOKEN, unreadable=frozenset({Carrier.ATTACHMENT})),
                              keyring=RING, expected_authority_cvr=NORDBY)
    assert resolved.rejected == ((Carrier.ATTACHMENT, ErrorCode.THREAD_INVALID),)


@pytest.mark.parametrize(("carriers", "code"), [
    ({"attachment": BROKEN, "subject": BROKEN}, ErrorCode.THREAD_INVALID),
    ({"unreadable": frozenset({Carrier.ATTACHMENT})}, ErrorCode.THREAD_INVALID),
    ({"header": SYDBY_TOKEN}, ErrorCode.THREAD_NOT_YOURS),
    ({"attachment": SYDBY_TOKEN, "subject": BROKEN}, ErrorCode.THREAD_NOT_YOURS),
])
def test_when_nothing_verifies_the_most_trusted_carriers_error_is_raised(carriers, code):
    with pytest.raises(ThreadTokenError) as raised:
        _resolve(**carriers)
    assert raised.value.code is code


def test_another_authoritys_token_beside_ours_is_reported_not_followed():
    resolved = _resolve(attachment=SYDBY_TOKEN, header=TOKEN)
    assert resolved.ref == REF
    assert resolved.rejected == ((Carrier.ATTACHMENT, ErrorCode.THREAD_NOT_YOURS),)


@given(thread=st.uuids(), mailbox=st.uuids(), cvr=st.from_regex(r"\A[0-9]{8}\Z"), rule=st.sampled_from(ReplyRule))
def test_thread_file_is_written_byte_for_byte_as_lxmls_indented_tree(thread, mailbox, cvr, rule):
    ref = ThreadRef(thread, cvr, mailbox, rule)
    root = etree.Element(f"{{{THREAD_FILE_NAMESPACE}}}DialogThread", nsmap={None: THREAD_FILE_NAMESPACE})
    root.set("version", "1")
    for name, value in (("Token", TOKEN), ("ThreadId", str(thread)), ("AuthorityCVR", cvr),
                        ("MailboxId", str(mailbox)), ("ReplyRule", str(rule))):
        etree.SubElement(root, f"{{{THREAD_FILE_NAMESPACE}}}{name}").text = value
    etree.indent(root, space="  ")
    written = render_thread_file(ref, TOKEN).decode()
    assert written.split("-->\n", 1)[1] == etree.tostring(root, encoding="unicode") + "\n"
    assert written.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!--')
