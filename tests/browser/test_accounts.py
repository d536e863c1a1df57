import pytest

from tests.accounts.pictures import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

PASSWORD = "a-long-browser-passphrase"


async def test_new_person_signs_up_sets_a_profile_with_avatar_and_logs_out_and_back_in(live_site, browser):
    page = await browser.new_page()
    await page.goto(f"{live_site.url}/accounts/login/")
    await page.get_by_role("link", name="Sign up", exact=True).last.click()

    await page.get_by_label("Username").fill("zoe")
    await page.get_by_label("Email").fill("zoe@example.com")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Password confirmation").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_url(f"{live_site.url}/inbox/")

    await page.get_by_role("link", name="Settings").click()
    await page.get_by_label("Display name").fill("Zoe Lambert")
    await page.get_by_label("Bio").fill("Ceramics and long walks.")
    await page.get_by_label("Avatar").set_input_files(
        {"name": "zoe.png", "mimeType": "image/png", "buffer": png_bytes(400, 300, (30, 160, 90))}
    )
    await page.get_by_role("button", name="Save").click()
    await page.get_by_text("Your profile is saved.").wait_for()

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    await page.wait_for_url(f"{live_site.url}/u/zoe/")
    assert await page.get_by_role("heading", level=1).inner_text() == "Zoe Lambert"
    assert await page.get_by_text("@zoe").is_visible()
    assert await page.get_by_text("Ceramics and long walks.").is_visible()
    avatar = page.locator("img.avatar-large")
    await avatar.wait_for()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await avatar.element_handle())
    assert await avatar.evaluate("img => img.naturalWidth") == 256

    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(f"{live_site.url}/accounts/login/")
    await page.get_by_label("Username").fill("zoe")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{live_site.url}/inbox/")
    assert await page.get_by_role("link", name="Inbox").is_visible()
