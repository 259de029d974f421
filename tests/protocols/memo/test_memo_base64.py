"""base64Binary content: only the canonical form is valid (the unused bits of a padded last group are zero), and
whitespace between groups is allowed (XSD's collapse)."""

import pytest

from digitalpost.protocols.memo import values


@pytest.mark.parametrize(("text", "data"), [("", b""), ("QQ==", b"A"), ("QUI=", b"AB"), ("QUJD", b"ABC"),
                                            ("QUJD\n  QUJD\r\nQQ==", b"ABCABCA")])
def test_canonical_base64_is_read(text, data):
    assert values._read_base64(text) == data


@pytest.mark.parametrize("text", ["QR==", "QUJ=", "QUJDQR==", "QUJ", "QU=D", "Q!=="])
def test_stray_bits_and_broken_groups_are_refused(text):
    with pytest.raises(values.BadValue):
        values._read_base64(text)
