"""The ASGI application `digitalpost run` serves (granian): Django's WSGI application behind the body-reading
front of `digitalpost.hub.http_front`, so slow clients never hold a request thread."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from digitalpost.hub.heap import freeze_startup_heap
from digitalpost.hub.http_front import BodyLimits, BufferedWSGI

application = BufferedWSGI(
    get_wsgi_application(),
    threads=settings.DIGITALPOST_WEB_THREADS,
    limits=BodyLimits(
        form_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        upload_bytes=settings.DIGITALPOST_MAX_UPLOAD_BYTES,
        memo_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES,
        archive_bytes=settings.DIGITALPOST_MAX_ARCHIVE_BYTES,
        api_bytes=settings.DIGITALPOST_MAX_API_BYTES,
        min_upload_rate=settings.DIGITALPOST_WEB_MIN_UPLOAD_RATE,
        grace_seconds=settings.DIGITALPOST_WEB_BODY_GRACE_SECONDS,
    ),
)

# The views and the API schema are loaded now rather than by the first request, so that they too are start-up
# objects the collector's full passes no longer walk (a full pass over ~150,000 of them cost a request 40-180 ms).
get_resolver().url_patterns  # noqa: B018
freeze_startup_heap()
