"""Log in, log out and login throttling."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def log_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = log_in(client, username, "not-the-password", **extra)
        assert response.status_code == 200
    return response


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by tests instead of sleeping."""

    class Clock:
        moment = 1_900_000_000.0

        def advance(self, seconds):
            self.moment += seconds

    fake = Clock()
    monkeypatch.setattr(services, "now", lambda: fake.moment)
    return fake


@pytest.fixture
def sleeps(monkeypatch):
    recorded = []
    monkeypatch.setattr(services, "sleep", recorded.append)
    return recorded


def listen_to_user_group(user):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{user.pk}", channel)
    return layer, channel


def receive(layer, channel):
    async def receive_with_timeout():
        import asyncio

        return await asyncio.wait_for(layer.receive(channel), timeout=2)

    return async_to_sync(receive_with_timeout)()


# --- Log in and out ---------------------------------------------------------------------------


def test_login_form_has_the_contract_fields_and_button(client):
    html = client.get(LOGIN).content.decode()
    assert re.findall(r"<label[^>]*>([^<]+)</label>", html) == ["Username", "Password"]
    assert 'name="username"' in html and 'name="password"' in html
    assert re.search(r"<button[^>]*>Log in</button>", html)


def test_correct_password_logs_in_and_opens_the_inbox(client, alice):
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200


def test_login_follows_a_safe_next_but_not_a_foreign_one(client, alice):
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "/settings/"})["Location"] == "/settings/"
    client.logout()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/inbox/"


def test_wrong_password_and_unknown_account_get_the_same_answer(client, alice):
    def normalised(response):
        html = response.content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return html.replace('value="nobody"', "").replace('value="alice"', "")

    wrong_password = log_in(client, "alice", "wrong-password")
    unknown_account = log_in(client, "nobody", "wrong-password")
    assert wrong_password.status_code == unknown_account.status_code == 200
    assert "That username and password don&#x27;t match." in wrong_password.content.decode()
    assert normalised(wrong_password) == normalised(unknown_account)


def test_deactivated_account_gets_the_same_answer_as_a_wrong_password(client, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 200
    assert "That username and password don&#x27;t match." in response.content.decode()


def test_logout_by_get_is_refused(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    assert alice_client.get("/inbox/").status_code == 200


@pytest.mark.usefixtures("in_memory_channel_layer")
def test_logout_ends_the_session_and_closes_that_sessions_sockets(alice_client, alice):
    session_key = alice_client.session.session_key
    layer, channel = listen_to_user_group(alice)

    response = alice_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert alice_client.get("/inbox/").status_code == 302
    assert receive(layer, channel) == {"type": "session.revoke", "session": session_key}


# --- Throttling -------------------------------------------------------------------------------


def test_eleventh_rapid_attempt_is_refused_with_429_even_with_the_right_password(client, alice, clock):
    fail(client, "alice", 10)

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed attempts to log in." in html
    assert "try again in 15 minutes" in html
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session


def test_throttle_counts_per_username_whatever_its_case(client, alice, clock):
    fail(client, "Alice", 5)
    fail(client, "ALICE", 5)
    assert log_in(client, "alice", PASSWORD).status_code == 429


def test_unicode_lookalikes_of_a_username_share_its_throttle(client, alice, clock):
    fail(client, "\uff41\uff4c\uff49\uff43\uff45", 10)  # fullwidth "alice", which logs in as alice
    assert log_in(client, "alice", PASSWORD).status_code == 429
    assert log_in(client, "\uff41\uff4c\uff49\uff43\uff45", PASSWORD).status_code == 429


def test_throttled_login_is_allowed_again_after_the_window(client, alice, clock):
    fail(client, "alice", 10)
    clock.advance(15 * 60 - 30)
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "try again in 1 minute" in response.content.decode()

    clock.advance(31)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_after_a_lockout_the_count_starts_afresh(client, alice, clock):
    fail(client, "alice", 10)
    clock.advance(15 * 60 + 1)
    fail(client, "alice", 9)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_a_success_resets_the_usernames_failures(client, alice, clock):
    fail(client, "alice", 9)
    assert log_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    fail(client, "alice", 9)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_failures_spread_over_more_than_two_windows_never_lock(client, alice, clock):
    for _ in range(4):
        fail(client, "alice", 3)
        clock.advance(15 * 60)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_unknown_accounts_are_throttled_exactly_like_real_ones(client, clock):
    fail(client, "ghost", 10)
    response = log_in(client, "ghost", "whatever")
    assert response.status_code == 429
    assert "Too many failed attempts to log in." in response.content.decode()


def test_one_address_guessing_many_accounts_is_refused(client, settings, alice, clock):
    settings.LOGIN_THROTTLE_IP_LIMIT = 6
    for name in ["ann", "ben", "cid", "dee", "eve", "fay"]:
        fail(client, name, 1, REMOTE_ADDR="203.0.113.9")
    assert log_in(client, "alice", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    # Another address, and alice herself, are not affected.
    assert log_in(client, "alice", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_an_ipv6_network_counts_as_one_address(client, settings, clock):
    settings.LOGIN_THROTTLE_IP_LIMIT = 2
    fail(client, "ann", 1, REMOTE_ADDR="2001:db8:1:2::1")
    fail(client, "ben", 1, REMOTE_ADDR="2001:db8:1:2::ffff")
    assert log_in(client, "cid", "x", REMOTE_ADDR="2001:db8:1:2::77").status_code == 429


def test_attempts_slow_down_with_a_growing_delay_after_slow_after_failures(client, settings, alice, clock, sleeps):
    settings.LOGIN_THROTTLE_DELAY_STEP = 0.25
    fail(client, "alice", 9)
    assert sleeps == [0.25, 0.5, 1.0, 2.0]  # attempts 6 to 9, after 5 failures


def test_empty_fields_are_not_counted_as_failures(client, alice, clock):
    for _ in range(12):
        client.post(LOGIN, {"username": "alice", "password": ""})
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_login_delay_doubles_and_is_capped():
    delays = [services.login_delay(failures, slow_after=5, step=0.25) for failures in range(12)]
    assert delays == [0, 0, 0, 0, 0, 0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert services.login_delay(50, slow_after=5, step=0) == 0
