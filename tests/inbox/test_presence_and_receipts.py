"""Activity status ("Active now") and read receipts: both shown only between people who both share them."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from accounts import presence
from accounts import services as accounts_services
from accounts.models import Profile
from inbox import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_limits")]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def share(user, *, activity=True, receipts=True):
    accounts_services.set_sharing(user=user, show_activity=activity, read_receipts=receipts)
    user.profile.refresh_from_db()


def fresh(user):
    from accounts.models import User

    return User.objects.select_related("profile").get(pk=user.pk)


def test_a_report_reaches_my_one_to_one_partners_who_share_their_activity(make_thread, alice, bob, carol, make_user, pushes):
    dave = make_user("dave")
    make_thread(alice, bob), make_thread(alice, carol), make_thread(alice, dave)
    make_thread(bob, carol, dave)  # a group without alice: nobody there hears of her
    share(dave, activity=False)
    assert services.report_presence(user=alice) is True
    assert sorted(group for group, frame in pushes) == sorted([f"user.{bob.pk}", f"user.{carol.pk}"])
    assert {frame["type"] for _group, frame in pushes} == {"presence"} and pushes[0][1]["user"] == "alice"
    pushes.clear()
    assert services.report_presence(user=alice) is False  # another tab, a moment later: stored, not pushed again
    assert pushes == []


def test_someone_who_hides_their_activity_is_never_recorded_nor_pushed(make_thread, alice, bob, pushes):
    make_thread(alice, bob)
    share(alice, activity=False)
    assert services.report_presence(user=alice) is False
    assert pushes == [] and presence.last_active([alice.pk]) == {}


def test_activity_is_reciprocal_and_ages_out(alice, bob):
    presence.note_active(alice.pk, now=1_000_000)
    presence.note_active(bob.pk, now=1_000_000)
    seen = presence.presence_of(fresh(bob), [fresh(alice)], now=1_000_030)
    assert seen[alice.pk]["label"] == "Active now" and seen[alice.pk]["active"]
    later = presence.presence_of(fresh(bob), [fresh(alice)], now=1_000_000 + 5 * 60 + 10)
    assert later[alice.pk] == {**later[alice.pk], "label": "Active 5 min ago", "active": False}
    share(bob, activity=False)
    assert presence.presence_of(fresh(bob), [fresh(alice)], now=1_000_030) == {}  # hiding mine: I see nobody's
    assert presence.presence_of(fresh(alice), [fresh(bob)], now=1_000_030) == {}


def test_the_conversation_and_the_profile_say_active_now(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    presence.note_active(bob.pk)
    page = client_for(alice).get(f"/inbox/{thread.pk}/").content.decode()
    assert ">Active now</span>" in page and 'data-presence-user="bob"' in page
    assert 'class="presence-dot is-active"' in page
    assert ">Active now</span>" in client_for(alice).get("/u/bob/").content.decode()
    share(alice, activity=False)
    page = client_for(alice).get(f"/inbox/{thread.pk}/").content.decode()
    assert "Active now" not in page.replace('<span class="visually-hidden">Active now</span>', "")
    assert "Active now" not in client_for(alice).get("/u/bob/").content.decode()


def test_read_receipts_off_tells_nobody_and_shows_nobodys(make_thread, alice, bob, pushes, django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    services.send_message(sender=bob, thread=thread, body="did you read this?")
    share(alice, receipts=False)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(user=alice, thread=thread)
    assert [frame for _group, frame in pushes if frame["type"] == "read"] == []
    assert '<li class="receipt" data-receipt>Sent</li>' in client_for(bob).get(f"/inbox/{thread.pk}/").content.decode()
    # and alice, who sends none, sees none: bob reads her reply, she still sees "Sent"
    services.send_message(sender=alice, thread=thread, body="yes")
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(user=bob, thread=thread)
    assert [group for group, frame in pushes if frame["type"] == "read"] == [f"user.{bob.pk}"]
    page = client_for(alice).get(f"/inbox/{thread.pk}/").content.decode()
    assert '<li class="receipt" data-receipt>Sent</li>' in page and 'data-read-marks="{}"' in page
    share(alice, receipts=True)
    assert '<li class="receipt" data-receipt>Seen</li>' in client_for(alice).get(f"/inbox/{thread.pk}/").content.decode()


def test_the_privacy_page_saves_both_switches(alice):
    client = client_for(alice)
    page = client.get("/settings/privacy/").content.decode()
    assert "Show activity status" in page and "Send read receipts" in page
    client.post("/settings/privacy/", {"message_policy": "everyone", "read_receipts": "on"})
    profile = Profile.objects.get(user=alice)
    assert (profile.show_activity, profile.read_receipts) == (False, True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_presence_frame_reaches_the_partners_socket(connect, make_thread, alice, bob):
    from .conftest import receive_type

    await database_sync_to_async(make_thread)(alice, bob)
    alices, bobs = await connect(alice), await connect(bob)
    await alices.send_json_to({"type": "presence"})
    frame = await receive_type(bobs, "presence")
    assert frame["user"] == "alice" and frame["last_active"]
