"""Streaming reader of LZMA (.lzma or .xz) compressed tar archives: bounded memory whatever the archive size."""

from __future__ import annotations

import lzma
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

DEFAULT_CHUNK = 64 * 1024

Read = Callable[[int], bytes]


class ArchiveDamaged(Exception):
    """The archive cannot be read on: `after` members were read completely before the damage."""

    def __init__(self, detail: str, *, after: int) -> None:
        super().__init__(f"{detail} (after {after} complete items)")
        self.detail = detail
        self.after = after


@dataclass(frozen=True)
class Member:
    position: int  # 1-based, counting regular files only, in archive order
    name: str
    size: int
    data: bytes | None  # None: larger than the limit, skipped without reading it into memory


class LzmaStream:
    """A file-like `read(n)` over `read`, decompressing LZMA (FORMAT_AUTO: .xz or legacy .lzma) incrementally.

    Never returns more than asked for and never pulls more than one `chunk` of compressed input ahead.
    Raises `lzma.LZMAError` on corrupt data and `EOFError` when the input ends inside the compressed stream.
    """

    def __init__(self, read: Read, *, chunk: int = DEFAULT_CHUNK) -> None:
        self._read = read
        self._chunk = chunk
        self._decompressor = lzma.LZMADecompressor()
        self.compressed_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise ValueError("LzmaStream.read needs a size: the archive is never read whole")
        out = bytearray()
        while len(out) < size and not self._decompressor.eof:
            data = b""
            if self._decompressor.needs_input:
                data = self._read(self._chunk)
                if not data:
                    raise EOFError("the compressed stream ends early")
                self.compressed_bytes += len(data)
            out += self._decompressor.decompress(data, max_length=size - len(out))
        return bytes(out)

    def finish(self) -> None:
        """Read to the end of the compressed stream (the tar's padding): a stream cut short is damage too."""
        while self.read(DEFAULT_CHUNK):
            pass


def iter_members(read: Read, *, max_item_bytes: int, chunk: int = DEFAULT_CHUNK) -> Iterator[Member]:
    """Each regular file of the archive in order; directories and links are passed over."""
    stream = LzmaStream(read, chunk=chunk)
    done = 0  # members yielded: all of them were read completely
    try:
        tar = tarfile.open(fileobj=stream, mode="r|", bufsize=tarfile.RECORDSIZE)  # type: ignore[call-overload]  # noqa: SIM115
    except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
        raise ArchiveDamaged(_describe(exc), after=0) from None
    with tar:
        while True:
            try:
                member = _next_member(tar, position=done + 1, max_item_bytes=max_item_bytes)
                if member is None:
                    stream.finish()
            except (tarfile.TarError, lzma.LZMAError, EOFError, OSError) as exc:
                raise ArchiveDamaged(_describe(exc), after=done) from None
            if member is None:
                return
            done += 1
            yield member
            del member  # hold one member only: the caller's


def _next_member(tar: tarfile.TarFile, *, position: int, max_item_bytes: int) -> Member | None:
    while True:
        info = tar.next()
        # A stream-mode TarFile remembers every member it has seen: forget them, or 100 000 TarInfo
        # objects would pile up (we never go back).
        tar.members = []  # type: ignore[attr-defined]
        if info is None:
            return None
        if info.isreg():
            break
    data = None
    if info.size <= max_item_bytes:
        extracted = tar.extractfile(info)
        data = extracted.read() if extracted is not None else b""
        if len(data) != info.size:
            raise EOFError("a file ends early")
    return Member(position=position, name=info.name, size=info.size, data=data)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, lzma.LZMAError):
        return f"the LZMA data is corrupt ({exc})"
    if isinstance(exc, EOFError):
        return f"the archive is truncated: {exc}"
    return f"the tar archive is damaged ({exc})"
