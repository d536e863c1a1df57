"""The public side in real browsers: a public comment answered in private, and a story reply."""

import os

import pytest
from asgiref.sync import sync_to_async

from tests.browser.test_inbox import open_as, wait_connected
from tests.inbox.conftest import make_user  # noqa: F401  (fixture: people take messages from anyone)
from tests.posts.conftest import picture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

SHOTS = os.environ.get("PARLEY_SHOTS") or os.path.join(os.environ.get("PARLEY_DATA_DIR", "/tmp"), "shots")


@pytest.fixture
def expect():
    from playwright.async_api import expect

    expect.set_options(timeout=8000)
    return expect


@pytest.fixture
def alices_post(live_site, alice, bob):
    from accounts import services as accounts_services
    from inbox.services import send_message, start_thread
    from posts import services

    accounts_services.follow(follower=bob, followed=alice)
    thread, _ = start_thread(creator=alice, recipients=[bob])
    send_message(sender=alice, thread=thread, body="See you Saturday!")
    post = services.create_post(author=alice, body="New opening hours from Monday: 8:00 to 18:00.", uploaded_files=[picture()])
    return post, thread


async def test_alice_replies_privately_to_bobs_public_comment_and_bob_sees_it_live(
    live_site, browser, alices_post, expect
):
    post, thread = alices_post
    bob = await open_as(browser, live_site, "bob", f"/p/{post.pk}/")
    await bob.get_by_label("Add a comment").fill("Open on Sundays too?")
    await bob.get_by_role("button", name="Comment", exact=True).click()
    await expect(bob.locator(".comment", has_text="Open on Sundays too?")).to_be_visible()
    os.makedirs(SHOTS, exist_ok=True)
    await bob.screenshot(path=os.path.join(SHOTS, "post-1280.png"), full_page=True)

    # bob now waits in his conversation with alice; nothing is reloaded from here on.
    await bob.goto(f"{live_site.url}/inbox/{thread.pk}/")
    await wait_connected(bob)

    alice = await open_as(browser, live_site, "alice", f"/p/{post.pk}/")
    comment = alice.locator(".comment", has_text="Open on Sundays too?")
    await comment.get_by_role("link", name="Reply privately").click()
    await alice.wait_for_url("**/reply/")
    await expect(alice.locator(".message-card")).to_contain_text("Open on Sundays too?")
    await alice.screenshot(path=os.path.join(SHOTS, "reply-privately-1280.png"))
    await alice.get_by_label("Message").fill("Not on Sundays, sorry! We roast then.")
    await alice.get_by_role("button", name="Send").click()
    await alice.wait_for_url(f"**/inbox/{thread.pk}/")

    arrived = bob.locator("li.message", has_text="Not on Sundays, sorry!")
    await expect(arrived).to_have_attribute("data-sender", "alice")
    card = arrived.locator(".message-card")
    await expect(card).to_contain_text("Replied to your comment")
    await expect(card).to_contain_text("Open on Sundays too?")
    await bob.screenshot(path=os.path.join(SHOTS, "comment-card-1280.png"))
    assert alice.script_errors == [] and bob.script_errors == []


@pytest.fixture
def bobs_story(live_site, bob, carol):
    from accounts import services as accounts_services
    from posts import services

    accounts_services.follow(follower=carol, followed=bob)
    return services.create_story(author=bob, uploaded_file=picture("story.jpg", size=(360, 640)), caption="Lake at dawn")


async def test_carol_replies_to_bobs_story_and_bob_sees_the_story_card_with_its_thumbnail(
    live_site, browser, bobs_story, expect
):
    bob = await open_as(browser, live_site, "bob", "/inbox/")
    carol = await open_as(browser, live_site, "carol", "/")
    os.makedirs(SHOTS, exist_ok=True)
    await carol.screenshot(path=os.path.join(SHOTS, "feed-1280.png"), full_page=True)
    await carol.locator('[data-story-ring="bob"]').click()
    await carol.wait_for_url(f"**/stories/{bobs_story.pk}/")
    await expect(carol.locator(".story-media")).to_be_visible()
    await carol.get_by_label("Reply to bob…").fill("Gorgeous light!")
    await carol.screenshot(path=os.path.join(SHOTS, "story-1280.png"))
    await carol.get_by_role("button", name="Send").click()
    await expect(carol.get_by_text("Reply sent to Bob Okafor.")).to_be_visible()

    row = bob.locator("[data-thread-row]", has_text="Carol Diaz")
    await expect(row).to_be_visible()
    await row.get_by_role("link").first.click()
    await wait_connected(bob)
    message = bob.locator("li.message", has_text="Gorgeous light!")
    card = message.locator(".message-card")
    await expect(card).to_contain_text("Replied to your story")
    thumbnail = card.locator("img.message-card-thumbnail")
    await expect(thumbnail).to_have_attribute("src", f"/media/{bobs_story.attachment_id}/thumbnail/")
    assert await thumbnail.evaluate("image => image.complete && image.naturalWidth > 0")
    await bob.screenshot(path=os.path.join(SHOTS, "story-card-1280.png"))
    assert bob.script_errors == [] and carol.script_errors == []


async def test_new_posts_appear_at_the_top_of_the_feed(live_site, browser, alices_post, expect):
    from posts import services

    post, _thread = alices_post
    bob = await open_as(browser, live_site, "bob", "/")
    await expect(bob.locator(f"#post-{post.pk}")).to_be_visible()
    new_posts = bob.get_by_role("link", name="New posts")
    await expect(new_posts).to_be_hidden()
    alice = post.author
    await sync_to_async(services.create_post)(author=alice, body="Also open on public holidays.")
    await bob.evaluate("() => window.parleyPosts.poll()")
    await expect(new_posts).to_be_visible()
    await new_posts.click()
    await expect(bob.locator(".post").first).to_contain_text("Also open on public holidays.")
    assert bob.script_errors == []
