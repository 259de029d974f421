"""The authority portal under /portal/: sign-in, then everything inside /portal/<cvr>/."""

from digitalpost.portal.views import (
    account,
    attorney,
    audit,
    casework,
    doctor,
    home,
    invitation,
    register,
    setup,
    signin,
    sso,
    statistics,
    systems,
)

app_name = "portal"
# Fixed prefixes and area pages first: "<cvr>/" (the overview) must not swallow them.
urlpatterns = (
    signin.urlpatterns + sso.urlpatterns + invitation.urlpatterns + account.urlpatterns + setup.urlpatterns
    + systems.urlpatterns
    + casework.urlpatterns
    + audit.urlpatterns
    + doctor.urlpatterns + statistics.urlpatterns + register.urlpatterns + attorney.urlpatterns
    + home.urlpatterns
)
