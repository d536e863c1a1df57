import datetime
import zoneinfo

import pytest

from business import services
from business.models import BusinessProfile
from common.errors import Refused
from inbox import services as inbox_services
from inbox.models import Message

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = datetime.timezone.utc


def at(year, month, day, hour, minute=0, zone=BERLIN):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=zone)


def profile_with(hours, time_zone="Europe/Berlin"):
    profile = BusinessProfile(time_zone=time_zone)
    profile.hours = services.clean_hours(hours)
    return profile


NINE_TO_FIVE = {day: (datetime.time(9), datetime.time(17)) for day in range(5)}


def test_open_within_the_hours_of_the_business_time_zone():
    profile = profile_with(NINE_TO_FIVE)
    # Monday 7 December 2026.
    assert services.is_open(profile, at=at(2026, 12, 7, 9, 0))
    assert services.is_open(profile, at=at(2026, 12, 7, 16, 59))
    assert not services.is_open(profile, at=at(2026, 12, 7, 17, 0))
    assert not services.is_open(profile, at=at(2026, 12, 7, 8, 59))
    # 8:30 UTC is 9:30 in Berlin in winter.
    assert services.is_open(profile, at=datetime.datetime(2026, 12, 7, 8, 30, tzinfo=UTC))
    # Saturday.
    assert not services.is_open(profile, at=at(2026, 12, 12, 12))


def test_hours_keep_their_wall_clock_time_across_daylight_saving_changes():
    profile = profile_with(NINE_TO_FIVE)
    # Summer time started on Sunday 29 March 2026: 9:00 in Berlin is 7:00 UTC on Monday the 30th, 8:00 UTC the Friday before.
    assert services.is_open(profile, at=datetime.datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    assert not services.is_open(profile, at=datetime.datetime(2026, 3, 27, 7, 30, tzinfo=UTC))
    assert services.is_open(profile, at=datetime.datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    # And back on 25 October 2026.
    assert not services.is_open(profile, at=datetime.datetime(2026, 10, 26, 7, 30, tzinfo=UTC))
    assert services.is_open(profile, at=datetime.datetime(2026, 10, 26, 8, 0, tzinfo=UTC))


def test_hours_past_midnight_belong_to_the_day_they_start():
    # A bar open Friday 20:00 to 2:00.
    profile = profile_with({4: (datetime.time(20), datetime.time(2))})
    assert services.is_open(profile, at=at(2026, 12, 11, 23, 30))
    assert services.is_open(profile, at=at(2026, 12, 12, 1, 59))
    assert not services.is_open(profile, at=at(2026, 12, 12, 2, 0))
    assert not services.is_open(profile, at=at(2026, 12, 11, 1, 0))  # Friday night before: Thursday is closed


def test_the_status_says_open_now_or_when_it_opens():
    profile = profile_with(NINE_TO_FIVE)
    assert services.hours_status(profile, at=at(2026, 12, 7, 10)) == "Open now"
    assert services.hours_status(profile, at=at(2026, 12, 7, 7, 15)) == "Opens at 9:00"
    assert services.hours_status(profile, at=at(2026, 12, 7, 18)) == "Opens tomorrow at 9:00"
    assert services.hours_status(profile, at=at(2026, 12, 11, 18)) == "Opens Monday at 9:00"
    # The same instant seen from a business in New York: 7:15 in Berlin is 1:15 there.
    new_york = profile_with(NINE_TO_FIVE, "America/New_York")
    assert services.hours_status(new_york, at=at(2026, 12, 7, 7, 15)) == "Opens at 9:00"
    assert services.hours_status(profile_with({}), at=at(2026, 12, 7, 10)) == ""


def test_one_time_without_the_other_is_refused():
    with pytest.raises(Refused):
        services.clean_hours({0: (datetime.time(9), None)})


def test_the_profile_shows_the_business_mark_and_hours(client, brand, alice, django_assert_num_queries):
    client.force_login(alice)
    html = client.get("/u/northwind/").content.decode()
    assert ">Business</span>" in html
    assert "Coffee roaster" in html
    assert "Open to collaborations" in html
    assert ("Open now" in html) or ("Opens " in html)
    assert "Usually replies" not in html  # fewer than 10 conversations answered


def test_switching_to_business_in_settings(alice_client, alice):
    data = {"category": "Bakery", "website": "bakery.example", "time_zone": "Europe/Paris",
            "open_to_collaborations": "on", "opens_0": "08:00", "closes_0": "12:30"}
    response = alice_client.post("/business/settings/", data)
    assert response.status_code == 302
    profile = BusinessProfile.objects.get(user=alice)
    assert (profile.category, profile.website, profile.hours) == ("Bakery", "https://bakery.example", {"0": ["08:00", "12:30"]})
    assert alice_client.session["is_business"] is True
    assert ">Insights</a>" in alice_client.get("/inbox/").content.decode()
    alice_client.post("/business/settings/", {"action": "personal"})
    assert not BusinessProfile.objects.filter(user=alice).exists()
    assert ">Insights</a>" not in alice_client.get("/inbox/").content.decode()


def test_a_switch_shows_on_the_accounts_other_devices_without_a_new_login(alice, django_capture_on_commit_callbacks):
    from django.test import Client

    laptop, phone = Client(), Client()
    laptop.force_login(alice)
    phone.force_login(alice)
    assert ">Insights</a>" not in phone.get("/inbox/").content.decode()
    data = {"category": "Bakery", "website": "", "time_zone": "Europe/Paris"}
    with django_capture_on_commit_callbacks(execute=True):
        assert laptop.post("/business/settings/", data).status_code == 302
    assert ">Insights</a>" in phone.get("/inbox/").content.decode()
    assert phone.session["is_business"] is True  # remembered: the next pages ask nothing more
    with django_capture_on_commit_callbacks(execute=True):
        laptop.post("/business/settings/", {"action": "personal"})
    assert ">Insights</a>" not in phone.get("/inbox/").content.decode()
    assert ">Insights</a>" not in laptop.get("/inbox/").content.decode()


def test_a_switch_that_rolls_back_announces_nothing(alice, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.save_business_profile(user=alice, category="", website="", time_zone="UTC", hours={},
                                           open_to_collaborations=False)
            raise RuntimeError("the request failed later")
    assert services.announced_business_status(alice.pk) is None


def test_an_away_message_without_hours_is_refused_and_nothing_is_saved(alice_client, alice):
    response = alice_client.post("/business/settings/", {"time_zone": "UTC", "away_enabled": "on", "away_text": "Away"})
    assert response.status_code == 400
    assert "needs business hours" in response.content.decode()
    assert not BusinessProfile.objects.filter(user=alice).exists()


# --- Automatic replies ------------------------------------------------------------------------


@pytest.fixture
def greeting_brand(brand):
    BusinessProfile.objects.filter(user=brand).update(
        greeting_enabled=True, greeting_text="Hi {first_name|there}, thanks for writing!",
        away_enabled=True, away_text="We're closed, {first_name|there}. Back at 9.",
    )
    services.forget_automatic_repliers()
    return brand


def written(thread):
    return list(Message.objects.filter(thread=thread).order_by("seq").values_list("sender__username", "body", "card_key"))


def send(sender, thread, body, *, when, capture):
    with capture(execute=True):
        message, _created = inbox_services.send_message(sender=sender, thread=thread, body=body)
    return message


@pytest.fixture
def clock(monkeypatch):
    """Move timezone.now for the send path and the automatic replies together."""
    from django.utils import timezone

    state = {"now": None}
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: state["now"] or real_now())

    def set_to(moment):
        state["now"] = moment

    return set_to


def test_a_first_message_gets_the_greeting_once(greeting_brand, bob, talk, clock, django_capture_on_commit_callbacks):
    thread = talk(bob, greeting_brand)
    clock(at(2026, 12, 7, 10))  # Monday, open
    send(bob, thread, "Hello!", when=None, capture=django_capture_on_commit_callbacks)
    send(bob, thread, "Anyone?", when=None, capture=django_capture_on_commit_callbacks)
    assert written(thread) == [
        ("bob", "Hello!", None),
        ("northwind", "Hi Bob, thanks for writing!", "automatic_reply:greeting"),
        ("bob", "Anyone?", None),
    ]


def test_no_greeting_once_the_business_has_written(greeting_brand, bob, talk, clock, django_capture_on_commit_callbacks):
    thread = talk(greeting_brand, bob)
    clock(at(2026, 12, 7, 10))
    send(greeting_brand, thread, "Our new roast is out", when=None, capture=django_capture_on_commit_callbacks)
    send(bob, thread, "Nice", when=None, capture=django_capture_on_commit_callbacks)
    assert [row[2] for row in written(thread)] == [None, None]


def test_the_away_message_comes_outside_hours_at_most_once_a_day(greeting_brand, bob, talk, clock,
                                                                  django_capture_on_commit_callbacks):
    BusinessProfile.objects.filter(user=greeting_brand).update(greeting_enabled=False)
    services.forget_automatic_repliers()
    thread = talk(bob, greeting_brand)
    capture = django_capture_on_commit_callbacks
    clock(at(2026, 12, 7, 20))  # Monday evening, closed
    send(bob, thread, "Are you there?", when=None, capture=capture)
    clock(at(2026, 12, 7, 23))
    send(bob, thread, "Hello?", when=None, capture=capture)
    clock(at(2026, 12, 8, 10))  # open again: no away message
    send(bob, thread, "Morning", when=None, capture=capture)
    clock(at(2026, 12, 8, 20, 1))  # closed and more than 24 hours later
    send(bob, thread, "Evening", when=None, capture=capture)
    assert [(sender, card) for sender, _body, card in written(thread)] == [
        ("bob", None), ("northwind", "automatic_reply:away"), ("bob", None), ("bob", None),
        ("bob", None), ("northwind", "automatic_reply:away"),
    ]
    assert written(thread)[1][1] == "We're closed, Bob. Back at 9."


def test_a_greeting_outside_hours_comes_with_the_away_message(greeting_brand, bob, talk, clock,
                                                              django_capture_on_commit_callbacks):
    thread = talk(bob, greeting_brand)
    clock(at(2026, 12, 12, 12))  # Saturday
    send(bob, thread, "Hi", when=None, capture=django_capture_on_commit_callbacks)
    assert [row[2] for row in written(thread)] == [None, "automatic_reply:greeting", "automatic_reply:away"]


def test_an_automatic_reply_never_answers_another(greeting_brand, make_user, talk, clock,
                                                   django_capture_on_commit_callbacks):
    other = make_user("spokehouse", display_name="Spokehouse")
    services.save_business_profile(user=other, category="", website="", time_zone="UTC", hours={},
                                   open_to_collaborations=False, greeting_enabled=True, greeting_text="Hello from us")
    thread = talk(other, greeting_brand)
    clock(at(2026, 12, 7, 10))
    send(other, thread, "Hi neighbours", when=None, capture=django_capture_on_commit_callbacks)
    # northwind greets spokehouse; spokehouse's greeting does not answer that automatic reply.
    assert [(row[0], row[2]) for row in written(thread)] == [
        ("spokehouse", None), ("northwind", "automatic_reply:greeting"),
    ]


def test_switched_off_replies_send_nothing(brand, bob, talk, clock, django_capture_on_commit_callbacks,
                                           django_assert_num_queries):
    thread = talk(bob, brand)
    clock(at(2026, 12, 7, 20))
    services.automatic_repliers()
    # Nobody has automatic replies on: the signal costs no query.
    with django_capture_on_commit_callbacks() as callbacks:
        inbox_services.send_message(sender=bob, thread=thread, body="Hi")
    with django_assert_num_queries(1):  # the push
        for callback in callbacks:
            callback()
    assert len(written(thread)) == 1


def test_an_automatic_reply_is_marked_in_the_conversation(client, greeting_brand, bob, talk, clock,
                                                          django_capture_on_commit_callbacks):
    thread = talk(bob, greeting_brand)
    clock(at(2026, 12, 7, 10))
    send(bob, thread, "Hello!", when=None, capture=django_capture_on_commit_callbacks)
    clock(None)
    client.force_login(bob)
    html = client.get(f"/inbox/{thread.pk}/").content.decode()
    assert "Automatic reply" in html and "Hi Bob, thanks for writing!" in html
