"""Browser: message requests arrive live, Accept moves them to the inbox, and a block stops the next message."""

import os

import pytest
from asgiref.sync import sync_to_async

from tests.browser.test_inbox import messages, open_as, send, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

SHOTS = os.environ.get("PARLEY_SHOTS") or os.path.join(os.environ.get("PARLEY_DATA_DIR", "/tmp"), "shots")


@pytest.fixture
def expect():
    from playwright.async_api import expect

    expect.set_options(timeout=8000)
    return expect


@pytest.fixture
def people(live_site, alice, bob, carol):
    """bob keeps the default policy and follows alice; carol is a stranger to him."""
    from accounts import services

    services.follow(follower=bob, followed=alice)
    return alice, bob, carol


async def test_a_strangers_message_waits_in_requests_live_and_accept_moves_it_to_the_inbox(
    live_site, browser, people, expect
):
    bob = await open_as(browser, live_site, "bob", "/inbox/?box=requests")
    await expect(bob.get_by_text("No message requests")).to_be_visible()
    carol = await open_as(browser, live_site, "carol", "/inbox/new/")
    await carol.get_by_label("To").fill("bob")
    await carol.get_by_label("Message").fill("Hi Bob, can I ask you about the flat?")
    await carol.get_by_role("button", name="Start conversation").click()
    await expect(carol.locator("li.message", has_text="can I ask you about the flat?")).to_have_count(1)
    await wait_connected(carol)

    # bob's Requests tab, never reloaded: the request appears with who wrote and why he sees it.
    row = bob.locator(".request-row", has_text="Carol Diaz")
    await expect(row).to_be_visible()
    await expect(row.locator("[data-request-reason]")).to_have_text("No connection")
    await expect(row.locator("[data-thread-preview]")).to_have_text("Hi Bob, can I ask you about the flat?")
    await expect(bob.locator("[data-requests-count] [data-count]")).to_have_text("1")
    await expect(bob.locator("[data-unread-badge]")).to_be_hidden()  # requests stay out of the badge
    os.makedirs(SHOTS, exist_ok=True)
    await bob.screenshot(path=os.path.join(SHOTS, "requests-1280.png"))

    # Opening the request tells carol nothing; Accept moves it into the inbox and sends "Seen".
    await row.locator(".thread-link").click()
    await bob.wait_for_url("**/inbox/*/")
    await wait_connected(bob)
    banner = bob.get_by_role("region", name="Message request")
    await expect(banner).to_contain_text("Carol Diaz (@carol) wants to message you")
    await expect(carol.locator("[data-receipt]")).to_have_text("Sent")
    await banner.get_by_role("button", name="Accept").click()
    await expect(bob.get_by_role("region", name="Message request")).to_have_count(0)
    await expect(carol.locator("[data-receipt]")).to_have_text("Seen")
    await bob.get_by_role("link", name="All", exact=True).click()
    await expect(bob.locator(".thread-row", has_text="Carol Diaz")).to_be_visible()
    await expect(bob.locator("[data-requests-count]")).to_be_hidden()
    assert bob.script_errors == [] and carol.script_errors == []


async def test_after_bob_blocks_alice_her_next_message_is_refused(live_site, browser, people, expect):
    from inbox.models import Message
    from inbox.services import send_message, start_thread

    alice_user, bob_user, _carol = people
    thread = await sync_to_async(lambda: start_thread(creator=alice_user, recipients=[bob_user])[0])()
    await sync_to_async(send_message)(sender=alice_user, thread=thread, body="Hey Bob")
    alice = await open_as(browser, live_site, "alice", f"/inbox/{thread.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{thread.pk}/")

    # bob blocks alice from the conversation's details.
    await bob.get_by_text("Details", exact=True).click()
    await bob.get_by_role("button", name="Block").click()
    await expect(bob.locator("[data-frozen-notice]")).to_contain_text("You blocked @alice")
    await expect(bob.get_by_label("Message")).to_have_count(0)  # frozen: no composer
    await wait_connected(bob)

    # alice's page is still open on its old socket: her next message is refused, nothing is stored.
    await send(alice, "Are you there?")
    failed = alice.locator("li.message.is-failed")
    await expect(failed).to_contain_text("Not sent. You can't message this person")
    assert await sync_to_async(Message.objects.count)() == 1
    await expect(messages(bob)).to_have_count(1)
    os.makedirs(SHOTS, exist_ok=True)
    await alice.screenshot(path=os.path.join(SHOTS, "refused-1280.png"))
    await bob.screenshot(path=os.path.join(SHOTS, "frozen-1280.png"))
    assert alice.script_errors == [] and bob.script_errors == []
