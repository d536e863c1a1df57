"""Per-hour limits: the limiter itself, new conversations, reports, sign-ups per address and password resets."""

import re

import pytest
from django.core import mail

from accounts import services
from common import ratelimit
from accounts.models import Profile, User

pytestmark = pytest.mark.django_db

HOUR = 3600


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def advance(self, seconds):
        self.moment += seconds


@pytest.fixture
def clock(monkeypatch):
    # Ten minutes into an hour bucket, so bucket edges are easy to reason about.
    fake = Clock(1_000 * HOUR + 600)
    monkeypatch.setattr(ratelimit, "now", lambda: fake.moment)
    return fake


# --- The limiter ---------------------------------------------------------------------------------


def test_the_limit_allows_that_many_events_then_refuses_with_a_wait(clock):
    assert [ratelimit.consume("test", "x", limit=3, window=HOUR) for _ in range(3)] == [0, 0, 0]
    # The current bucket is full: free again two bucket edges from now (50 min + 1 h).
    assert ratelimit.consume("test", "x", limit=3, window=HOUR) == HOUR - 600 + HOUR
    assert ratelimit.retry_after("test", "x", limit=3, window=HOUR) == HOUR - 600 + HOUR


def test_subjects_and_limit_names_are_counted_apart(clock):
    assert ratelimit.consume("test", "x", limit=1, window=HOUR) == 0
    assert ratelimit.consume("test", "y", limit=1, window=HOUR) == 0
    assert ratelimit.consume("other", "x", limit=1, window=HOUR) == 0
    assert ratelimit.consume("test", "x", limit=1, window=HOUR) > 0


def test_no_more_than_the_limit_passes_in_any_rolling_window(clock):
    # A burst at the very end of one bucket cannot be followed by another at the start of the next.
    clock.advance(HOUR - 600 - 5)
    assert [ratelimit.consume("test", "x", limit=2, window=HOUR) for _ in range(2)] == [0, 0]
    clock.advance(10)
    assert ratelimit.consume("test", "x", limit=2, window=HOUR) > 0
    clock.advance(HOUR - 10)
    assert ratelimit.consume("test", "x", limit=2, window=HOUR) > 0
    clock.advance(10)
    assert ratelimit.consume("test", "x", limit=2, window=HOUR) == 0


def test_the_announced_wait_is_exactly_when_the_next_event_passes(clock):
    ratelimit.consume("test", "x", limit=2, window=HOUR)
    clock.advance(HOUR)
    ratelimit.consume("test", "x", limit=2, window=HOUR)
    wait = ratelimit.consume("test", "x", limit=2, window=HOUR)
    assert wait == HOUR - 600
    clock.advance(wait - 1)
    assert ratelimit.consume("test", "x", limit=2, window=HOUR) > 0
    clock.advance(1)
    assert ratelimit.consume("test", "x", limit=2, window=HOUR) == 0


def test_refused_events_are_not_counted(clock):
    ratelimit.consume("test", "x", limit=1, window=HOUR)
    for _ in range(5):
        assert ratelimit.consume("test", "x", limit=1, window=HOUR) > 0
    clock.advance(2 * HOUR)
    assert ratelimit.consume("test", "x", limit=1, window=HOUR) == 0


def test_checking_the_wait_counts_nothing(clock):
    for _ in range(5):
        assert ratelimit.retry_after("test", "x", limit=1, window=HOUR) == 0
    assert ratelimit.consume("test", "x", limit=1, window=HOUR) == 0


def test_a_limit_of_zero_is_switched_off(clock):
    assert all(ratelimit.consume("test", "x", limit=0, window=HOUR) == 0 for _ in range(50))


# --- New conversations and reports ----------------------------------------------------------------


def test_new_conversations_with_strangers_are_limited_per_hour(settings, clock, alice, bob):
    settings.NEW_CONVERSATIONS_PER_HOUR = 2
    services.check_new_conversation_rate(alice, recipients=[bob])
    services.check_new_conversation_rate(alice)
    with pytest.raises(services.Refused) as caught:
        services.check_new_conversation_rate(alice, recipients=[bob])
    assert caught.value.code == "rate_limited"
    assert caught.value.http_status == 429
    assert caught.value.retry_after == 2 * HOUR - 600
    assert "Try again in 110 minutes." in caught.value.detail
    # Another person has their own allowance.
    services.check_new_conversation_rate(bob)


def test_conversations_with_people_who_follow_you_are_not_counted(settings, clock, alice, bob, carol):
    settings.NEW_CONVERSATIONS_PER_HOUR = 1
    services.follow(follower=bob, followed=alice)
    services.follow(follower=carol, followed=alice)
    for _ in range(5):
        services.check_new_conversation_rate(alice, recipients=[bob, carol])
    services.check_new_conversation_rate(alice, recipients=[bob, carol, alice])
    # One stranger in the group makes it count.
    services.check_new_conversation_rate(alice, recipients=[bob, User.objects.create(username="dan")])
    with pytest.raises(services.Refused):
        services.check_new_conversation_rate(alice, recipients=[bob, User.objects.get(username="dan")])


def test_reports_are_limited_per_hour(settings, clock, alice):
    settings.REPORTS_PER_HOUR = 1
    services.check_report_rate(alice)
    with pytest.raises(services.Refused) as caught:
        services.check_report_rate(alice)
    assert caught.value.code == "rate_limited" and caught.value.retry_after > 0


def test_limits_come_from_the_environment(monkeypatch):
    import importlib

    from config import settings as config_settings

    monkeypatch.setenv("PARLEY_NEW_CONVERSATIONS_PER_HOUR", "7")
    monkeypatch.setenv("PARLEY_REPORTS_PER_HOUR", "3")
    monkeypatch.setenv("PARLEY_SIGNUPS_PER_IP_PER_HOUR", "0")
    try:
        reloaded = importlib.reload(config_settings)
        assert (reloaded.NEW_CONVERSATIONS_PER_HOUR, reloaded.REPORTS_PER_HOUR, reloaded.SIGNUPS_PER_IP_PER_HOUR) == (7, 3, 0)
    finally:
        monkeypatch.undo()
        importlib.reload(config_settings)


# --- Sign-ups per address ------------------------------------------------------------------------

SIGNUP = "/accounts/signup/"


def sign_up(client, name, address="203.0.113.7", **overrides):
    data = {
        "username": name,
        "email": f"{name}@example.com",
        "password1": "a-long-new-passphrase",
        "password2": "a-long-new-passphrase",
        **overrides,
    }
    # A fresh client each time: a signed-up client is logged in and would be sent to the inbox.
    client.logout()
    return client.post(SIGNUP, data, REMOTE_ADDR=address)


def test_the_sixth_sign_up_from_one_address_in_an_hour_is_refused_and_creates_nothing(client, clock):
    for index in range(5):
        assert sign_up(client, f"person{index}").status_code == 302
    response = sign_up(client, "person5")
    assert response.status_code == 429
    assert response["Retry-After"] == str(2 * HOUR - 600)
    html = response.content.decode()
    assert re.search(r'<div class="form-errors" role="alert"><p>Too many accounts were created from your network in the last hour\. Try again in 110 minutes\.</p>', html)
    # The form keeps what was typed, except the passwords.
    assert 'value="person5"' in html and "a-long-new-passphrase" not in html
    assert not User.objects.filter(username="person5").exists()
    assert not Profile.objects.filter(user__username="person5").exists()
    assert User.objects.count() == 5


def test_sign_ups_from_another_address_are_not_affected(client, clock):
    for index in range(5):
        sign_up(client, f"person{index}")
    assert sign_up(client, "other", address="198.51.100.4").status_code == 302


def test_one_ipv6_network_counts_as_one_address(client, clock):
    for index in range(5):
        sign_up(client, f"person{index}", address=f"2001:db8:1:2::{index + 1}")
    assert sign_up(client, "person5", address="2001:db8:1:2:ffff::9").status_code == 429


def test_invalid_sign_up_forms_do_not_use_up_the_allowance(client, clock):
    for index in range(8):
        response = sign_up(client, f"person{index}", password2="something-else")
        assert response.status_code == 200
    for index in range(5):
        assert sign_up(client, f"person{index}").status_code == 302


def test_sign_ups_are_allowed_again_once_the_hour_has_passed(client, clock):
    for index in range(5):
        sign_up(client, f"person{index}")
    clock.advance(2 * HOUR)
    assert sign_up(client, "later").status_code == 302


def test_an_address_over_the_limit_is_told_before_filling_in_a_valid_form(client, clock):
    for index in range(5):
        sign_up(client, f"person{index}")
    response = sign_up(client, "", password2="x")
    assert response.status_code == 429
    assert "This field is required" not in response.content.decode()


# --- Password resets per e-mail address and per client address ----------------------------------

RESET = "/accounts/password/reset/"


def ask_reset(client, email, address="203.0.113.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address, follow=True)


def test_the_fourth_reset_for_one_address_in_an_hour_sends_nothing_and_looks_the_same(client, alice, clock):
    answers = [ask_reset(client, "alice@example.com") for _ in range(3)]
    assert len(mail.outbox) == 3
    limited = ask_reset(client, "ALICE@example.com")
    assert len(mail.outbox) == 3
    # Same redirect, same page, same status: nothing tells that this one was limited.
    assert limited.redirect_chain == answers[0].redirect_chain == [("/accounts/password/reset/sent/", 302)]
    assert limited.status_code == 200
    assert limited.content == answers[0].content
    assert "only a few links are sent per hour" in limited.content.decode()


def test_an_address_without_an_account_is_limited_the_same_way(client, alice, clock):
    known = [ask_reset(client, "alice@example.com", address=f"203.0.113.{index}") for index in range(4)]
    unknown = [ask_reset(client, "nobody@example.com", address=f"198.51.100.{index}") for index in range(4)]
    assert len(mail.outbox) == 3
    for known_answer, unknown_answer in zip(known, unknown):
        assert known_answer.redirect_chain == unknown_answer.redirect_chain
        assert known_answer.content == unknown_answer.content


def test_a_limited_reset_looks_nobody_up(client, alice, clock, django_assert_num_queries):
    for _ in range(3):
        ask_reset(client, "alice@example.com")
    # Not even the account lookup: a known and an unknown address cost the same.
    with django_assert_num_queries(0):
        response = client.post(RESET, {"email": "alice@example.com"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302


def test_one_client_address_asking_for_many_addresses_is_limited(client, alice, clock, settings):
    settings.PASSWORD_RESETS_PER_IP_PER_HOUR = 5
    for index in range(5):
        ask_reset(client, f"someone{index}@example.com", address="2001:db8:1:2::1")
    # Another address of the same IPv6 /64 is the same client.
    response = ask_reset(client, "alice@example.com", address="2001:db8:1:2:ffff::9")
    assert response.redirect_chain == [("/accounts/password/reset/sent/", 302)]
    assert mail.outbox == []
    ask_reset(client, "alice@example.com", address="198.51.100.4")
    assert len(mail.outbox) == 1


def test_a_limited_address_does_not_use_up_the_client_address(client, alice, clock, settings):
    settings.PASSWORD_RESETS_PER_IP_PER_HOUR = 5
    for _ in range(5):
        ask_reset(client, "nobody@example.com")
    # 3 counted for nobody@ and the client; the 2 refused for nobody@ left the client's allowance alone.
    ask_reset(client, "alice@example.com")
    ask_reset(client, "alice@example.com")
    assert len(mail.outbox) == 2


def test_resets_are_sent_again_once_the_hour_has_passed(client, alice, clock):
    for _ in range(4):
        ask_reset(client, "alice@example.com")
    assert len(mail.outbox) == 3
    clock.advance(2 * HOUR)
    ask_reset(client, "alice@example.com")
    assert len(mail.outbox) == 4


def test_an_invalid_reset_form_counts_nothing(client, alice, clock):
    for _ in range(5):
        response = client.post(RESET, {"email": "not an address"}, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    ask_reset(client, "alice@example.com")
    assert len(mail.outbox) == 1
