import pytest

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


async def test_login_page_is_served_with_its_stylesheet(live_site, browser):
    page = await browser.new_page()
    response = await page.goto(f"{live_site.url}/accounts/login/")
    assert response.status == 200
    await page.get_by_label("Username").fill("nobody")
    await page.get_by_label("Password").fill("wrong-password")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    background = await page.evaluate("getComputedStyle(document.querySelector('.topbar')).position")
    assert background == "sticky"
