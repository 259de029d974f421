"""Hardening figures (issue 18): a normal request's response time under 128 slow clients, and the peak memory one
large request costs the process that handles it, as a multiple of its payload (bar: ≤ 3×).

Starts the hub as `make run` does (`digitalpost run`, demo data) in a fresh temporary DIGITALPOST_VAR, then:
1. GET /portal/login/ ten times alone, then ten times while 128 connections trickle headers or a declared body at
   one byte a second: median and worst response time (a request that gets no answer in 10 s counts as 10 s);
2. for a large form (20 MB to /portal/login/), a large MeMo (POST /apis/v1/memos) and a large mail (SMTP DATA to
   the gateway): the peak resident memory (VmHWM, reset before each request through /proc/PID/clear_refs) of the
   web and gateway processes minus their resident memory before, divided by the payload: PASS when ≤ 3×. Before the
   large MeMo, a few small ones warm the web workers up (the API's code is imported once per process, not per
   request).

Run alone: `.venv/bin/python bench/hardening.py` (`--help`); part of `make bench` (bench/run.py, `--skip hardening`).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import smtplib
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
MEMORY_BAR = 3.0
WARM_UP_MEMOS = 6
WARM_UP_MEMO_BYTES = 200_000
SCRUBBED_ENV = ("DATABASE_URL", "DIGITALPOST_SQLITE", "DIGITALPOST_BLOB_DIR", "DIGITALPOST_TESTING",
                "PYTEST_VERSION", "DJANGO_SETTINGS_MODULE", "DIGITALPOST_DEBUG", "HOST", "PORT")


def log(text: str) -> None:
    print(f"[hardening {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak resident set size (VmHWM)


class Hub:
    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = free_port()
        self.gateway_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        self.env.update({"DIGITALPOST_VAR": str(var), "DIGITALPOST_DEMO": "1",
                         "DIGITALPOST_GATEWAY_PORT": str(self.gateway_port),
                         "DIGITALPOST_SMTP_RELAY_PORT": str(free_port())})
        self.proc: subprocess.Popen[bytes] | None = None

    def digitalpost(self, *args: str) -> str:
        done = subprocess.run([str(VENV_BIN / "digitalpost"), *args], env=self.env, cwd=REPO, capture_output=True,
                              text=True, timeout=300, check=False)
        if done.returncode:
            raise SystemExit(f"digitalpost {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.digitalpost("migrate")
        self.digitalpost("demo", "load", "--base-url", f"http://127.0.0.1:{self.port}")
        out = (self.var / "hub.log").open("wb")
        self.proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(self.port),
                                      "--no-scheduler"], env=self.env, cwd=REPO, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/apis/v1/health", 5) is not None:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit("the hub did not start:\n" + (self.var / "hub.log").read_text(errors="replace")[-3000:])
        while not self.pids("smtp") and time.monotonic() < deadline:
            time.sleep(0.3)

    def pids(self, role: str) -> list[int]:
        assert self.proc is not None
        words = {"web": ("granian", "gunicorn"), "smtp": ("digitalpost smtp",)}[role]
        return [pid for pid in descendants(self.proc.pid) if any(word in cmdline(pid) for word in words)]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def get(port: int, path: str, timeout: float) -> float | None:
    """Seconds until GET path answered, or None when it did not within `timeout`."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return time.monotonic() - started
    except OSError:
        return None
    finally:
        conn.close()


def response_times(port: int, count: int = 10, timeout: float = 10) -> list[float]:
    times = []
    for _ in range(count):
        took = get(port, "/portal/login/", timeout)
        times.append(timeout if took is None else took)
        time.sleep(0.2)
    return times


def slow_clients_figures(hub: Hub, count: int) -> dict[str, float]:
    quiet = response_times(hub.port)
    sockets, stop = [], threading.Event()
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", hub.port), timeout=5)
        sock.sendall(b"POST /portal/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" if n % 2
                     else b"GET /portal/login/ HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)

    def drip() -> None:
        while not stop.wait(1.0):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"a")

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    time.sleep(3)
    try:
        attacked = response_times(hub.port)
    finally:
        stop.set()
        dripper.join()
        for sock in sockets:
            sock.close()
    return {"quiet_p50_ms": statistics.median(quiet) * 1000, "quiet_max_ms": max(quiet) * 1000,
            "slow_p50_ms": statistics.median(attacked) * 1000, "slow_max_ms": max(attacked) * 1000,
            "unanswered": sum(t >= 10 for t in attacked)}


def peak_growth(pids: list[int], send: Any) -> int:
    """Bytes: the largest peak-RSS growth of `pids` while `send()` runs."""
    before = {pid: status_kb(pid, "VmRSS") for pid in pids}
    for pid in pids:
        reset_peak(pid)
    send()
    time.sleep(0.5)
    return max((status_kb(pid, "VmHWM") - before[pid]) * 1024 for pid in pids)


def send_form(hub: Hub, size: int) -> None:
    """A sign-in form as a browser sends it (the CSRF cookie and token from the page), its user name `size` long."""
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=120)
    conn.request("GET", "/portal/login/")
    page = conn.getresponse()
    cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
    html = page.read().decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[-1].split('"', 1)[0]
    body = f"csrfmiddlewaretoken={token}&password=x&username=".encode()
    try:
        conn.request("POST", "/portal/login/", body=body + b"a" * (size - len(body)),
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                              "Referer": f"http://127.0.0.1:{hub.port}/portal/login/"})
        log(f"  form: HTTP {conn.getresponse().status}")
    except OSError as exc:
        log(f"  form: connection ended while sending ({exc.__class__.__name__}): refused unread")
    finally:
        conn.close()


def send_memo(hub: Hub, size: int) -> None:
    sys.path.insert(0, str(BENCH_DIR))
    import payload  # bench/payload.py: the MeMo the ingest benchmark sends

    demo = json.loads((hub.var / "demo.json").read_text())
    template = payload.memo_template(cvr=demo["authority_cvr"], sender_label="Nordby Kommune",
                                     cpr=demo["citizens"]["registered"], target_bytes=size)
    message_uuid = str(uuid.uuid4())
    body = payload.fill(template, message_uuid)
    token = demo["sender_token"]
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=300)
    try:
        conn.request("POST", f"/apis/v1/memos?memo-message-uuid={message_uuid}", body=body,
                     headers={"Content-Type": "application/xml", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        log(f"  MeMo of {len(body)} bytes: HTTP {response.status} {response.read()[:120]!r}")
    finally:
        conn.close()


def send_mail(hub: Hub, size: int) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "sagsbehandler@nordby.dk"
    message["To"] = "post@digitalpost.localhost"
    message["Subject"] = "large"
    message.set_content(("x" * 76 + "\n") * (size // 77))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", hub.gateway_port, timeout=300) as client:
        client.starttls(context=context)
        try:
            client.sendmail("sagsbehandler@nordby.dk", ["post@digitalpost.localhost"], message.as_bytes())
            log("  mail: accepted")
        except smtplib.SMTPException as exc:
            log(f"  mail: {str(exc)[:160]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--slow-clients", type=int, default=128)
    parser.add_argument("--form-mb", type=float, default=20)
    parser.add_argument("--memo-mb", type=float, default=20)
    parser.add_argument("--mail-mb", type=float, default=20)
    parser.add_argument("--json", type=Path, default=REPO / "var" / "bench" / "hardening.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var folder (hub.log)")
    parser.add_argument("--only", choices=["slow", "form", "memo", "mail"], action="append",
                        help="measure only these (repeatable); default: all")
    args = parser.parse_args(argv)
    var = Path(tempfile.mkdtemp(prefix="digitalpost-hardening-"))
    hub = Hub(var)
    figures: dict[str, Any] = {}
    failed = False
    try:
        log(f"starting the hub in {var}")
        hub.start()
        wanted = set(args.only or ["slow", "form", "memo", "mail"])
        if "slow" in wanted:
            log(f"GET /portal/login/ alone and under {args.slow_clients} slow clients")
            figures["slow_clients"] = slow = slow_clients_figures(hub, args.slow_clients)
            print(f"normal request alone:               p50 {slow['quiet_p50_ms']:.0f} ms, "
                  f"max {slow['quiet_max_ms']:.0f} ms")
            print(f"under {args.slow_clients} slow clients:            p50 {slow['slow_p50_ms']:.0f} ms, max "
                  f"{slow['slow_max_ms']:.0f} ms, {slow['unanswered']} of 10 unanswered in 10 s   "
                  f"{'PASS' if not slow['unanswered'] else 'FAIL'}")
            failed |= bool(slow["unanswered"])
        cases = [("form", "large form", "web", int(args.form_mb * 1e6), send_form),
                 ("memo", "large MeMo", "web", int(args.memo_mb * 1e6), send_memo),
                 ("mail", "large SMTP DATA", "smtp", int(args.mail_mb * 1e6), send_mail)]
        for case, name, role, size, send in cases:
            if case not in wanted:
                continue
            log(f"{name}: {size} bytes")
            if case == "memo":
                # The first MeMo a web worker takes imports the API's code (tens of MB, once per process, not per
                # request): small ones first, several so that every worker has taken one.
                for _ in range(WARM_UP_MEMOS):
                    send_memo(hub, WARM_UP_MEMO_BYTES)
            grown = peak_growth(hub.pids(role), lambda send=send, size=size: send(hub, size))
            ratio = grown / size
            figures[name] = {"payload": size, "peak_growth": grown, "ratio": ratio}
            ok = ratio <= MEMORY_BAR
            failed |= not ok
            print(f"{name:<22} payload {size / 1e6:6.1f} MB, peak RSS +{grown / 1e6:7.1f} MB = {ratio:4.1f}x   "
                  f"bar <= {MEMORY_BAR:.0f}x  {'PASS' if ok else 'FAIL'}")
    finally:
        hub.stop()
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
        if args.keep:
            log(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
