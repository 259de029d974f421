"""A real authority mail server for end-to-end tests: throwaway Postfix (SMTP in) and Dovecot (IMAP out).

Both run as private instances on 127.0.0.1 with free ports; configuration, queue, logs and the maildir live in
one temporary folder. The system's own Postfix and Dovecot (/etc/postfix, /etc/dovecot, ports 25 and 143) are
never touched. Postfix accepts mail for the one mailbox's domain and its virtual(8) agent writes it to a
Maildir; Dovecot serves that Maildir over IMAP to the mailbox user (passwd-file, a fixed test password).

Missing packages are installed with scripts/setup-mailservers.sh (Debian `postfix`, `dovecot-imapd`); when
that cannot be done, `MailServersUnavailable` says why, and the test fails (it is not skipped: CI runs it).
"""

from __future__ import annotations

import fcntl
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO / "scripts" / "setup-mailservers.sh"
POSTFIX = Path("/usr/sbin/postfix")
POSTCONF = Path("/usr/sbin/postconf")
DOVECOT = Path("/usr/sbin/dovecot")
DOVECOT_IMAP = Path("/usr/lib/dovecot/imap")
OPENSSL = "/usr/bin/openssl"
MAIL_USER = "nobody"  # owns the Maildir; Postfix's virtual(8) and Dovecot's imap run as this user
START_TIMEOUT = 30.0
INSTALL_LOCK = Path(tempfile.gettempdir()) / "digitalpost-setup-mailservers.lock"


class MailServersUnavailable(RuntimeError):
    """Postfix or Dovecot cannot be installed or started here; the message says why and what to do."""


def _missing() -> list[str]:
    missing = []
    if not (POSTFIX.exists() and POSTCONF.exists()):
        missing.append("postfix")
    if not (DOVECOT.exists() and DOVECOT_IMAP.exists()):
        missing.append("dovecot-imapd")
    return missing


def ensure_installed() -> float:
    """Install Postfix and Dovecot when missing (scripts/setup-mailservers.sh); the seconds it took."""
    if not _missing():
        return 0.0
    started = time.monotonic()
    # One installer at a time when several test processes (pytest -n) get here together.
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            result = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=900,
                                    check=False) if _missing() else None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MailServersUnavailable(f"{SETUP_SCRIPT.name} could not run: {exc}") from exc
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if result is None:
        return time.monotonic() - started
    still = _missing()
    if result.returncode != 0 or still:
        raise MailServersUnavailable(
            f"Postfix and Dovecot are needed for this test and could not be installed (missing: "
            f"{', '.join(still) or 'none'}; scripts/{SETUP_SCRIPT.name} exited {result.returncode}).\n"
            f"Install them as root: apt-get install postfix dovecot-imapd\n"
            f"--- stdout ---\n{result.stdout[-2000:]}\n--- stderr ---\n{result.stderr[-2000:]}"
        )
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class MailAccount:
    address: str
    password: str

    @property
    def local_part(self) -> str:
        return self.address.partition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.partition("@")[2]


@dataclass
class AuthorityMailServer:
    """The running pair: hand mail to `smtp_port`, read it back over IMAP on `imap_port` as `account`."""

    folder: Path
    smtp_port: int
    imap_port: int
    account: MailAccount
    hostname: str

    def __repr__(self) -> str:
        return f"AuthorityMailServer(smtp=127.0.0.1:{self.smtp_port}, imap=127.0.0.1:{self.imap_port})"

    def fetch_all(self) -> list[bytes]:
        """Every mail in the account's INBOX, fetched over IMAP (plain login on loopback)."""
        with imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30) as imap:
            imap.login(self.account.address, self.account.password)
            status, _ = imap.select("INBOX", readonly=True)
            assert status == "OK", f"IMAP SELECT INBOX: {status}"
            status, found = imap.search(None, "ALL")
            assert status == "OK", f"IMAP SEARCH: {status}"
            mails = []
            for number in found[0].split():
                status, data = imap.fetch(number, "(BODY.PEEK[])")
                assert status == "OK", f"IMAP FETCH {number!r}: {status}"
                mails.extend(bytes(part[1]) for part in data if isinstance(part, tuple))
            imap.logout()
            return mails

    def wait_for_mail(self, count: int = 1, timeout: float = 30.0) -> list[bytes]:
        """The INBOX once it holds at least `count` mails (Postfix delivers from its queue, asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.fetch_all()
            if len(mails) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(mails) >= count, (
            f"{len(mails)} mail(s) in {self.account.address}'s INBOX after {timeout:.0f}s, expected {count}.\n"
            f"{self.logs()}"
        )
        return mails

    def logs(self) -> str:
        """The last lines of Postfix's and Dovecot's logs, for failure messages."""
        parts = []
        for name in ("postfix/maillog", "dovecot/dovecot.log"):
            path = self.folder / name
            text = path.read_text(errors="replace") if path.exists() else "(no log)"
            parts.append(f"--- {name} ---\n{text[-3000:]}")
        return "\n".join(parts)


MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

MAIN_CF = """\
# A private, throwaway Postfix instance for tests: loopback only, one virtual mailbox, nothing relayed.
compatibility_level = 3.6
queue_directory = {folder}/postfix/queue
data_directory = {folder}/postfix/data
maillog_file = {folder}/postfix/maillog
maillog_file_prefixes = {folder}/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = {hostname}
mydomain = {domain}
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = $myhostname ESMTP
biff = no
message_size_limit = 209715200
virtual_mailbox_limit = 0
virtual_mailbox_domains = {domain}
virtual_mailbox_maps = texthash:{folder}/postfix/vmailbox
virtual_mailbox_base = {folder}/mail
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_transport = virtual
smtpd_tls_security_level = may
smtpd_tls_cert_file = {folder}/postfix/tls/cert.pem
smtpd_tls_key_file = {folder}/postfix/tls/key.pem
smtpd_tls_received_header = yes
"""

DOVECOT_CONF = """\
# A private, throwaway Dovecot instance for tests: IMAP on loopback, one passwd-file user, a Maildir.
base_dir = {folder}/dovecot/run
state_dir = {folder}/dovecot/state
instance_name = digitalpost-test-{imap_port}
log_path = {folder}/dovecot/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/dovecot/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {folder}/dovecot/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _run(*args: str | Path, what: str) -> None:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise MailServersUnavailable(f"{what} failed ({result.returncode}): {result.stderr or result.stdout}")


def _wait_for_banner(port: int, prefix: bytes, process: subprocess.Popen[bytes], name: str, logs: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MailServersUnavailable(f"{name} exited with {process.returncode} while starting.\n{logs}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                if connection.recv(200).startswith(prefix):
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise MailServersUnavailable(f"{name} did not answer on 127.0.0.1:{port} in {START_TIMEOUT:.0f}s ({last}).\n{logs}")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM to the master (it stops its children), then SIGKILL to its own process group if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    with suppress(ProcessLookupError, PermissionError):  # children still in the group (the master's session)
        os.killpg(process.pid, signal.SIGKILL)


def _write_config(folder: Path, account: MailAccount, hostname: str, smtp_port: int, imap_port: int) -> None:
    user = pwd.getpwnam(MAIL_USER)
    values = {"folder": folder, "hostname": hostname, "domain": account.domain, "smtp_port": smtp_port,
              "imap_port": imap_port, "uid": user.pw_uid, "gid": user.pw_gid}
    postfix, dovecot = folder / "postfix", folder / "dovecot"
    for path in (postfix / "conf", postfix / "queue", postfix / "data", postfix / "tls", dovecot / "run",
                 dovecot / "state"):
        path.mkdir(parents=True)
    (postfix / "conf" / "main.cf").write_text(MAIN_CF.format(**values))
    (postfix / "conf" / "master.cf").write_text(MASTER_CF.format(**values))
    home = folder / "mail" / account.domain / account.local_part
    (postfix / "vmailbox").write_text(f"{account.address} {account.domain}/{account.local_part}/Maildir/\n")
    home.mkdir(parents=True)
    for path in (folder / "mail", folder / "mail" / account.domain, home):
        os.chown(path, user.pw_uid, user.pw_gid)
    postfix_user = pwd.getpwnam("postfix")
    os.chown(postfix / "data", postfix_user.pw_uid, postfix_user.pw_gid)
    _run(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", f"/CN={hostname}", "-keyout", postfix / "tls" / "key.pem",
         "-out", postfix / "tls" / "cert.pem", what="openssl req (Postfix's TLS certificate)")
    (dovecot / "dovecot.conf").write_text(DOVECOT_CONF.format(**values))
    (dovecot / "users").write_text(
        f"{account.address}:{{PLAIN}}{account.password}:{user.pw_uid}:{user.pw_gid}::{home}::\n"
    )


@contextmanager
def authority_mail_server(account: MailAccount, *, hostname: str) -> Iterator[AuthorityMailServer]:
    """Start Postfix and Dovecot for `account` on free loopback ports; always stop them and remove the folder."""
    ensure_installed()
    if os.geteuid() != 0:
        raise MailServersUnavailable("Postfix and Dovecot instances need root to start (they drop privileges).")
    # Postfix's and Dovecot's unprivileged processes must reach their folders, so not pytest's 0700 tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="digitalpost-mailserver-"))
    folder.chmod(0o755)
    postfix_master: subprocess.Popen[bytes] | None = None
    dovecot: subprocess.Popen[bytes] | None = None
    try:
        smtp_port, imap_port = free_port(), free_port()
        while imap_port == smtp_port:
            imap_port = free_port()
        _write_config(folder, account, hostname, smtp_port, imap_port)
        server = AuthorityMailServer(folder=folder, smtp_port=smtp_port, imap_port=imap_port, account=account,
                                     hostname=hostname)
        conf = folder / "postfix" / "conf"
        # `postfix check` creates the queue folders with their owners; the master then runs in the foreground
        # (no -w), in a session of its own, so it and every child it spawns are ours to stop.
        _run(POSTFIX, "-c", conf, "check", what="postfix check")
        daemon_directory = subprocess.run([str(POSTCONF), "-c", str(conf), "-h", "daemon_directory"],
                                          capture_output=True, text=True, check=True).stdout.strip()
        postfix_master = subprocess.Popen([f"{daemon_directory}/master", "-c", str(conf)], start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with (folder / "dovecot" / "stderr.log").open("wb") as stderr:
            dovecot = subprocess.Popen([str(DOVECOT), "-F", "-c", str(folder / "dovecot" / "dovecot.conf")],
                                       start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr)
        _wait_for_banner(smtp_port, b"220 ", postfix_master, "Postfix", server.logs())
        _wait_for_banner(imap_port, b"* OK", dovecot, "Dovecot", server.logs()
                         + (folder / "dovecot" / "stderr.log").read_text(errors="replace"))
        yield server
    finally:
        _stop(postfix_master)
        _stop(dovecot)
        shutil.rmtree(folder, ignore_errors=True)
