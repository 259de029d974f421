"""`ensure_dev_pki`: processes that make the demo PKI at the same moment end with one CA and certificates from it."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from digitalpost.cli.devca import ensure_dev_pki
from digitalpost.protocols import smime

MAKERS = 4


def make(folder: str, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait()
    ensure_dev_pki(Path(folder), hub_address="hub@digitalpost.localhost")


def test_makers_started_together_leave_one_ca_that_issued_every_certificate(tmp_path):
    context = multiprocessing.get_context("fork")
    start = context.Barrier(MAKERS)
    makers = [context.Process(target=make, args=(str(tmp_path), start)) for _ in range(MAKERS)]
    for maker in makers:
        maker.start()
    for maker in makers:
        maker.join(60)
    assert [m.exitcode for m in makers] == [0] * MAKERS
    anchors = smime.load_certificates((tmp_path / "ca.pem").read_bytes())
    for name in ("hub", "nordby-secure-address", "nordby-standard-sender"):
        issued = smime.load_certificate((tmp_path / f"{name}.pem").read_bytes())
        problems = smime.check_certificate(issued, purpose=smime.Purpose.EMAIL_SIGNING, trust_anchors=anchors,
                                           at=datetime.now(UTC))
        assert problems == [], name
