"""Portal pages: secure addresses, sender systems, receiver systems and the certificates overview, one module
per area.

Everyone with VIEW_SETUP sees the lists; changes need EDIT_SETUP. Each view parses its form, loads the object
through a systems selector that filters by the organisation (another organisation's id answers 404), calls one
service and redirects, or shows the refusal on the form. Tokens are shown once, on the page that answers the
POST that made them, and never again.
"""

from digitalpost.portal.views.systems import addresses, certificates, receivers, senders

urlpatterns = addresses.urlpatterns + senders.urlpatterns + receivers.urlpatterns + certificates.urlpatterns
