"""Password change (keeps this session, ends the others) and reset by e-mail (never says who exists)."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts import services
from tests.conftest import PASSWORD

from .test_login import fail, listen_to_user_group, log_in, receive

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.mark.usefixtures("in_memory_channel_layer")
def test_password_change_keeps_this_session_and_ends_the_others(alice_client, alice):
    other_device = Client()
    other_device.force_login(alice)
    layer, channel = listen_to_user_group(alice)

    response = alice_client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice_client.get("/settings/").status_code == 200
    assert other_device.get("/settings/").status_code == 302
    # Every socket closes (this tab's reconnects with its updated session).
    assert receive(layer, channel) == {"type": "session.revoke", "session": None}


def test_password_change_needs_the_current_password(alice_client, alice):
    response = alice_client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_page_needs_login(client):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def reset_link(message):
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s\"]+/)", message.body).group(1)


def test_reset_mail_goes_to_a_known_address_whatever_its_case(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "ALICE@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your Parley password"
    assert "/accounts/password/reset/" in message.body
    html, content_type = message.alternatives[0]
    assert content_type == "text/html"
    assert reset_link(message) in html


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(client, alice):
    known = client.post("/accounts/password/reset/", {"email": "alice@example.com"}, follow=True)
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    assert len(mail.outbox) == 1


def test_reset_link_sets_a_new_password_and_lifts_a_login_throttle(client, alice):
    fail(client, "alice", 10)
    assert log_in(client, "alice", PASSWORD).status_code == 429
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})

    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert log_in(client, "alice", NEW_PASSWORD).status_code == 302


def test_used_reset_link_no_longer_works(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    link = reset_link(mail.outbox[0])
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link, follow=True)
    assert "This link doesn't work any more" in response.content.decode()


def test_reset_closes_every_socket(client, alice, monkeypatch):
    closed = []
    monkeypatch.setattr(services, "close_user_sockets", lambda user, session_key=None: closed.append((user, session_key)))
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    form_url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert closed == [(alice, None)]
