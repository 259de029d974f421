"""Mass-send archives: an LZMA-compressed tar of MeMo files, read as a stream one member at a time.

`iter_members(read, max_item_bytes=…)` takes a `read(n) -> bytes` function (a request body, a file) and
yields each regular file as a `Member` (position, name, bytes). It decompresses incrementally, never reads
ahead more than one chunk, and holds at most one member in memory; a member above the size limit is skipped
unread (its `data` is None). A damaged or truncated archive raises `ArchiveDamaged` saying how many members
came before the damage. Pure: no Django, no files. Not for: what a member means (that is `protocols.memo`).
"""

from digitalpost.protocols.archive.reader import ArchiveDamaged, LzmaStream, Member, iter_members

__all__ = ["ArchiveDamaged", "LzmaStream", "Member", "iter_members"]
