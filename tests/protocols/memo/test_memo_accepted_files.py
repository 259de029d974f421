"""accepted_files reads the same files, roles and labels as parse + iter_files, for every sample and size."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digitalpost.protocols.memo import (
    AdditionalDocument,
    File,
    MemoRejected,
    MemoVersion,
    TechnicalDocument,
    accepted_files,
    build,
    files_of,
    parse,
    simple_message,
)
from digitalpost.protocols.memo.parse import TREE_BYTES
from helpers.memo_support import SAMPLES

MAX_BYTES = 10 * 1024 * 1024


def _ids(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", SAMPLES, ids=_ids)
def test_every_official_sample_gives_the_files_the_full_parse_gives(path: Path):
    data = path.read_bytes()
    assert accepted_files(data, max_bytes=MAX_BYTES) == files_of(parse(data, max_bytes=MAX_BYTES))


@pytest.mark.parametrize("version", list(MemoVersion))
@pytest.mark.parametrize("size", [2_000, TREE_BYTES * 2], ids=["small", "streamed"])
def test_documents_of_every_role_keep_their_order_labels_and_bytes(version, size):
    message = simple_message(
        sender_cvr="29190003", sender_label="Nordby Kommune", recipient_id="0101901234", label="Afgørelse",
        files=[("afgoerelse.pdf", "application/pdf", os.urandom(size))], created=datetime.now(UTC),
        version=version)
    assert message.body is not None
    body = dataclasses.replace(
        message.body,
        main_document=dataclasses.replace(message.body.main_document, label="Afgørelse"),
        additional_documents=(
            AdditionalDocument(label="Bilag & vejledning", files=(
                File(encoding_format="text/plain", filename="bilag.txt", language="da", content=b"Bilag 1"),
                File(encoding_format="text/html", filename="vejledning.html", language="en", content=b"<p>x</p>"))),
            AdditionalDocument(files=(
                File(encoding_format="application/pdf", filename="kort.pdf", language="da", content=b"%PDF-1.4"),))),
        technical_documents=(TechnicalDocument(label="Data", files=(
            File(encoding_format="application/xml", filename="data.xml", language="da", content=b"<d/>"),)),))
    data = build(dataclasses.replace(message, body=body))

    found = accepted_files(data, max_bytes=MAX_BYTES)

    assert found == files_of(parse(data, max_bytes=MAX_BYTES))
    assert [(f.role, f.label, f.file.filename) for f in found] == [
        ("main", "Afgørelse", "afgoerelse.pdf"), ("additional", "Bilag & vejledning", "bilag.txt"),
        ("additional", "Bilag & vejledning", "vejledning.html"), ("additional", "", "kort.pdf"),
        ("technical", "Data", "data.xml")]
    assert found[3].where == "/Message/MessageBody/AdditionalDocument[2]/File[1]"
    assert len(found[0].file.content) == size


def test_what_is_not_a_memo_is_refused_as_parse_refuses_it():
    with pytest.raises(MemoRejected):
        accepted_files(b"<Message xmlns='urn:other'/>", max_bytes=MAX_BYTES)
    with pytest.raises(MemoRejected):
        accepted_files(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x/>", max_bytes=MAX_BYTES)
