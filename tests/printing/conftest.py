"""A real SFTP server on 127.0.0.1 (asyncssh) playing the print provider, and settings pointing the hub at it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import pytest


class ProviderSftp(asyncssh.SFTPServer):
    """The provider's SFTP server, rooted in its folder; can be told to fail writing one file name once."""

    fail_once: set[str]

    def __init__(self, chan: asyncssh.SSHServerChannel, root: Path, fail_once: set[str]) -> None:
        super().__init__(chan, chroot=str(root).encode())
        self.fail_once = fail_once

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        name = path.decode().rsplit("/", 1)[-1]
        if name in self.fail_once and pflags & asyncssh.FXF_WRITE:
            self.fail_once.discard(name)
            raise asyncssh.SFTPFailure("disk full")  # the connection breaks off mid-batch
        return super().open(path, pflags, attrs)


@dataclass
class Provider:
    root: Path
    port: int
    host_key: asyncssh.SSHKey
    client_key_file: Path
    fail_once: set[str] = field(default_factory=set)

    @property
    def host_key_line(self) -> str:
        return self.host_key.export_public_key().decode().strip()

    def batches(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.is_dir() and p.name != "receipts")


@pytest.fixture
def provider(tmp_path) -> Iterator[Provider]:
    root = tmp_path / "provider"
    root.mkdir()
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "hub-print-key"
    key_file.write_bytes(client_key.export_private_key())
    key_file.chmod(0o600)
    fail_once: set[str] = set()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[host_key],
            authorized_client_keys=asyncssh.import_authorized_keys(client_key.export_public_key().decode()),
            sftp_factory=lambda chan: ProviderSftp(chan, root, fail_once), allow_scp=False,
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield Provider(root=root, port=server.sockets[0].getsockname()[1], host_key=host_key,
                       client_key_file=key_file, fail_once=fail_once)
    finally:
        async def stop() -> None:  # in the server's own loop: asyncio servers are not thread-safe
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


@pytest.fixture
def sftp_settings(settings, provider, tmp_path):
    """The hub configured to print via the provider's SFTP server (local spool only for receipt copies)."""
    settings.DIGITALPOST_PRINT_TRANSPORT = "sftp"
    settings.DIGITALPOST_PRINT_SFTP_HOST = "127.0.0.1"
    settings.DIGITALPOST_PRINT_SFTP_PORT = provider.port
    settings.DIGITALPOST_PRINT_SFTP_USER = "digitalpost"
    settings.DIGITALPOST_PRINT_SFTP_KEY_FILE = str(provider.client_key_file)
    settings.DIGITALPOST_PRINT_SFTP_HOST_KEY = provider.host_key_line
    settings.DIGITALPOST_PRINT_SFTP_FOLDER = "/"
    settings.DIGITALPOST_PRINT_SPOOL = tmp_path / "spool"
    return settings
