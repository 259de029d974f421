"""The mailbox speaks Danish by default, English on request."""

from helpers.pages import signed_in


def test_mailbox_is_danish_by_default(cast):
    html = signed_in(cast.anna).get("/post/").content.decode()
    assert 'lang="da"' in html
    assert "Indbakke" in html
    assert "Du har ingen meddelelser." in html


def test_english_is_chosen_with_the_language_switch(cast):
    client = signed_in(cast.anna)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/post/"})
    assert response.status_code == 302
    html = client.get("/post/").content.decode()
    assert 'lang="en"' in html
    assert "You have no messages." in html
