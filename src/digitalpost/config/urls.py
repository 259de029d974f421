"""Root URLs: the sender and admin API under /apis/v1/, the authority portal under /portal/, the web mailbox
at /, language switching under /i18n/; /healthz, /readyz and /metrics for operators."""

from django.urls import include, path

from digitalpost.api import operations
from digitalpost.api.app import api

urlpatterns = [
    path("healthz", operations.healthz, name="healthz"),
    path("readyz", operations.readyz, name="readyz"),
    path("metrics", operations.metrics, name="metrics"),
    path("apis/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("digitalpost.portal.urls")),
    path("", include("digitalpost.inbox.urls")),
]
