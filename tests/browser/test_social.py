"""Browser: following, blocking through the "More" menu with the keyboard, and the privacy settings."""

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@sync_to_async
def make_people():
    from accounts import services

    for name, display_name in [("alice", "Alice Martin"), ("bob", "Bob Okafor")]:
        user = services.create_account(username=name, email=f"{name}@example.com", password=PASSWORD)
        services.update_profile(user=user, display_name=display_name)


@sync_to_async
def relations():
    from accounts.models import Block, Follow, Profile

    return {
        "follows": list(Follow.objects.values_list("follower__username", "followed__username")),
        "blocks": list(Block.objects.values_list("blocker__username", "blocked__username")),
        "policy": Profile.objects.get(user__username="alice").message_policy,
    }


async def log_in(page, url, username):
    await page.goto(f"{url}/accounts/login/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/inbox/")


async def test_alice_follows_bob_blocks_him_from_the_more_menu_and_unblocks_him_in_privacy(live_site, browser):
    await make_people()
    page = await browser.new_page()
    await log_in(page, live_site.url, "alice")
    await page.goto(f"{live_site.url}/u/bob/")

    await page.get_by_role("button", name="Follow", exact=True).click()
    await page.get_by_role("button", name="Following", exact=True).wait_for()
    await page.get_by_role("link", name="1 follower").click()
    await page.wait_for_url(f"{live_site.url}/u/bob/followers/")
    assert await page.get_by_role("link", name="Alice Martin @alice").is_visible()
    await page.get_by_role("link", name="Bob Okafor @bob").click()

    # The "More" menu opens from the keyboard and its buttons are reachable with Tab.
    more = page.get_by_text("More", exact=True)
    await more.focus()
    await page.keyboard.press("Enter")
    block = page.get_by_role("button", name="Block", exact=True)
    assert await block.is_visible()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    assert await block.evaluate("button => button === document.activeElement")
    await page.keyboard.press("Enter")

    await page.get_by_role("status").get_by_text("You blocked @bob.").wait_for()
    assert await page.get_by_role("link", name="Message").count() == 0
    assert await page.get_by_role("button", name="Follow", exact=True).count() == 0
    assert (await relations())["blocks"] == [("alice", "bob")]
    assert (await relations())["follows"] == []

    await page.goto(f"{live_site.url}/settings/")
    await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Privacy").click()
    await page.wait_for_url(f"{live_site.url}/settings/privacy/")
    group = page.get_by_role("group", name="Who can message me")
    assert await group.get_by_label("People I follow, and requests from others").is_checked()
    await group.get_by_label("Only people I follow").check()
    await page.get_by_role("button", name="Save").click()
    await page.get_by_text("Your privacy settings are saved.").wait_for()
    assert await page.get_by_label("Only people I follow").is_checked()
    assert (await relations())["policy"] == "followed"

    await page.get_by_role("button", name="Unblock").click()
    await page.get_by_text("You unblocked @bob.").wait_for()
    assert await page.get_by_text("You haven't blocked anyone.").is_visible()
    assert (await relations())["blocks"] == []
