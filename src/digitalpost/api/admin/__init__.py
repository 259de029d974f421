"""The admin API under /apis/v1/admin/: an organisation's set-up for programs, with a personal admin token.

Same permissions as the portal: every operation enters the organisation through
accounts.selectors.access_organisation with the action it needs, and carries that action as its access
rule (core.roles.access_rule) for the access-matrix test. One module per resource.
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
