import re

import pytest

from accounts.models import Profile, User

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"


def signup_data(**overrides):
    data = {
        "username": "dana",
        "email": "dana@example.com",
        "password1": "a-long-new-passphrase",
        "password2": "a-long-new-passphrase",
    }
    return {**data, **overrides}


def label_texts(html):
    return re.findall(r"<label[^>]*>([^<]+)</label>", html)


def test_signup_form_has_the_contract_labels_and_button(client):
    response = client.get(SIGNUP)
    html = response.content.decode()
    assert response.status_code == 200
    assert label_texts(html) == ["Username", "Email", "Password", "Password confirmation"]
    assert re.search(r"<button[^>]*>Sign up</button>", html)


def test_login_page_links_to_sign_up(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/signup/">Sign up</a>' in html


def test_signup_creates_account_and_profile_logs_in_and_opens_the_inbox(client):
    response = client.post(SIGNUP, signup_data())
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    user = User.objects.get(username="dana")
    assert user.email == "dana@example.com"
    assert user.check_password("a-long-new-passphrase")
    assert Profile.objects.filter(user=user).exists()
    assert client.get("/inbox/").wsgi_request.user == user


def test_email_already_used_in_another_case_is_refused(client, alice):
    response = client.post(SIGNUP, signup_data(email="ALICE@Example.com"))
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.content.decode()
    assert not User.objects.filter(username="dana").exists()


def test_username_taken_in_another_case_is_refused(client, alice):
    response = client.post(SIGNUP, signup_data(username="Alice"))
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_mismatched_passwords_are_refused(client):
    response = client.post(SIGNUP, signup_data(password2="something-else-entirely"))
    assert "The two password fields" in response.content.decode()
    assert not User.objects.exists()


def test_weak_password_is_refused(client):
    response = client.post(SIGNUP, signup_data(password1="password", password2="password"))
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_email_is_required(client):
    response = client.post(SIGNUP, signup_data(email=""))
    assert 'id="id_email_error"' in response.content.decode()
    assert not User.objects.exists()


def test_logged_in_person_visiting_signup_goes_to_the_inbox(alice_client):
    response = alice_client.get(SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
