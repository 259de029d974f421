"""GET /apis/v1/admin/organisations/{cvr}/audit: the organisation's audit log, newest first, in pages."""

from __future__ import annotations

from ninja import Query, Router

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS
from digitalpost.api.admin.schemas import AuditEntryOut, AuditPageOut, AuditQuery
from digitalpost.audit.selectors import AuditFilter, filter_entries, list_entries
from digitalpost.core.roles import Action

router = Router(tags=["admin: audit"])


@router.get("/organisations/{cvr}/audit", response={200: AuditPageOut, **ERRORS}, summary="Audit log",
            description="Every change to the organisation's set-up, roles and certificates, with before and "
                        "after. Page with ?before=<next>.")
@org_operation(Action.VIEW_AUDIT)
def list_audit_entries(request: AdminRequest, org: OrgAccess, query: Query[AuditQuery]) -> AuditPageOut:
    entries = filter_entries(
        list_entries(organisation=org.authority.cvr),
        AuditFilter(action_prefix=query.action, actor=query.actor, since=query.since, until=query.until),
    )
    if query.before is not None:
        entries = entries.filter(seq__lt=query.before)
    page = list(entries[: query.limit + 1])
    more = len(page) > query.limit
    page = page[: query.limit]
    return AuditPageOut(entries=[AuditEntryOut.of(e) for e in page], next=page[-1].seq if more else None)
