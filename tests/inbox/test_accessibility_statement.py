"""The accessibility statement: public, in Danish first and in English, the Danish form's sections, linked from
the footer of the mailbox and the portal, with the contact address the operator set."""

import pytest
from django.test import Client

from helpers.pages import signed_in

SECTIONS_DA = ["Tilgængelighedserklæring", "Overholdelsesstatus", "Ikke-tilgængeligt indhold",
               "Udarbejdelse af denne tilgængelighedserklæring", "Feedback og kontaktoplysninger",
               "Håndhævelsesprocedure"]
SECTIONS_EN = ["Accessibility statement", "Compliance status", "Non-accessible content",
               "Preparation of this accessibility statement", "Feedback and contact information",
               "Enforcement procedure"]


@pytest.mark.parametrize("path", ["/accessibility/", "/portal/accessibility/"])
def test_the_statement_is_public_and_danish_first(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="da"' in html
    assert all(f">{heading}</h" in html for heading in SECTIONS_DA), html
    assert "WCAG) 2.1" in html
    assert "axe-core" in html
    assert "Digitaliseringsstyrelsen" in html


@pytest.mark.parametrize("path", ["/accessibility/", "/portal/accessibility/"])
def test_the_statement_in_english(db, path):
    html = Client(headers={"accept-language": "en"}).get(path).content.decode()
    assert 'lang="en"' in html
    assert all(f">{heading}</h" in html for heading in SECTIONS_EN), html


def test_the_contact_address_is_the_one_the_operator_set(db, settings):
    assert "mailto:" not in Client().get("/accessibility/").content.decode()
    settings.DIGITALPOST_ACCESSIBILITY_CONTACT = "tilgaengelighed@nordby.example"
    html = Client().get("/portal/accessibility/").content.decode()
    assert '<a href="mailto:tilgaengelighed@nordby.example">tilgaengelighed@nordby.example</a>' in html


def test_every_mailbox_and_portal_page_links_to_it_from_the_footer(cast):
    mailbox = signed_in(cast.anna).get("/post/").content.decode()
    assert '<footer><a href="/accessibility/">Tilgængelighedserklæring</a></footer>' in mailbox
    portal = Client().get("/portal/login/").content.decode()
    assert '<footer><a href="/portal/accessibility/">Tilgængelighedserklæring</a></footer>' in portal
    assert '<a class="skip-link" href="#main">Gå til indhold</a>' in mailbox
    assert '<main id="main" tabindex="-1">' in portal
