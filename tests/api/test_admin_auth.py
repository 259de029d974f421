"""The admin API's door: a personal admin token (`dpa_…`) and nothing else; and it opens nothing else."""

from __future__ import annotations

from django.test import Client

from digitalpost.accounts.models import AdminToken
from digitalpost.accounts.services import issue_admin_token, revoke_admin_token

PROFILE = "/apis/v1/admin/organisations/{cvr}"


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_valid_admin_token_acts_as_its_user_and_is_marked_used(staff, cast):
    issued = issue_admin_token(user=staff.nora, name="sync")
    response = bearer(issued.secret).get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 200
    assert response.json()["cvr"] == cast.nordby.authority.cvr
    assert AdminToken.objects.get(pk=issued.token.pk).last_used_at is not None


def test_a_missing_token_is_refused_with_401_saying_what_to_send(staff, cast):
    response = Client().get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] == "sign.in.required"
    assert "no admin token" in response.json()["detail"]


def test_an_unknown_token_is_refused_with_401(staff, cast):
    response = bearer("dpa_made-up-token").get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 401
    assert response.json()["errorCode"] == "sign.in.required"


def test_a_revoked_token_is_refused_with_401(staff, cast):
    issued = issue_admin_token(user=staff.nora, name="old")
    client = bearer(issued.secret)
    assert client.get(PROFILE.format(cvr=cast.nordby.authority.cvr)).status_code == 200
    revoke_admin_token(token=issued.token)
    response = client.get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 401
    assert response.json()["errorCode"] == "sign.in.required"


def test_a_sender_systems_token_does_not_open_the_admin_api(staff, cast):
    response = cast.nordby.client().get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 401
    assert response.json()["errorCode"] == "sign.in.required"


def test_a_sender_token_sent_as_basic_auth_does_not_open_the_admin_api_either(staff, cast):
    response = cast.nordby.client(basic=True).get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 401


def test_an_admin_token_does_not_open_the_sender_api(staff, cast):
    issued = issue_admin_token(user=staff.nora, name="sync")
    client = bearer(issued.secret)
    assert client.get("/apis/v1/receipts").status_code == 401
    refused = cast.nordby.submit(cast.nordby.memo(cast.anna), client=client)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "authentication.failed"


def test_a_signed_in_browser_session_does_not_open_the_admin_api(staff, cast):
    """The API is for programs with tokens; a portal session cookie is not a credential there."""
    response = staff.client(staff.nora).get(PROFILE.format(cvr=cast.nordby.authority.cvr))
    assert response.status_code == 401


def test_a_deactivated_users_token_stops_working(staff, cast):
    issued = issue_admin_token(user=staff.nora, name="sync")
    staff.nora.is_active = False
    staff.nora.save(update_fields=["is_active"])
    assert bearer(issued.secret).get(PROFILE.format(cvr=cast.nordby.authority.cvr)).status_code == 401
