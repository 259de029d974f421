"""Print batches over SFTP (asyncssh): the provider's server, checked by its host key, for one pass at a time.

The hub logs in with a private key file and trusts exactly one host key, given as an OpenSSH public key line
("ssh-ed25519 AAAA…") or its SHA256 fingerprint ("SHA256:…"); any other key is refused with
`print.provider.host.key.mismatch` before anything is sent. Batches land as <folder>/<batch>/ (written as
<folder>/.incoming-<batch>/, manifest last, then renamed); receipts are read from <folder>/receipts/, a copy
is kept locally and the file is removed on the server only after it was applied (set-aside files go to
<folder>/receipts/rejected/). The synchronous methods run asyncssh on a private event loop. Not for: what a
batch holds (services), the spool folder or choosing a transport (transports.py).
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncssh
from django.conf import settings

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.printing.layout import INCOMING_PREFIX, RECEIPTS_FOLDER, archive_receipt

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SftpSettings:
    host: str
    port: int
    user: str
    key_file: str
    host_key: str  # "ssh-ed25519 AAAA…" or "SHA256:…"
    folder: str
    timeout: float


def sftp_settings() -> SftpSettings:
    return SftpSettings(
        host=settings.DIGITALPOST_PRINT_SFTP_HOST, port=settings.DIGITALPOST_PRINT_SFTP_PORT,
        user=settings.DIGITALPOST_PRINT_SFTP_USER, key_file=str(settings.DIGITALPOST_PRINT_SFTP_KEY_FILE),
        host_key=settings.DIGITALPOST_PRINT_SFTP_HOST_KEY.strip(), folder=settings.DIGITALPOST_PRINT_SFTP_FOLDER,
        timeout=settings.DIGITALPOST_PRINT_SFTP_TIMEOUT_SECONDS,
    )


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


class _PinnedHostKey(asyncssh.SSHClient):
    """Accepts exactly the configured host key; remembers what the server offered for the error message."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        self.offered = ""

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.offered = fingerprint(key)
        if self.expected.startswith("SHA256:"):
            return self.offered == self.expected
        try:
            wanted = asyncssh.import_public_key(self.expected)
        except (asyncssh.KeyImportError, ValueError):
            return False
        return bool(wanted.public_data == key.public_data)


def _failed(what: str, exc: BaseException) -> DigitalPostError:
    return DigitalPostError(ErrorCode.PRINT_PROVIDER_FAILED, f"{what}: {type(exc).__name__}: {exc}")


class SftpTransport:
    name = "sftp"

    def __init__(self, loop: asyncio.AbstractEventLoop, sftp: asyncssh.SFTPClient, options: SftpSettings,
                 archive: Path) -> None:
        self._loop, self._sftp, self._options, self._archive = loop, sftp, options, archive
        self._folder = options.folder.rstrip("/") or "/"

    @classmethod
    @contextmanager
    def connect(cls, options: SftpSettings, *, archive: Path) -> Iterator[SftpTransport]:
        """Log in (public key only, the host key pinned) and open the SFTP session for one pass."""
        if not options.host_key:
            raise DigitalPostError(ErrorCode.PRINT_PROVIDER_HOST_KEY_MISMATCH,
                                   "DIGITALPOST_PRINT_SFTP_HOST_KEY is empty: the provider's key must be configured")
        loop = asyncio.new_event_loop()
        pinned = _PinnedHostKey(options.host_key)
        try:
            try:
                key = asyncssh.read_private_key(options.key_file)
                connection = loop.run_until_complete(asyncssh.connect(
                    options.host, options.port, username=options.user, client_keys=[key], known_hosts=([], [], []),
                    client_factory=lambda: pinned, agent_path=None, config=None, password=None,
                    preferred_auth="publickey", connect_timeout=options.timeout, login_timeout=options.timeout,
                ))
            except asyncssh.HostKeyNotVerifiable:
                raise DigitalPostError(
                    ErrorCode.PRINT_PROVIDER_HOST_KEY_MISMATCH,
                    f"{options.host}:{options.port} offered {pinned.offered or 'an unusable key'}, "
                    f"expected {_short(options.host_key)}") from None
            except (OSError, asyncssh.Error, asyncssh.KeyImportError, TimeoutError) as exc:
                raise _failed(f"connecting to {options.user}@{options.host}:{options.port}", exc) from None
            try:
                sftp = loop.run_until_complete(connection.start_sftp_client())
            except (OSError, asyncssh.Error) as exc:
                connection.close()
                raise _failed("starting SFTP", exc) from None
            try:
                yield cls(loop, sftp, options, archive)
            finally:
                sftp.exit()
                connection.close()
                loop.run_until_complete(connection.wait_closed())
        finally:
            loop.close()

    def _run(self, what: str, work: Awaitable[T]) -> T:
        try:
            return self._loop.run_until_complete(work)
        except (OSError, asyncssh.Error) as exc:
            raise _failed(what, exc) from None

    def _path(self, *parts: str) -> str:
        return posixpath.join(self._folder, *parts)

    def has_batch(self, batch: str) -> bool:
        return self._run(f"looking for batch {batch}", self._sftp.isdir(self._path(batch)))

    def put_batch(self, batch: str, files: Sequence[tuple[str, bytes]]) -> None:
        self._run(f"uploading batch {batch}", self._put(batch, files))

    async def _put(self, batch: str, files: Sequence[tuple[str, bytes]]) -> None:
        temporary = self._path(f"{INCOMING_PREFIX}{batch}")
        if await self._sftp.exists(temporary):  # a crash mid-upload: start this batch afresh
            await self._sftp.rmtree(temporary)
        await self._sftp.makedirs(temporary)
        for name, data in files:
            async with self._sftp.open(posixpath.join(temporary, name), "wb") as out:
                await out.write(data)
        await self._sftp.rename(temporary, self._path(batch))

    def list_receipts(self) -> list[str]:
        return self._run("listing receipts", self._list_receipts())

    async def _list_receipts(self) -> list[str]:
        folder = self._path(RECEIPTS_FOLDER)
        if not await self._sftp.isdir(folder):
            return []
        names = [str(entry.filename) for entry in await self._sftp.readdir(folder)
                 if entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR]
        return sorted(name for name in names if not name.startswith("."))

    def read_receipt(self, name: str) -> bytes:
        return self._run(f"reading receipt {name}", self._read(self._path(RECEIPTS_FOLDER, name)))

    async def _read(self, path: str) -> bytes:
        async with self._sftp.open(path, "rb") as source:
            data = await source.read()
        return data if isinstance(data, bytes) else data.encode()

    def settle_receipt(self, name: str, data: bytes, *, rejected: bool) -> None:
        archive_receipt(self._archive, name, data, rejected=rejected)  # our copy first: then it may go
        self._run(f"settling receipt {name}", self._settle(name, rejected=rejected))

    async def _settle(self, name: str, *, rejected: bool) -> None:
        source = self._path(RECEIPTS_FOLDER, name)
        if not rejected:
            await self._sftp.remove(source)
            return
        folder = self._path(RECEIPTS_FOLDER, "rejected")
        await self._sftp.makedirs(folder, exist_ok=True)
        target = posixpath.join(folder, name)
        if await self._sftp.exists(target):
            await self._sftp.remove(target)
        await self._sftp.rename(source, target)

    def where(self, batch: str) -> str:
        return f"sftp://{self._options.user}@{self._options.host}:{self._options.port}/{self._path(batch)}"


def _short(host_key: str) -> str:
    if host_key.startswith("SHA256:"):
        return host_key
    try:
        return fingerprint(asyncssh.import_public_key(host_key))
    except (asyncssh.KeyImportError, ValueError):
        return "an unreadable key (check DIGITALPOST_PRINT_SFTP_HOST_KEY)"
