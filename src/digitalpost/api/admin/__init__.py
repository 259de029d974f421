"""The admin API under /apis/v1/admin/: an organisation's set-up for programs, with a personal admin token.

Same permissions as the portal: every operation declares the one action it needs with
`access.org_operation` (or `platform_operation`, `signed_in_operation`), which enters the organisation
through accounts.selectors.access_organisation and carries the action as the route's access rule for the
access-matrix test. One module per resource.
"""

from __future__ import annotations

from ninja import Router

from digitalpost.api.admin import (
    addresses,
    audit,
    doctor,
    mailboxes,
    materials,
    organisations,
    receivers,
    register,
    senders,
    statistics,
    users,
)
from digitalpost.api.admin.auth import AdminTokenAuth

router = Router(auth=AdminTokenAuth())
for module in (organisations, users, mailboxes, addresses, senders, receivers, materials, audit, doctor, statistics,
               register):
    router.add_router("", module.router)
