"""Personal admin API tokens in the portal: list, issue (secret shown once), revoke only one's own."""

from __future__ import annotations

import re

from django.test import Client

from digitalpost.accounts.models import AdminToken
from digitalpost.accounts.services import issue_admin_token
from digitalpost.audit.models import AuditEntry

TOKENS = "/portal/account/tokens/"


def secret_in(html: str) -> str | None:
    found = re.search(r'<p class="secret">(dpa_[^<]+)</p>', html)
    return found.group(1) if found else None


def test_issuing_shows_the_secret_once_and_it_opens_the_admin_api(staff, cast):
    client = staff.client(staff.nora)
    response = client.post(TOKENS, {"name": "nightly sync"})
    assert response.status_code == 200
    secret = secret_in(response.content.decode())
    assert secret
    token = AdminToken.objects.get(user=staff.nora)
    assert token.name == "nightly sync"
    assert secret not in client.get(TOKENS).content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(f"/apis/v1/admin/organisations/{cast.nordby.authority.cvr}").status_code == 200
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_user_id) == ("admin_token.issued", staff.nora.pk)


def test_a_token_needs_a_name(staff):
    response = staff.client(staff.nora).post(TOKENS, {"name": ""})
    assert response.status_code == 200
    assert secret_in(response.content.decode()) is None
    assert not AdminToken.objects.exists()


def test_the_list_shows_only_my_tokens_with_their_state(staff):
    issue_admin_token(user=staff.nora, name="mine")
    issue_admin_token(user=staff.sofie, name="hers")
    html = staff.client(staff.nora).get(TOKENS).content.decode()
    assert "mine" in html
    assert "hers" not in html
    assert "never" in html


def test_revoking_my_token_stops_it(staff, cast):
    issued = issue_admin_token(user=staff.nora, name="old")
    response = staff.client(staff.nora).post(f"{TOKENS}{issued.token.pk}/revoke/")
    assert response.status_code == 302
    assert AdminToken.objects.get(pk=issued.token.pk).revoked_at is not None
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert api.get(f"/apis/v1/admin/organisations/{cast.nordby.authority.cvr}").status_code == 401
    assert AuditEntry.objects.order_by("-seq").first().action == "admin_token.revoked"


def test_another_users_token_cannot_be_revoked(staff):
    hers = issue_admin_token(user=staff.sofie, name="hers")
    response = staff.client(staff.nora).post(f"{TOKENS}{hers.token.pk}/revoke/")
    assert response.status_code == 404
    assert b"object.not.found" in response.content
    assert AdminToken.objects.get(pk=hers.token.pk).revoked_at is None


def test_revoking_needs_post(staff):
    mine = issue_admin_token(user=staff.nora, name="mine")
    assert staff.client(staff.nora).get(f"{TOKENS}{mine.token.pk}/revoke/").status_code == 405
    assert AdminToken.objects.get(pk=mine.token.pk).revoked_at is None


def test_the_page_needs_sign_in(db):
    response = Client().get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")
