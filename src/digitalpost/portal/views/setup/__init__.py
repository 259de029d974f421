"""Portal pages: the organisation's set-up — profile and permissions, people and roles, mailboxes, materials
and subscription groups — and the platform operator's new-organisation page, one module per area.

Each page parses its form, calls one service and redirects, or shows the service's refusal on the form with
its code. Wrong set-up (a mailbox that delivers nowhere, a material whose replies cannot be written) is
flagged on the lists and edit pages, not only refused.
"""

from digitalpost.portal.views.setup import mailboxes, materials, people, platform, profile

# The platform page first: fixed prefixes before "<cvr>/…".
urlpatterns = (
    platform.urlpatterns + profile.urlpatterns + people.urlpatterns + mailboxes.urlpatterns + materials.urlpatterns
)
