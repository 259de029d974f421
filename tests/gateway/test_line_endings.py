"""Bare-LF mail is made into the CRLF mail it should have been, dot-stuffing undone (RFC 5321 §4.5.2)."""

from digitalpost.gateway.lines import has_bare_lf, normalize_line_endings


def test_crlf_mail_is_returned_unchanged():
    mail = b"Subject: x\r\n\r\n..stuffed by the client, unstuffed by aiosmtpd already\r\n"
    assert normalize_line_endings(mail) is mail
    assert not has_bare_lf(mail)


def test_bare_lf_lines_become_crlf():
    assert normalize_line_endings(b"Subject: x\n\nbody\nmore\n") == b"Subject: x\r\n\r\nbody\r\nmore\r\n"


def test_dot_stuffing_after_a_bare_lf_is_undone_once():
    assert normalize_line_endings(b"a\n..b\n...\n") == b"a\r\n.b\r\n..\r\n"


def test_mixed_endings_keep_existing_crlf_and_fix_the_rest():
    assert normalize_line_endings(b"a\r\nb\nc\r\n") == b"a\r\nb\r\nc\r\n"


def test_a_bare_lf_is_found_wherever_it_is():
    assert not has_bare_lf(b"")
    assert not has_bare_lf(b"a\r\r\nb\r\n")
    for mail in (b"\n", b"a\n", b"\na\r\n", b"a\r\n\nb\r\n", b"a\r\nb\n", b"\r\r\n\n"):
        assert has_bare_lf(mail), mail
