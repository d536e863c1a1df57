"""Profile buttons (Follow, Block, Mute), the follower lists and the privacy settings page."""

import re
from html import unescape

import pytest
from django.test import Client

from accounts import services
from accounts.models import Block, Follow, PersonMute, Profile

pytestmark = pytest.mark.django_db


def buttons(html):
    """The visible names of the page's buttons, in order."""
    return [unescape(re.sub(r"<[^>]+>", "", name)).strip() for name in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)]


def visible_text(html):
    return re.sub(r"<[^>]+>", " ", html)


def page_of(client, url):
    """The page's HTML with entities decoded, so texts read as people see them."""
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def flash_texts(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- Profile buttons ---------------------------------------------------------------------------


def test_profile_offers_follow_to_a_logged_in_stranger(alice_client, bob):
    html = page_of(alice_client, "/u/bob/")
    assert "Follow" in buttons(html)
    assert "Following" not in buttons(html)
    assert 'action="/u/bob/follow/"' in html


def test_follow_button_follows_and_then_reads_following(alice_client, alice, bob):
    response = alice_client.post("/u/bob/follow/")
    assert response.status_code == 302
    assert response["Location"] == "/u/bob/"
    assert Follow.objects.filter(follower=alice, followed=bob).exists()
    html = page_of(alice_client, "/u/bob/")
    assert "Following" in buttons(html) and "Follow" not in buttons(html)
    assert 'action="/u/bob/unfollow/"' in html
    # Once following, messaging becomes the page's main action.
    assert '<a class="button button-primary" href="/inbox/new/?to=bob">Message</a>' in html


def test_following_button_unfollows(alice_client, alice, bob):
    services.follow(follower=alice, followed=bob)
    alice_client.post("/u/bob/unfollow/")
    assert not Follow.objects.exists()
    assert "Follow" in buttons(page_of(alice_client, "/u/bob/"))


def test_profile_shows_counts_linking_to_the_lists(client, alice, bob, carol):
    services.follow(follower=bob, followed=alice)
    services.follow(follower=carol, followed=alice)
    services.follow(follower=alice, followed=bob)
    html = page_of(client, "/u/alice/")
    assert '<a href="/u/alice/followers/"><strong>2</strong> followers</a>' in html
    assert '<a href="/u/alice/following/"><strong>1</strong> following</a>' in html
    html = page_of(client, "/u/carol/")
    assert "<strong>0</strong> followers" in html


def test_a_person_who_follows_you_is_marked_on_their_profile(alice_client, alice, bob):
    services.follow(follower=bob, followed=alice)
    assert "Follows you" in page_of(alice_client, "/u/bob/")
    services.follow(follower=alice, followed=bob)
    assert "Follows you" not in page_of(Client(), "/u/bob/")


def test_own_profile_has_no_follow_block_or_mute(alice_client):
    names = buttons(page_of(alice_client, "/u/alice/"))
    assert not {"Follow", "Following", "Block", "Mute"} & set(names)


def test_more_disclosure_holds_block_and_mute(alice_client, bob):
    html = page_of(alice_client, "/u/bob/")
    assert re.search(r"<details class=\"profile-more\">\s*<summary[^>]*>More</summary>", html)
    more = html[html.index("<details"):html.index("</details>")]
    assert buttons(more) == ["Mute", "Block"]
    assert 'action="/u/bob/block/"' in more and 'action="/u/bob/mute/"' in more


def test_blocking_from_the_profile_blocks_and_says_so(alice_client, alice, bob):
    services.follow(follower=alice, followed=bob)
    response = alice_client.post("/u/bob/block/", follow=True)
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert not Follow.objects.exists()
    assert any(text.startswith("You blocked @bob.") for text in flash_texts(response))
    html = response.content.decode()
    assert "Unblock" in buttons(html)
    assert not {"Follow", "Following", "Block"} & set(buttons(html))
    assert ">Message</a>" not in html


def test_a_blocked_person_sees_the_profile_without_message_or_follow(client, alice, bob):
    services.block(blocker=alice, blocked=bob)
    client.force_login(bob)
    html = page_of(client, "/u/alice/")
    assert "<h1>Alice Martin</h1>" in html
    assert ">Message</a>" not in html
    assert not {"Follow", "Following"} & set(buttons(html))
    # Nothing says who blocked whom, and bob may still block alice himself.
    assert "blocked" not in visible_text(html).lower()
    assert "Block" in buttons(html)


def test_unblocking_brings_the_buttons_back(alice_client, alice, bob):
    services.block(blocker=alice, blocked=bob)
    alice_client.post("/u/bob/unblock/")
    assert not Block.objects.exists()
    html = page_of(alice_client, "/u/bob/")
    assert ">Message</a>" in html and "Follow" in buttons(html)


def test_muting_is_silent_to_the_muted_person(client, alice, bob):
    client.force_login(alice)
    response = client.post("/u/bob/mute/", follow=True)
    assert PersonMute.objects.filter(muter=alice, muted=bob).exists()
    assert any("They aren't told" in text for text in flash_texts(response))
    assert "Unmute" in buttons(response.content.decode())
    client.force_login(bob)
    html = page_of(client, "/u/alice/")
    assert "muted" not in visible_text(html).lower()
    assert "Unmute" not in buttons(html)


def test_following_a_person_who_blocked_you_is_refused_with_the_neutral_words(client, alice, bob):
    services.block(blocker=bob, blocked=alice)
    client.force_login(alice)
    response = client.post("/u/bob/follow/", follow=True)
    assert not Follow.objects.exists()
    assert flash_texts(response) == ["You can't follow this person"]


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock", "mute", "unmute"])
def test_profile_buttons_are_post_only(alice_client, bob, action):
    assert alice_client.get(f"/u/bob/{action}/").status_code == 405
    assert not (Follow.objects.exists() or Block.objects.exists() or PersonMute.objects.exists())


@pytest.mark.parametrize("action", ["follow", "block", "mute"])
def test_profile_buttons_need_the_csrf_token(alice, bob, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/u/bob/{action}/").status_code == 403
    assert not (Follow.objects.exists() or Block.objects.exists() or PersonMute.objects.exists())


def test_logged_out_follow_asks_to_log_in_and_comes_back_to_the_profile(client, bob):
    response = client.post("/u/bob/follow/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/u/bob/"
    assert not Follow.objects.exists()


def test_logged_out_visitors_see_follow_but_no_more_menu(client, bob):
    html = page_of(client, "/u/bob/")
    assert buttons(html) == ["Follow"]
    assert "<details" not in html


def test_buttons_return_to_a_local_next_page_only(alice_client, bob):
    response = alice_client.post("/u/bob/follow/", {"next": "/u/bob/followers/"})
    assert response["Location"] == "/u/bob/followers/"
    response = alice_client.post("/u/bob/unfollow/", {"next": "https://evil.example/"})
    assert response["Location"] == "/u/bob/"


def test_buttons_for_unknown_or_deactivated_people_are_404(alice_client, bob):
    assert alice_client.post("/u/nobody/follow/").status_code == 404
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert alice_client.post("/u/bob/follow/").status_code == 404
    assert not Follow.objects.exists()


def test_a_deactivated_person_can_still_be_unblocked(alice_client, alice, bob):
    services.block(blocker=alice, blocked=bob)
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert alice_client.post("/u/bob/unblock/", {"next": "/settings/privacy/"})["Location"] == "/settings/privacy/"
    assert not Block.objects.exists()


def test_profile_with_relationships_keeps_its_query_count(alice_client, alice, bob, make_user, django_assert_num_queries):
    for index in range(10):
        services.follow(follower=make_user(f"fan{index}"), followed=bob)
    services.follow(follower=alice, followed=bob)
    services.mute_person(muter=alice, muted=bob)
    # session, viewer, person + profile, counts and relationship (one statement), "Inbox" badge,
    # whether they are a business, then the posts app's part: bob's posts and his pinned FAQ
    with django_assert_num_queries(8):
        alice_client.get("/u/bob/")


# --- Followers and following pages --------------------------------------------------------------


def test_followers_page_lists_people_with_avatars_and_links(client, alice, bob, carol):
    services.follow(follower=bob, followed=alice)
    services.follow(follower=carol, followed=alice)
    html = page_of(client, "/u/alice/followers/")
    # Newest first.
    assert html.index("Carol Diaz") < html.index("Bob Okafor")
    assert '<a class="person-link" href="/u/bob/">' in html
    assert '<span class="avatar" aria-hidden="true">B</span>' in html
    assert 'aria-current="page">Followers</a>' in html


def test_following_page_lists_whom_the_person_follows(client, alice, bob, carol):
    services.follow(follower=alice, followed=carol)
    html = page_of(client, "/u/alice/following/")
    assert "Carol Diaz" in html and "Bob Okafor" not in html
    assert 'aria-current="page">Following</a>' in html


def test_follow_pages_say_when_they_are_empty(alice_client, bob):
    assert "Nobody follows you yet." in page_of(alice_client, "/u/alice/followers/")
    assert "@bob doesn't follow anyone yet." in page_of(alice_client, "/u/bob/following/")


def test_follow_pages_give_the_viewer_a_button_per_person(alice_client, alice, bob, carol, make_user):
    dan = make_user("dan", display_name="Dan K")
    for person in (bob, carol, alice):
        services.follow(follower=person, followed=dan)
    services.follow(follower=alice, followed=bob)
    services.block(blocker=carol, blocked=alice)
    html = page_of(alice_client, "/u/dan/followers/")
    rows = {
        re.search(r'href="/u/(\w+)/"', row).group(1): buttons(row)
        for row in re.findall(r'<li class="person-row">(.*?)</li>', html, re.S)
    }
    # alice follows bob; carol blocked alice (no button); alice is herself (no button).
    assert rows == {"alice": [], "bob": ["Following"], "carol": []}


@pytest.mark.parametrize("direction", ["followers", "following"])
def test_follow_pages_keep_their_query_count_for_1_or_10_people(
    alice_client, bob, make_user, direction, django_assert_num_queries
):
    def add_people(count, start):
        for index in range(start, start + count):
            person = make_user(f"person{index}")
            if direction == "followers":
                services.follow(follower=person, followed=bob)
            else:
                services.follow(follower=bob, followed=person)

    add_people(1, 0)
    # session, viewer, person + profile, page count, rows with profiles and the viewer's buttons, "Inbox" badge
    with django_assert_num_queries(6):
        assert alice_client.get(f"/u/bob/{direction}/").status_code == 200
    add_people(9, 1)
    with django_assert_num_queries(6):
        html = alice_client.get(f"/u/bob/{direction}/").content.decode()
    assert html.count('class="person-row"') == 10


def test_follow_pages_are_paginated(client, bob, make_user):
    for index in range(31):
        services.follow(follower=make_user(f"person{index:02d}"), followed=bob)
    html = page_of(client, "/u/bob/followers/")
    assert html.count('class="person-row"') == 30
    assert "Page 1 of 2" in html and 'href="?page=2" rel="next">Next</a>' in html
    html = page_of(client, "/u/bob/followers/?page=2")
    assert html.count('class="person-row"') == 1 and "@person00" in html
    assert page_of(client, "/u/bob/followers/?page=nonsense").count('class="person-row"') == 30


def test_follow_pages_of_unknown_or_deactivated_people_are_404(client, bob):
    assert client.get("/u/nobody/followers/").status_code == 404
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert client.get("/u/bob/following/").status_code == 404


# --- Privacy settings ---------------------------------------------------------------------------


def test_privacy_page_needs_login(client):
    response = client.get("/settings/privacy/")
    assert response["Location"] == "/accounts/login/?next=/settings/privacy/"


def test_privacy_page_has_the_radio_group_with_the_contract_labels(alice_client):
    html = page_of(alice_client, "/settings/privacy/")
    assert re.search(r"<legend>Who can message me</legend>", html)
    labels = re.findall(r'<label for="id_message_policy_\d">([^<]+)</label>', html)
    assert labels == ["Everyone", "People I follow, and requests from others", "Only people I follow"]
    assert re.search(r'value="requests" id="id_message_policy_1" checked', html)
    assert "Save" in buttons(html)


def test_settings_navigation_links_to_privacy(alice_client):
    html = page_of(alice_client, "/settings/")
    assert '<a href="/settings/privacy/">Privacy</a>' in html
    assert '<a href="/settings/privacy/" aria-current="page">Privacy</a>' in page_of(alice_client, "/settings/privacy/")


def test_choosing_who_can_message_me_is_saved(alice_client, alice):
    response = alice_client.post("/settings/privacy/", {"message_policy": "followed"}, follow=True)
    assert Profile.objects.get(user=alice).message_policy == "followed"
    assert "Your privacy settings are saved." in flash_texts(response)
    assert re.search(r'value="followed" id="id_message_policy_2" checked', response.content.decode())


def test_an_unknown_choice_is_refused_and_nothing_changes(alice_client, alice):
    response = alice_client.post("/settings/privacy/", {"message_policy": "friends"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert Profile.objects.get(user=alice).message_policy == "requests"


def test_privacy_page_lists_my_blocked_and_muted_people_with_undo_buttons(alice_client, alice, bob, carol):
    services.block(blocker=alice, blocked=bob)
    services.mute_person(muter=alice, muted=carol)
    html = page_of(alice_client, "/settings/privacy/")
    blocked = html[html.index('id="blocked-heading"'):html.index('id="muted-heading"')]
    muted = html[html.index('id="muted-heading"'):]
    assert "Bob Okafor" in blocked and "Carol Diaz" not in blocked
    assert buttons(blocked) == ["Unblock"] and 'action="/u/bob/unblock/"' in blocked
    assert "Carol Diaz" in muted and buttons(muted) == ["Unmute"]
    assert 'name="next" value="/settings/privacy/"' in blocked


def test_unblocking_from_the_privacy_page_returns_there(alice_client, alice, bob):
    services.block(blocker=alice, blocked=bob)
    response = alice_client.post("/u/bob/unblock/", {"next": "/settings/privacy/"}, follow=True)
    assert response.redirect_chain == [("/settings/privacy/", 302)]
    assert "You haven't blocked anyone." in response.content.decode()


def test_carol_sees_only_her_own_privacy_settings(client, alice, bob, carol):
    services.block(blocker=alice, blocked=bob)
    services.mute_person(muter=alice, muted=bob)
    services.set_message_policy(user=alice, policy="followed")
    client.force_login(carol)
    html = page_of(client, "/settings/privacy/")
    assert "Bob Okafor" not in html
    assert "You haven't blocked anyone." in html and "You haven't muted anyone." in html
    assert re.search(r'value="requests" id="id_message_policy_1" checked', html)
    # alice's profile shows carol nothing of alice's blocks, mutes or setting.
    html = page_of(client, "/u/alice/")
    assert "bob" not in html.lower() and "Only people I follow" not in html


def test_privacy_page_keeps_its_query_count_for_1_or_10_blocked(alice_client, alice, make_user, django_assert_num_queries):
    def add(count, start):
        for index in range(start, start + count):
            person = make_user(f"person{index}")
            services.block(blocker=alice, blocked=person)
            services.mute_person(muter=alice, muted=person)

    add(1, 0)
    # session, user, profile, blocked count + rows, muted count + rows, "Inbox" badge
    with django_assert_num_queries(8):
        alice_client.get("/settings/privacy/")
    add(9, 1)
    with django_assert_num_queries(8):
        html = alice_client.get("/settings/privacy/").content.decode()
    assert html.count('class="person-row"') == 20
