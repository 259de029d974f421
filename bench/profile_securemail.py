"""Where do a secure-mail reply's and a forward's milliseconds go? In-process, no server.

    .venv/bin/python bench/profile_securemail.py [-n 100] [--size 5] [--top 25] [--only inbound|outbound]

Runs in a fresh temporary DIGITALPOST_VAR (SQLite + blobs, demo world and dev PKI, as bench/securemail.py sets
them up): `n` inquiries to Nordby's Borgerservice of ~`size` KB forwards, then

- outbound: the secure-address channel's `prepare` for each (the FORWARD job's build + sign + encrypt) and the
  hand-off of the mail to a loopback relay (bench/securemail.py's sink, over the kept connection), with the
  time in its named phases (MeMo read and parse, entity build, sign, encrypt, envelope, hand-off);
- inbound: `n` replies (signed by Nordby's standard sender, encrypted to the hub) through
  `receive_secure_mail`, with the time in its phases (unwrap = decrypt + verify, chain check, thread token,
  filing, commits) and SQL statements and os.fsync calls per reply;

each with its mean wall time, mean CPU time and fastest call (on a shared machine the fastest of many calls is
the steadiest figure), then the top functions of a cProfile run of each. The bars' figures are
bench/securemail.py's.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from profile_ingest import Counters, Phases, print_profile
from securemail import (
    RelaySink,
    build_reply,
    calibrate,
    load_message,
    load_world,
    make_inquiry,
    open_forward,
    setup_django,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=100, help="forwards and replies (default 100)")
    parser.add_argument("--size", type=int, default=5, help="mail size in KB (default 5)")
    parser.add_argument("--top", type=int, default=25, help="functions to list (0: no cProfile run)")
    parser.add_argument("--only", choices=("inbound", "outbound"), help="profile one side only")
    args = parser.parse_args(argv)
    var = Path(tempfile.mkdtemp(prefix="digitalpost-profile-securemail-"))
    os.environ["DIGITALPOST_LOG_LEVEL"] = "WARNING"
    try:
        return run(args, var)
    finally:
        shutil.rmtree(var, ignore_errors=True)


class CpuPhases(Phases):
    """Phases with the process's CPU time next to the wall time: on a shared machine the CPU time of a phase is
    the steadier figure (the wall time also holds the time other processes had the CPU)."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: Counter[str] = Counter()
        self.fastest: dict[str, float] = {}

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                self.seconds[name] += took
                self.fastest[name] = min(self.fastest.get(name, took), took)
                self.cpu[name] += time.process_time() - cpu
                self.calls[name] += 1

        setattr(owner, attribute, timed)

    def reset(self) -> None:
        super().reset()
        self.cpu, self.fastest = Counter(), {}


def install_phases(phases: Phases) -> None:
    from django.db import connections

    from digitalpost.blobstore import LocalFolder
    from digitalpost.conversations.services import receive, replies
    from digitalpost.delivery.channels import receivers, secure_address
    from digitalpost.hub import relay
    from digitalpost.protocols import smime
    from digitalpost.protocols.smime import read

    # outbound
    phases.wrap(receivers, "received_bytes", "fwd  MeMo read from the blob store")
    phases.wrap(receivers.memo, "parse", "fwd  memo.parse (inquiries stored without document parts)")
    phases.wrap(receivers.memo, "parse_header", "fwd  memo.parse_header")
    phases.wrap(receivers, "encoded_files_of", "fwd  files at the recorded spans (copied or decoded)")
    phases.wrap(secure_address.mail, "build_inner_entity", "fwd  build_inner_entity")
    phases.wrap(secure_address.smime, "sign_and_encrypt", "fwd  smime.sign_and_encrypt")
    phases.wrap(secure_address.mail, "with_envelope", "fwd  with_envelope")
    phases.wrap(secure_address.smime, "load_certificate", "fwd  load the recipient's certificate")
    phases.wrap(relay, "send_via_relay", "fwd  send_via_relay (hand-off up to the relay's 250)")
    # inbound
    phases.wrap(receive.smime, "unwrap", "in   smime.unwrap (decrypt + verify)")
    phases.wrap(read, "decrypt_message", "in     decrypt_message")
    phases.wrap(read, "verify", "in     verify")
    phases.wrap(receive, "_registered_signers", "in   _registered_signers (SELECT)")
    phases.wrap(receive, "_check_chain", "in   _check_chain (path validation)")
    phases.wrap(receive.mail, "parse_reply", "in   mail.parse_reply (email package)")
    phases.wrap(receive, "_thread_and_signer", "in   thread token (HMAC)")
    phases.wrap(receive, "_file_reply", "in   _file_reply (all of the filing)")
    phases.wrap(replies, "reply_memo", "in     reply_memo (build the MeMo)")
    phases.wrap(replies, "_record_reply", "in     _record_reply (transaction incl. commit)")
    phases.wrap(LocalFolder, "write", "in     blob write")
    phases.wrap(receive, "_record_legacy_crypto", "in   _record_legacy_crypto (transaction)")
    phases.wrap(type(connections["default"]), "_commit", "     sqlite COMMIT (WAL fsync)")
    del smime


def measure(name: str, items: list[Any], step: Callable[[Any], Any], counters: Counters, phases: CpuPhases) -> None:
    counters.reset()
    phases.reset()
    start, cpu = time.perf_counter(), time.process_time()
    fastest = float("inf")
    for item in items:
        t0 = time.perf_counter()
        step(item)
        fastest = min(fastest, time.perf_counter() - t0)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    n = len(items)
    sql = ", ".join(f"{k} {v / n:.1f}" for k, v in counters.sql.most_common())
    print(f"{name}: {elapsed / n * 1000:.2f} ms each, fastest {fastest * 1000:.2f} ms ({cpu / n * 1000:.2f} ms CPU; "
          f"load {os.getloadavg()[0]:.1f}); SQL each "
          f"{sum(counters.sql.values()) / n:.1f} ({sql}); os.fsync each {counters.fsyncs / n:.2f} "
          f"({counters.fsync_s / n * 1000:.2f} ms)")
    for phase, seconds in sorted(phases.seconds.items()):
        if phases.calls[phase]:
            print(f"  {phase:52} {seconds / n * 1000:7.2f} ms {phases.cpu[phase] / n * 1000:7.2f} ms CPU "
                  f"{phases.fastest[phase] * 1000:7.2f} ms fastest ({phases.calls[phase] / n:.2f}x)")
    print()


def run(args: argparse.Namespace, var: Path) -> int:
    setup_django(var)
    from django.conf import settings

    world = load_world(var)
    sink = RelaySink()  # the forwards are handed to it, as bench/securemail.py does
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", sink.port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    try:
        return profile(args, world)
    finally:
        sink.stop()


def profile(args: argparse.Namespace, world: Any) -> int:
    from django.conf import settings
    from django.db import connection

    from digitalpost.cli.devca import STANDARD_SENDER_ADDRESS
    from digitalpost.conversations.services.receive import receive_secure_mail
    from digitalpost.delivery.channels.receivers import inquiry_of
    from digitalpost.delivery.channels.secure_address import SecureAddressChannel
    from digitalpost.hub import relay

    target = args.size * 1024

    def forward(message: Any) -> bytes:
        return SecureAddressChannel(world.receiver).prepare(inquiry_of(message)).data

    def forward_and_hand_off(message: Any) -> None:
        relay.send_via_relay(forward(message), sender=settings.DIGITALPOST_HUB_ADDRESS,
                             recipients=[world.receiver.secure_address.email])

    pad = calibrate(lambda p: len(forward(load_message(make_inquiry(world, p).pk))), target)
    messages = [load_message(make_inquiry(world, pad).pk) for _ in range(args.n)]
    forward_and_hand_off(messages[0])  # warm caches (hub key, keyring) and open the relay connection
    opened = [open_forward(world, forward(m)) for m in messages[:10]]
    reply_pad = calibrate(lambda p: len(build_reply(world, opened[0], p)), target)
    replies = [build_reply(world, opened[i % len(opened)], reply_pad) for i in range(2 * args.n + 1)]

    def receive(raw: bytes) -> None:
        outcome = receive_secure_mail(raw=raw, envelope_from=STANDARD_SENDER_ADDRESS)
        if outcome.code is not None:
            raise SystemExit(f"reply refused: {outcome.code} {outcome.detail}")

    receive(replies.pop())  # warm
    counters = Counters()
    os.fsync = counters.fsync
    phases = CpuPhases()
    install_phases(phases)
    print(f"{args.n} forwards of {len(forward(messages[0])) / 1024:.1f} KB, {args.n} replies of "
          f"{len(replies[0]) / 1024:.1f} KB\n")
    sides: list[tuple[str, list[Any], Callable[[Any], Any]]] = []
    if args.only in (None, "outbound"):
        sides.append(("forward (SecureAddressChannel.prepare + send_via_relay)", messages, forward_and_hand_off))
    if args.only in (None, "inbound"):
        sides.append(("reply (receive_secure_mail)", replies[:args.n], receive))
    with connection.execute_wrapper(counters.execute):
        for name, items, step in sides:
            measure(name, items, step, counters, phases)
    if args.top:
        for name, items, step in sides:
            again = items if step is forward_and_hand_off else replies[args.n:]
            profiler = cProfile.Profile()
            profiler.enable()
            for item in again:
                step(item)
            profiler.disable()
            print(f"cProfile: {name}")
            print_profile(profiler, len(again), args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
