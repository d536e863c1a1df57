"""Search in a real browser: a word from an old part of a conversation, and the jump to it."""

import pytest

from tests.browser.test_inbox import expect, open_as  # noqa: F401  (expect: fixture)
from tests.inbox.conftest import make_user  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def long_talk(live_site, alice, bob, settings):
    from inbox import services

    settings.SEND_RATE_PER_MINUTE = 0
    thread = services.start_thread(creator=alice, recipients=[bob])[0]
    for n in range(1, 121):
        body = "Meet me at the old lighthouse at dawn" if n == 5 else f"line {n} of our long talk"
        services.send_message(sender=bob if n % 2 else alice, thread=thread, body=body)
    return thread


async def test_alice_finds_an_old_message_and_jumps_to_it(live_site, browser, long_talk, expect):
    page = await open_as(browser, live_site, "alice", "/inbox/")
    search = page.get_by_role("searchbox", name="Search")
    await search.fill("lighthouses")  # stemmed: finds "lighthouse"
    await search.press("Enter")
    await page.wait_for_url("**/search/?**")
    result = page.get_by_role("link", name="Meet me at the old lighthouse at dawn")
    await expect(page.locator("mark")).to_contain_text("lighthouse")
    await result.first.click()
    await page.wait_for_url(f"**/inbox/{long_talk.pk}/?at=5#message-*")
    found = page.locator("[data-messages] li.message", has_text="Meet me at the old lighthouse at dawn")
    await expect(found).to_be_in_viewport()
    # An older part of the history: the newest messages are not on this page
    await expect(page.locator("[data-messages]")).not_to_contain_text("line 120 of our long talk")
    assert page.script_errors == []
