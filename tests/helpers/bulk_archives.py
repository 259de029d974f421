"""Building mass-send archives for tests: a tar of files, LZMA-compressed (the national mass-send format)."""

from __future__ import annotations

import io
import lzma
import tarfile
from collections.abc import Iterable

from digitalpost.protocols import memo


def tar_lzma(files: Iterable[tuple[str, bytes]], *, fmt: int = lzma.FORMAT_ALONE, preset: int = 1,
             directories: Iterable[str] = ()) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in directories:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return lzma.compress(raw.getvalue(), format=fmt, preset=preset)


def memo_files(messages: Iterable[memo.Message]) -> list[tuple[str, bytes]]:
    return [(f"{m.header.message_uuid}.xml", memo.build(m)) for m in messages]


def post_archive(sender, body: bytes, *, kombi: str | None = None, client=None):
    query = f"?kombi={kombi}" if kombi else ""
    return (client or sender.client()).post(f"/apis/v1/memos{query}", data=body, content_type="application/x-lzma")
