"""Settings, read from the environment so one build runs as demo, test or production.

DIGITALPOST_VAR      folder for the SQLite file, blobs and demo files (default ./var)
DATABASE_URL         selects PostgreSQL (postgres://…); default is SQLite in DIGITALPOST_VAR
DIGITALPOST_DEMO     "1" enables demo sign-in and demo data commands
DIGITALPOST_SECRET_KEY  required outside demo and tests; demo mode keeps a generated key in var/
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# pytest (8.2+) announces itself in PYTEST_VERSION; tests keep their files apart from the demo's.
TESTING = os.environ.get("DIGITALPOST_TESTING", "") == "1" or "PYTEST_VERSION" in os.environ
DEMO_MODE = os.environ.get("DIGITALPOST_DEMO", "") == "1"
VAR_DIR = Path(os.environ.get("DIGITALPOST_VAR", Path.cwd() / ("var/test" if TESTING else "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("DIGITALPOST_SECRET_KEY"):
        return key
    if not (DEMO_MODE or TESTING):
        raise RuntimeError("Set DIGITALPOST_SECRET_KEY (or DIGITALPOST_DEMO=1 for the demo).")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("DIGITALPOST_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DIGITALPOST_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "ninja",
    "digitalpost.audit",
    "digitalpost.authorities",
    "digitalpost.accounts",
    "digitalpost.systems",
    "digitalpost.registry",
    "digitalpost.outbox",
    "digitalpost.messages",
    "digitalpost.conversations",
    "digitalpost.printing",
    "digitalpost.notifications",
    "digitalpost.bulk",
    "digitalpost.doctor",
    "digitalpost.stats",
    "digitalpost.inbox",
    "digitalpost.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "digitalpost.config.urls"
WSGI_APPLICATION = "digitalpost.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "digitalpost.inbox.context.inbox_context",
                "digitalpost.portal.context.portal_menu",
                "digitalpost.portal.context.doctor_badge",
            ],
        },
    },
]

_SQLITE = {
    "ENGINE": "digitalpost.config.sqlite",
    # Keep connections: opening one (and running its PRAGMAs) per request cost more than the request.
    "CONN_MAX_AGE": 600,
    "CONN_HEALTH_CHECKS": True,
    "NAME": os.environ.get("DIGITALPOST_SQLITE", str(VAR_DIR / "digitalpost.sqlite3")),
    # Tests use a file too, so a worker process started by a test sees the same database.
    "TEST": {"NAME": os.environ.get("DIGITALPOST_SQLITE", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))},
    "OPTIONS": {
        # Writers queue up instead of failing; accepted mail is on disk before we answer.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    },
}
DATABASES = {
    "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)
    if os.environ.get("DATABASE_URL")
    else _SQLITE
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Copenhagen"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# The API docs' JavaScript is served by the app itself (no CDN); finders avoid a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"
# Every page of the mailbox and the portal: scripts, styles, images and forms from the hub itself only; no inline
# script or style (templates keep theirs in static files, tests/e2e fail on any violation), no plug-ins, no
# framing by other sites. Views that serve sender content set their own, stricter sandbox policy, which the
# middleware leaves as it is. The JSON API is excluded (its interactive docs page loads Swagger UI from a CDN).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/apis/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True  # X-Content-Type-Options: nosniff
SECURE_REFERRER_POLICY = "same-origin"  # links out of a letter never carry our URLs (ids) to other sites

# A MeMo from an authority may be 99.5 MB (brief §4.1); the API reads the body itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = None
DIGITALPOST_MAX_MEMO_BYTES = int(os.environ.get("DIGITALPOST_MAX_MEMO_BYTES", 99_500_000))
# Mass sends (docs/mass-sends.md): largest item of an archive (larger ones are refused with memo.too.large,
# unread), bytes read from the request per step, items recorded per progress commit, and after how long
# without progress a RUNNING mass send is reported as INTERRUPTED (its process died: send the archive again).
DIGITALPOST_BULK_MAX_ITEM_BYTES = int(os.environ.get("DIGITALPOST_BULK_MAX_ITEM_BYTES", 20 * 1024 * 1024))
DIGITALPOST_BULK_READ_CHUNK = int(os.environ.get("DIGITALPOST_BULK_READ_CHUNK", 64 * 1024))
DIGITALPOST_BULK_PROGRESS_ITEMS = int(os.environ.get("DIGITALPOST_BULK_PROGRESS_ITEMS", 200))
DIGITALPOST_BULK_STALE_SECONDS = int(os.environ.get("DIGITALPOST_BULK_STALE_SECONDS", 300))
# Items accepted at once when group commit is on (one commit then makes many items durable).
DIGITALPOST_BULK_PARALLEL = int(os.environ.get("DIGITALPOST_BULK_PARALLEL", 16))
DIGITALPOST_BLOB_DIR = Path(os.environ.get("DIGITALPOST_BLOB_DIR", VAR_DIR / "blobs"))
DIGITALPOST_BLOB_FSYNC = os.environ.get("DIGITALPOST_BLOB_FSYNC", "1") == "1"
# MeMos up to this size wait in their database row for the worker to store them (decision 0003).
DIGITALPOST_JOURNAL_MAX_BYTES = int(os.environ.get("DIGITALPOST_JOURNAL_MAX_BYTES", 256 * 1024))
# Batch the commits of concurrent requests (threaded web server); see digitalpost.hub.group_commit.
DIGITALPOST_GROUP_COMMIT = os.environ.get("DIGITALPOST_GROUP_COMMIT", "") == "1"
DIGITALPOST_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DIGITALPOST_DELIVERY_MAX_ATTEMPTS", 8))

# Secure mail. The PKI folder is where `digitalpost dev-ca` writes the demo's certificates.
DIGITALPOST_PKI_DIR = Path(os.environ.get("DIGITALPOST_PKI_DIR", VAR_DIR / "pki"))
DIGITALPOST_HUB_CERT = Path(os.environ.get("DIGITALPOST_HUB_CERT", DIGITALPOST_PKI_DIR / "hub.pem"))
DIGITALPOST_HUB_KEY = Path(os.environ.get("DIGITALPOST_HUB_KEY", DIGITALPOST_PKI_DIR / "hub-key.pem"))
DIGITALPOST_TRUST_ANCHORS = Path(os.environ.get("DIGITALPOST_TRUST_ANCHORS", DIGITALPOST_PKI_DIR / "ca.pem"))
# "kid:base64secret,kid2:…"; the first key signs new dialog threads, all of them verify.
DIGITALPOST_THREAD_KEYS = os.environ.get("DIGITALPOST_THREAD_KEYS", "")
DIGITALPOST_HUB_ADDRESS = os.environ.get("DIGITALPOST_HUB_ADDRESS", "post@digitalpost.localhost")
DIGITALPOST_HUB_DOMAIN = DIGITALPOST_HUB_ADDRESS.rpartition("@")[2]
# Outbound secure mail goes through this relay (the authority's mail server in the demo).
DIGITALPOST_SMTP_RELAY_HOST = os.environ.get("DIGITALPOST_SMTP_RELAY_HOST", "127.0.0.1")
DIGITALPOST_SMTP_RELAY_PORT = int(os.environ.get("DIGITALPOST_SMTP_RELAY_PORT", 2526))
DIGITALPOST_SMTP_REQUIRE_TLS = os.environ.get("DIGITALPOST_SMTP_REQUIRE_TLS", "0") == "1"
DIGITALPOST_GATEWAY_HOST = os.environ.get("DIGITALPOST_GATEWAY_HOST", "127.0.0.1")
DIGITALPOST_GATEWAY_PORT = int(os.environ.get("DIGITALPOST_GATEWAY_PORT", 2525))
# Demo only: where the demo mail server stores the notices e-mailed to citizens and companies.
DIGITALPOST_NOTIFICATION_MAILDIR = Path(os.environ.get("DIGITALPOST_NOTIFICATION_MAILDIR", VAR_DIR / "notifications"))
# Notices to citizens and companies (docs/notifications.md): the e-mail "new Digital Post from <authority>" links
# to the web mailbox; an unread legal notification gets one reminder after LEGAL_REMINDER_DAYS days.
DIGITALPOST_MAILBOX_URL = os.environ.get("DIGITALPOST_MAILBOX_URL", "http://127.0.0.1:8000/")
DIGITALPOST_NOTIFY_FROM = os.environ.get("DIGITALPOST_NOTIFY_FROM", f"no-reply@{DIGITALPOST_HUB_DOMAIN}")
DIGITALPOST_NOTIFY_FROM_NAME = os.environ.get("DIGITALPOST_NOTIFY_FROM_NAME", "Digital Post")
DIGITALPOST_LEGAL_REMINDER_DAYS = float(os.environ.get("DIGITALPOST_LEGAL_REMINDER_DAYS", 3))
# NemSMS: "file" writes one JSON file per SMS into SMS_SINK; "http" POSTs it as JSON to SMS_HTTP_URL.
DIGITALPOST_SMS_PROVIDER = os.environ.get("DIGITALPOST_SMS_PROVIDER", "file")
DIGITALPOST_SMS_SINK = Path(os.environ.get("DIGITALPOST_SMS_SINK", VAR_DIR / "sms"))
DIGITALPOST_SMS_HTTP_URL = os.environ.get("DIGITALPOST_SMS_HTTP_URL", "")
DIGITALPOST_SMS_HTTP_TOKEN = os.environ.get("DIGITALPOST_SMS_HTTP_TOKEN", "")
DIGITALPOST_SMS_TIMEOUT_SECONDS = float(os.environ.get("DIGITALPOST_SMS_TIMEOUT_SECONDS", 10))
DIGITALPOST_AUTHORITY_MAILDIR = Path(os.environ.get("DIGITALPOST_AUTHORITY_MAILDIR", VAR_DIR / "authority-mail"))
DIGITALPOST_MAX_MAIL_BYTES = int(os.environ.get("DIGITALPOST_MAX_MAIL_BYTES", 150 * 1024 * 1024))
# REST push: seconds to wait for a receiver endpoint's answer (its certificate must chain to TRUST_ANCHORS).
DIGITALPOST_PUSH_TIMEOUT_SECONDS = float(os.environ.get("DIGITALPOST_PUSH_TIMEOUT_SECONDS", 30))
# Threads per worker process that forward inquiries to receiver systems. Each receiver system is a lane: at most
# one thread per process works on it, so a slow endpoint ties up one thread and the others serve the rest.
DIGITALPOST_FORWARD_THREADS = int(os.environ.get("DIGITALPOST_FORWARD_THREADS", 4))
# REST push goes to public addresses only (no loopback, private, link-local, reserved or multicast: an endpoint
# URL must not reach the hub's own services or the internal network). A platform operator may allow networks
# here, comma-separated CIDRs, e.g. "10.20.0.0/16" for receivers inside the organisation's own network.
DIGITALPOST_PUSH_ALLOWED_NETWORKS = [
    network.strip() for network in os.environ.get("DIGITALPOST_PUSH_ALLOWED_NETWORKS", "").split(",")
    if network.strip()
]
# Print (KombiPost): batches land in the spool folder the print provider collects from; its receipts come back
# in <spool>/receipts/.
DIGITALPOST_PRINT_SPOOL = Path(os.environ.get("DIGITALPOST_PRINT_SPOOL", VAR_DIR / "print-spool"))
DIGITALPOST_PRINT_BATCH_MAX = int(os.environ.get("DIGITALPOST_PRINT_BATCH_MAX", 1000))
# How batches reach the provider: "spool" (the folder above) or "sftp" (uploaded to the provider's server; the
# host key, an OpenSSH public key line or its SHA256 fingerprint, is required). Receipts are fetched from
# <folder>/receipts/ there; a copy of each applied one is kept in <spool>/receipts/done/.
DIGITALPOST_PRINT_TRANSPORT = os.environ.get("DIGITALPOST_PRINT_TRANSPORT", "spool")
DIGITALPOST_PRINT_SFTP_HOST = os.environ.get("DIGITALPOST_PRINT_SFTP_HOST", "")
DIGITALPOST_PRINT_SFTP_PORT = int(os.environ.get("DIGITALPOST_PRINT_SFTP_PORT", 22))
DIGITALPOST_PRINT_SFTP_USER = os.environ.get("DIGITALPOST_PRINT_SFTP_USER", "")
DIGITALPOST_PRINT_SFTP_KEY_FILE = os.environ.get("DIGITALPOST_PRINT_SFTP_KEY_FILE", "")
DIGITALPOST_PRINT_SFTP_HOST_KEY = os.environ.get("DIGITALPOST_PRINT_SFTP_HOST_KEY", "")
DIGITALPOST_PRINT_SFTP_FOLDER = os.environ.get("DIGITALPOST_PRINT_SFTP_FOLDER", ".")
DIGITALPOST_PRINT_SFTP_TIMEOUT_SECONDS = float(os.environ.get("DIGITALPOST_PRINT_SFTP_TIMEOUT_SECONDS", 30))
# The doctor: alerts are sent from this address (default: the hub's); a pull receiver leaving inquiries unfetched
# this long fails its probe.
DIGITALPOST_ALERT_FROM = os.environ.get("DIGITALPOST_ALERT_FROM", "")
DIGITALPOST_PROBE_PULL_HOURS = float(os.environ.get("DIGITALPOST_PROBE_PULL_HOURS", 24))
# Where people reach the portal (links in the doctor's alert e-mails).
DIGITALPOST_PORTAL_URL = os.environ.get("DIGITALPOST_PORTAL_URL", "http://127.0.0.1:8000")
# A receiver system failing this long is deactivated and its owners alerted; its mail keeps waiting.
DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS = int(os.environ.get("DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS", 7))
# Mutual TLS for the sender API (docs/deploy.md): a reverse proxy verifies the client certificate and
# forwards it in X-SSL-Client-Verify / X-SSL-Client-Cert. Those headers count only from these addresses
# (comma-separated IPs; empty: never). With REQUIRE_CLIENT_CERT every sender call needs a verified
# certificate, and it must be the one registered for the system whose token is used.
DIGITALPOST_TRUSTED_PROXIES = [
    a.strip() for a in os.environ.get("DIGITALPOST_TRUSTED_PROXIES", "").split(",") if a.strip()
]
DIGITALPOST_REQUIRE_CLIENT_CERT = os.environ.get("DIGITALPOST_REQUIRE_CLIENT_CERT", "0") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # CPR numbers never reach a log line (config.logs): the filter sits on the handler, so records of every
    # logger (django.server's request lines included) pass it.
    "filters": {"mask_cpr": {"()": "digitalpost.config.logs.MaskCprNumbers"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_cpr"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DIGITALPOST_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}
LOGIN_URL = "/login/"
PORTAL_LOGIN_URL = "/portal/login/"
if TESTING:
    # Tests create many users; the real hasher's deliberate slowness buys nothing there.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
