"""Settings, read from the environment so one build runs as demo, test or production.

DIGITALPOST_VAR      folder for the SQLite file, blobs and demo files (default ./var)
DATABASE_URL         selects PostgreSQL (postgres://…); default is SQLite in DIGITALPOST_VAR
DIGITALPOST_DEMO     "1" enables demo sign-in and demo data commands
DIGITALPOST_SECRET_KEY  required outside demo and tests; demo mode keeps a generated key in var/
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from datetime import timedelta
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "ninja",
    "digitalpost.audit",
    "digitalpost.authorities",
    "digitalpost.accounts",
    "digitalpost.systems",
    "digitalpost.registry",
    "digitalpost.attorney",
    "digitalpost.outbox",
    "digitalpost.messages",
    "digitalpost.filing",
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
    "digitalpost.hub.requestid.RequestIdMiddleware",
    "digitalpost.hub.proxies.TrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "digitalpost.hub.sessions.SeparateSessionsMiddleware",  # Django's, with the mailbox's own cookie
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "digitalpost.hub.csp.HubCSPMiddleware",  # django-csp, with the identity providers in form-action
    # Last, as django-axes asks: it turns a sign-in refused for too many failures into the lock-out page.
    "axes.middleware.AxesMiddleware",
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
                "digitalpost.portal.context.staff_sign_on",
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

# Request bodies, per route (docs/deploy.md, "Security limits"). Forms to the pages: at most
# DATA_UPLOAD_MAX_MEMORY_SIZE (files of a multipart upload are streamed to disk by Django and count against
# DIGITALPOST_MAX_UPLOAD_BYTES instead). A MeMo from an authority may be 99.5 MB (brief §4.1); the API reads it.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DIGITALPOST_MAX_FORM_BYTES", 2 * 1024 * 1024))
DIGITALPOST_MAX_UPLOAD_BYTES = int(os.environ.get("DIGITALPOST_MAX_UPLOAD_BYTES", 101 * 1024 * 1024))
DIGITALPOST_MAX_MEMO_BYTES = int(os.environ.get("DIGITALPOST_MAX_MEMO_BYTES", 99_500_000))
# MeMos from this size on are "large": at most LARGE_MEMOS_PER_SENDER of one sender system are parsed at once
# (per host); one more is answered 429 submissions.too.many with Retry-After.
DIGITALPOST_LARGE_MEMO_BYTES = int(os.environ.get("DIGITALPOST_LARGE_MEMO_BYTES", 8 * 1024 * 1024))
DIGITALPOST_LARGE_MEMOS_PER_SENDER = int(os.environ.get("DIGITALPOST_LARGE_MEMOS_PER_SENDER", 2))
DIGITALPOST_MAX_ARCHIVE_BYTES = int(os.environ.get("DIGITALPOST_MAX_ARCHIVE_BYTES", 8 * 1024**3))
DIGITALPOST_MAX_API_BYTES = int(os.environ.get("DIGITALPOST_MAX_API_BYTES", 64 * 1024 * 1024))
# The web server (granian, `digitalpost run`): request threads per process, how long a client may take to send
# its headers, and the slowest body accepted (bytes/s on average after the grace).
DIGITALPOST_WEB_THREADS = int(os.environ.get("DIGITALPOST_WEB_THREADS", 8))
DIGITALPOST_WEB_HEADER_SECONDS = float(os.environ.get("DIGITALPOST_WEB_HEADER_SECONDS", 10))
DIGITALPOST_WEB_BODY_GRACE_SECONDS = float(os.environ.get("DIGITALPOST_WEB_BODY_GRACE_SECONDS", 10))
DIGITALPOST_WEB_MIN_UPLOAD_RATE = int(os.environ.get("DIGITALPOST_WEB_MIN_UPLOAD_RATE", 32 * 1024))
# Mass sends (docs/mass-sends.md): largest item of an archive (larger ones are refused with memo.too.large,
# unread), bytes read from the request per step, items accepted together in one transaction (with their
# receipts and the progress counts: the step of the progress), the bytes at which a group closes early, and
# after how long without progress a RUNNING mass send is reported as INTERRUPTED (its process died: send the
# archive again). DIGITALPOST_BULK_DELIVER_BATCH: deliveries the DELIVER_BULK worker records per commit.
DIGITALPOST_BULK_MAX_ITEM_BYTES = int(os.environ.get("DIGITALPOST_BULK_MAX_ITEM_BYTES", 20 * 1024 * 1024))
DIGITALPOST_BULK_READ_CHUNK = int(os.environ.get("DIGITALPOST_BULK_READ_CHUNK", 64 * 1024))
DIGITALPOST_BULK_GROUP_ITEMS = int(os.environ.get("DIGITALPOST_BULK_GROUP_ITEMS", 250))
DIGITALPOST_BULK_GROUP_BYTES = int(os.environ.get("DIGITALPOST_BULK_GROUP_BYTES", 8 * 1024 * 1024))
DIGITALPOST_BULK_STALE_SECONDS = int(os.environ.get("DIGITALPOST_BULK_STALE_SECONDS", 300))
DIGITALPOST_BULK_DELIVER_BATCH = int(os.environ.get("DIGITALPOST_BULK_DELIVER_BATCH", 100))
DIGITALPOST_BLOB_DIR = Path(os.environ.get("DIGITALPOST_BLOB_DIR", VAR_DIR / "blobs"))
DIGITALPOST_BLOB_FSYNC = os.environ.get("DIGITALPOST_BLOB_FSYNC", "1") == "1"
# Where blobs live (docs/deploy.md, "Document storage"): "local" (the folder above) or "s3" (a bucket).
DIGITALPOST_BLOB_BACKEND = os.environ.get("DIGITALPOST_BLOB_BACKEND", "local")
DIGITALPOST_S3_ENDPOINT = os.environ.get("DIGITALPOST_S3_ENDPOINT", "")
DIGITALPOST_S3_BUCKET = os.environ.get("DIGITALPOST_S3_BUCKET", "")
DIGITALPOST_S3_REGION = os.environ.get("DIGITALPOST_S3_REGION", "")
DIGITALPOST_S3_PREFIX = os.environ.get("DIGITALPOST_S3_PREFIX", "blobs/")
# Empty: taken from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_*) environment variables.
DIGITALPOST_S3_ACCESS_KEY_ID = os.environ.get("DIGITALPOST_S3_ACCESS_KEY_ID", "")
DIGITALPOST_S3_SECRET_ACCESS_KEY = os.environ.get("DIGITALPOST_S3_SECRET_ACCESS_KEY", "")
DIGITALPOST_S3_PATH_STYLE = os.environ.get("DIGITALPOST_S3_PATH_STYLE", "0") == "1"
# Documents encrypted at rest (decision 0008): "kid:base64-32-byte-key,kid2:…"; the first wraps new blobs'
# data keys, every one listed still opens what it wrapped. Empty: blobs are stored unencrypted.
DIGITALPOST_BLOB_KEYS = os.environ.get("DIGITALPOST_BLOB_KEYS", "")
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
# Gateway limits (docs/deploy.md): seconds without a command (or to send DATA), seconds a session may last in all,
# and sessions open at once; each is answered with 421 before the connection is closed.
DIGITALPOST_GATEWAY_IDLE_SECONDS = float(os.environ.get("DIGITALPOST_GATEWAY_IDLE_SECONDS", 300))
DIGITALPOST_GATEWAY_SESSION_SECONDS = float(os.environ.get("DIGITALPOST_GATEWAY_SESSION_SECONDS", 1800))
DIGITALPOST_GATEWAY_MAX_SESSIONS = int(os.environ.get("DIGITALPOST_GATEWAY_MAX_SESSIONS", 100))
# `digitalpost smtp` processes sharing the gateway's port (SO_REUSEPORT): a reply's work is Python, one core each.
DIGITALPOST_GATEWAY_PROCESSES = int(os.environ.get("DIGITALPOST_GATEWAY_PROCESSES", 2))
# Demo only: where the demo mail server stores the notices e-mailed to citizens and companies.
DIGITALPOST_NOTIFICATION_MAILDIR = Path(os.environ.get("DIGITALPOST_NOTIFICATION_MAILDIR", VAR_DIR / "notifications"))
# Notices to citizens and companies (docs/notifications.md): the e-mail "new Digital Post from <authority>" links
# to the web mailbox; an unread legal notification gets one reminder after LEGAL_REMINDER_DAYS days.
DIGITALPOST_MAILBOX_URL = os.environ.get("DIGITALPOST_MAILBOX_URL", "http://127.0.0.1:8000/")
DIGITALPOST_NOTIFY_FROM = os.environ.get("DIGITALPOST_NOTIFY_FROM", f"no-reply@{DIGITALPOST_HUB_DOMAIN}")
DIGITALPOST_NOTIFY_FROM_NAME = os.environ.get("DIGITALPOST_NOTIFY_FROM_NAME", "Digital Post")
# Forwarding a letter from the web mailbox to an e-mail address (docs/forwarding.md): off unless switched on. The
# e-mail says who forwarded what; it carries the documents only when the person ticks that they want them.
DIGITALPOST_FORWARD_TO_EMAIL = os.environ.get("DIGITALPOST_FORWARD_TO_EMAIL", "0") == "1"
DIGITALPOST_LEGAL_REMINDER_DAYS = float(os.environ.get("DIGITALPOST_LEGAL_REMINDER_DAYS", 3))
# NemSMS: "file" writes one JSON file per SMS into SMS_SINK; "http" POSTs it as JSON to SMS_HTTP_URL.
DIGITALPOST_SMS_PROVIDER = os.environ.get("DIGITALPOST_SMS_PROVIDER", "file")
DIGITALPOST_SMS_SINK = Path(os.environ.get("DIGITALPOST_SMS_SINK", VAR_DIR / "sms"))
DIGITALPOST_SMS_HTTP_URL = os.environ.get("DIGITALPOST_SMS_HTTP_URL", "")
DIGITALPOST_SMS_HTTP_TOKEN = os.environ.get("DIGITALPOST_SMS_HTTP_TOKEN", "")
DIGITALPOST_SMS_TIMEOUT_SECONDS = float(os.environ.get("DIGITALPOST_SMS_TIMEOUT_SECONDS", 10))
DIGITALPOST_AUTHORITY_MAILDIR = Path(os.environ.get("DIGITALPOST_AUTHORITY_MAILDIR", VAR_DIR / "authority-mail"))
DIGITALPOST_MAX_MAIL_BYTES = int(os.environ.get("DIGITALPOST_MAX_MAIL_BYTES", 150 * 1024 * 1024))
# Operations: /readyz answers 503 when the oldest due delivery or forward has waited longer than this; /metrics
# asks for `Authorization: Bearer <token>` when a token is set (else restrict it in the proxy).
DIGITALPOST_READY_MAX_LAG_SECONDS = float(os.environ.get("DIGITALPOST_READY_MAX_LAG_SECONDS", 300))
DIGITALPOST_METRICS_TOKEN = os.environ.get("DIGITALPOST_METRICS_TOKEN", "")
# Workers: a heartbeat every few seconds keeps a worker's claimed jobs its own; a worker silent for longer than
# the stale time (or, on the same host, whose process is gone) has its jobs handed to the others.
DIGITALPOST_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("DIGITALPOST_WORKER_HEARTBEAT_SECONDS", 2))
DIGITALPOST_WORKER_STALE_SECONDS = float(os.environ.get("DIGITALPOST_WORKER_STALE_SECONDS", 10))
# The name this node goes by in worker presences and scheduler passes (default: the host name). Processes of one
# node share it: a worker whose process is gone is taken for dead at once only by a worker of the same node.
DIGITALPOST_NODE_NAME = os.environ.get("DIGITALPOST_NODE_NAME", "") or socket.gethostname()
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
# Processes a PRINT worker renders its letters in (printing.rendering); 0: one per CPU, at most 4; 1: in-process.
DIGITALPOST_PRINT_RENDER_PROCESSES = int(os.environ.get("DIGITALPOST_PRINT_RENDER_PROCESSES", 0))
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
# Retention (filing.services.retention, docs/mailbox.md): Deleted is emptied this many days after a message was
# deleted; a deceased citizen's mailbox is removed this many years after the death, a closed company's after its
# closing day (both from the contact register's `closed_on`). 0 turns a rule off.
DIGITALPOST_RETENTION_DELETED_DAYS = int(os.environ.get("DIGITALPOST_RETENTION_DELETED_DAYS", 30))
DIGITALPOST_RETENTION_DECEASED_YEARS = int(os.environ.get("DIGITALPOST_RETENTION_DECEASED_YEARS", 5))
DIGITALPOST_RETENTION_CLOSED_COMPANY_YEARS = int(os.environ.get("DIGITALPOST_RETENTION_CLOSED_COMPANY_YEARS", 10))
DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS = int(os.environ.get("DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS", 7))
# Mutual TLS for the sender API (docs/deploy.md): a reverse proxy verifies the client certificate and
# forwards it in X-SSL-Client-Verify / X-SSL-Client-Cert. Those headers count only from these addresses
# (comma-separated IPs; empty: never). With REQUIRE_CLIENT_CERT every sender call needs a verified
# certificate, and it must be the one registered for the system whose token is used.
DIGITALPOST_TRUSTED_PROXIES = [
    a.strip() for a in os.environ.get("DIGITALPOST_TRUSTED_PROXIES", "").split(",") if a.strip()
]
DIGITALPOST_REQUIRE_CLIENT_CERT = os.environ.get("DIGITALPOST_REQUIRE_CLIENT_CERT", "0") == "1"

# DIGITALPOST_LOG_FORMAT=json: one JSON object per line, for log shippers; every line carries the request id.
LOG_FORMAT = os.environ.get("DIGITALPOST_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # CPR numbers never reach a log line (config.logs): the filter sits on the handler, so records of every
    # logger (django.server's request lines included) pass it; every line carries the request id.
    "filters": {"request_id": {"()": "digitalpost.hub.requestid.RequestIdFilter"},
                "mask_cpr": {"()": "digitalpost.config.logs.MaskCprNumbers"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id", "mask_cpr"],
                             "formatter": "json" if LOG_FORMAT == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DIGITALPOST_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
# Sign-in to the web mailbox with MitID through OpenID Connect (NemLog-in or a MitID broker; docs/deploy.md).
# Off while DISCOVERY_URL is empty: then only demo mode signs anyone in (the demo picker).
DIGITALPOST_OIDC_DISCOVERY_URL = os.environ.get("DIGITALPOST_OIDC_DISCOVERY_URL", "")
DIGITALPOST_OIDC_CLIENT_ID = os.environ.get("DIGITALPOST_OIDC_CLIENT_ID", "")
DIGITALPOST_OIDC_CLIENT_SECRET = os.environ.get("DIGITALPOST_OIDC_CLIENT_SECRET", "")
DIGITALPOST_OIDC_SCOPES = os.environ.get("DIGITALPOST_OIDC_SCOPES", "openid")
# Where the provider sends the browser back to (registered at the provider); empty: derived from the request.
DIGITALPOST_OIDC_REDIRECT_URL = os.environ.get("DIGITALPOST_OIDC_REDIRECT_URL", "")
DIGITALPOST_OIDC_POST_LOGOUT_URL = os.environ.get("DIGITALPOST_OIDC_POST_LOGOUT_URL", "")
DIGITALPOST_OIDC_CLOCK_SKEW_SECONDS = int(os.environ.get("DIGITALPOST_OIDC_CLOCK_SKEW_SECONDS", 60))
DIGITALPOST_OIDC_MIN_LOA = os.environ.get("DIGITALPOST_OIDC_MIN_LOA", "Substantial")
# Claim names, defaults from NemLog-in's OIDC attribute profile (the OIOSAML 3 attribute names).
_EID = "https://data.gov.dk/model/core/eid"
DIGITALPOST_OIDC_CLAIM_CPR = os.environ.get("DIGITALPOST_OIDC_CLAIM_CPR", f"{_EID}/cprNumber")
DIGITALPOST_OIDC_CLAIM_CVR = os.environ.get("DIGITALPOST_OIDC_CLAIM_CVR", f"{_EID}/professional/cvr")
DIGITALPOST_OIDC_CLAIM_EMPLOYEE_ID = os.environ.get(
    "DIGITALPOST_OIDC_CLAIM_EMPLOYEE_ID", f"{_EID}/professional/uuid/persistent")
DIGITALPOST_OIDC_CLAIM_NAME = os.environ.get("DIGITALPOST_OIDC_CLAIM_NAME", f"{_EID}/fullName")
DIGITALPOST_OIDC_CLAIM_LOA = os.environ.get("DIGITALPOST_OIDC_CLAIM_LOA", "https://data.gov.dk/concept/core/nsis/loa")
DIGITALPOST_OIDC_CLAIM_PRIVILEGES = os.environ.get(
    "DIGITALPOST_OIDC_CLAIM_PRIVILEGES", f"{_EID}/privilegesIntermediate")
# The privilege (in the privileges claim) that makes an employee the administrator of the company's mailbox.
DIGITALPOST_OIDC_COMPANY_ADMIN_PRIVILEGE = os.environ.get(
    "DIGITALPOST_OIDC_COMPANY_ADMIN_PRIVILEGE", "urn:dk:digitalpost:privilege:company-mailbox-administrator")
# Staff single sign-on, per organisation (docs/deploy.md): a JSON object from CVR number to that organisation's
# OpenID provider, {"discovery_url", "client_id", "client_secret", "claim", "scopes"}; "claim" (default
# preferred_username) names the claim whose value is the member's user name in the portal.
DIGITALPOST_STAFF_SSO: dict[str, dict[str, str]] = json.loads(os.environ.get("DIGITALPOST_STAFF_SSO", "") or "{}")
# Mailbox sessions: signed out after this many idle seconds (a warning shows WARNING seconds before), and
# after ABSOLUTE seconds whatever happens.
DIGITALPOST_MAILBOX_IDLE_SECONDS = int(os.environ.get("DIGITALPOST_MAILBOX_IDLE_SECONDS", 15 * 60))
DIGITALPOST_MAILBOX_IDLE_WARNING_SECONDS = int(os.environ.get("DIGITALPOST_MAILBOX_IDLE_WARNING_SECONDS", 120))
DIGITALPOST_MAILBOX_ABSOLUTE_SECONDS = int(os.environ.get("DIGITALPOST_MAILBOX_ABSOLUTE_SECONDS", 8 * 3600))

# Cookies and TLS (docs/deploy.md). Behind a TLS-terminating proxy listed in DIGITALPOST_TRUSTED_PROXIES that
# sets X-Forwarded-Proto, turn DIGITALPOST_TLS on: cookies are then sent over https only and HSTS is set.
DIGITALPOST_TLS = os.environ.get("DIGITALPOST_TLS", "0") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = DIGITALPOST_TLS
SECURE_HSTS_SECONDS = int(os.environ.get("DIGITALPOST_HSTS_SECONDS", 31_536_000 if DIGITALPOST_TLS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("DIGITALPOST_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("DIGITALPOST_HSTS_PRELOAD", "0") == "1"
# The header counts only from DIGITALPOST_TRUSTED_PROXIES (digitalpost.hub.proxies drops it from anyone else).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if DIGITALPOST_TLS else None
# Sessions are short: they end this many seconds after sign-in (and when the browser closes);
# the mailbox's own idle and absolute limits above apply on top.
SESSION_COOKIE_AGE = int(os.environ.get("DIGITALPOST_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The mailbox's session cookie; the portal keeps Django's (digitalpost.hub.sessions).
DIGITALPOST_MAILBOX_SESSION_COOKIE = os.environ.get("DIGITALPOST_MAILBOX_SESSION_COOKIE", "mailbox_sessionid")

# The e-mail address the accessibility statement gives for reporting what is not accessible (/accessibility/);
# empty: the statement asks people to contact the organisation that runs the hub.
DIGITALPOST_ACCESSIBILITY_CONTACT = os.environ.get("DIGITALPOST_ACCESSIBILITY_CONTACT", "")

LOGIN_URL = "/login/"
PORTAL_LOGIN_URL = "/portal/login/"

# Portal staff with local accounts (docs/deploy.md, "Staff sign-in"): password, then a mandatory second factor
# (TOTP, django-otp); repeated failures lock out (django-axes), counted per user name and per client address
# apart, so neither guessing one account from many addresses nor many accounts from one address gets far.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses before the password is even checked while locked out
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DIGITALPOST_SIGNIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("DIGITALPOST_SIGNIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log already
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code", "csrfmiddlewaretoken"]
AXES_LOCKOUT_TEMPLATE = "portal/signin/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "digitalpost.portal.client_address.client_address"
AXES_HTTP_RESPONSE_CODE = 429
# A wrong second-factor code counts as a failed sign-in for django-axes (one lock-out policy for both steps), so
# django-otp's own per-device back-off is off: it would make a right code typed after a wrong one fail too.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# A verified second factor older than this is asked for again before tokens, roles, certificates and secure
# addresses change.
DIGITALPOST_REAUTH_MINUTES = float(os.environ.get("DIGITALPOST_REAUTH_MINUTES", 10))
# A password-reset link works once, and only this long.
PASSWORD_RESET_TIMEOUT = int(float(os.environ.get("DIGITALPOST_RESET_LINK_MINUTES", 30)) * 60)
# An invitation to join an organisation (its link, mailed to the invitee) works once, and only this long.
DIGITALPOST_INVITATION_DAYS = float(os.environ.get("DIGITALPOST_INVITATION_DAYS", 7))
# Invitations one organisation may send in 24 hours: a stolen administrator session cannot turn the hub's relay
# into a mass mailer.
DIGITALPOST_INVITATIONS_PER_DAY = int(os.environ.get("DIGITALPOST_INVITATIONS_PER_DAY", 100))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": int(os.environ.get("DIGITALPOST_PASSWORD_MIN_LENGTH", 12))}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The issuer shown in authenticator apps next to the user name.
OTP_TOTP_ISSUER = os.environ.get("DIGITALPOST_TOTP_ISSUER", "Digital Post")
if TESTING:
    # Tests create many users; the real hasher's deliberate slowness buys nothing there.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
