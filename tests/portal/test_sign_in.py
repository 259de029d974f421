"""Signing in to the portal and entering an organisation."""

from __future__ import annotations

from django.test import Client

from cast import STAFF_PASSWORD


def test_sign_in_takes_a_one_organisation_user_to_its_overview(staff, cast):
    client = Client()
    response = client.post("/portal/login/", {"username": "nora", "password": STAFF_PASSWORD, "next": "/portal/"})
    assert response.status_code == 302
    response = client.get("/portal/", follow=True)
    assert response.redirect_chain[-1][0] == f"/portal/{cast.nordby.authority.cvr}/"
    assert "Nordby Kommune" in response.content.decode()


def test_sign_in_without_next_goes_to_the_organisation_chooser(staff):
    response = Client().post("/portal/login/", {"username": "nora", "password": STAFF_PASSWORD})
    assert response["Location"] == "/portal/"


def test_a_wrong_password_is_refused_with_a_clear_text(staff):
    response = Client().post("/portal/login/", {"username": "nora", "password": "wrong"})
    assert response.status_code == 200
    assert "superadministrator" in response.content.decode()


def test_pages_need_sign_in(cast):
    response = Client().get(f"/portal/{cast.nordby.authority.cvr}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_another_organisation_answers_as_if_it_did_not_exist(staff, cast):
    client = staff.client(staff.sofie)
    theirs = client.get(f"/portal/{cast.nordby.authority.cvr}/")
    absent = client.get("/portal/12345674/")
    assert theirs.status_code == absent.status_code == 404
    assert b"organisation.not.found" in theirs.content
    assert b"Nordby" not in theirs.content


def test_the_operator_sees_every_organisation(staff, cast):
    response = staff.client(staff.otto).get("/portal/")
    body = response.content.decode()
    assert "Nordby Kommune" in body
    assert "Sydby Kommune" in body
