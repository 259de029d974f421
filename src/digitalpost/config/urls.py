"""Root URLs: the sender and admin API under /apis/v1/, the authority portal under /portal/, the web mailbox
at /, language switching under /i18n/."""

from django.urls import include, path

from digitalpost.api.app import api

urlpatterns = [
    path("apis/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("digitalpost.portal.urls")),
    path("", include("digitalpost.inbox.urls")),
]
