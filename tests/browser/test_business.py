"""A brand in a real browser: a quick reply with the customer's name, a rating asked and given, insights."""

import datetime

import pytest
from asgiref.sync import sync_to_async

from tests.browser.test_inbox import open_as, send
from tests.business.conftest import make_user  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def expect():
    from playwright.async_api import expect

    expect.set_options(timeout=8000)
    return expect


@pytest.fixture
def shop(live_site, make_user):
    from business import services
    from inbox.services import start_thread

    brand = make_user("northwind", display_name="Northwind Coffee")
    customer = make_user("ann", display_name="Ann Lee")
    services.save_business_profile(
        user=brand, category="Coffee roaster", website="", time_zone="UTC",
        hours={day: (datetime.time(0, 0), datetime.time(23, 59)) for day in range(7)}, open_to_collaborations=False,
    )
    services.save_quick_reply(owner=brand, shortcut="thanks", text="Thanks {first_name|there}, we're on it!")
    services.save_quick_reply(owner=brand, shortcut="hours", text="We roast on Fridays.")
    thread, _ = start_thread(creator=customer, recipients=[brand])
    return thread


async def test_a_brand_answers_with_a_quick_reply_and_gets_five_stars(live_site, browser, shop, expect, screenshot_dir):
    customer = await open_as(browser, live_site, "ann", f"/inbox/{shop.pk}/")
    brand = await open_as(browser, live_site, "northwind", f"/inbox/{shop.pk}/")
    await send(customer, "Hello, is my order on its way?")
    await expect(brand.locator("li.message", has_text="is my order on its way")).to_be_visible()

    composer = brand.get_by_label("Message")
    await composer.fill("")
    await composer.press_sequentially("/th")
    listbox = brand.get_by_role("listbox", name="Quick replies")
    await expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    await expect(options).to_have_count(1)
    await expect(options.first).to_have_attribute("aria-selected", "true")
    # Escape closes the list and keeps the text; typing opens it again.
    await composer.press("Escape")
    await expect(listbox).to_be_hidden()
    # The mouse picks one too.
    await composer.fill("")
    await composer.press_sequentially("/ho")
    await listbox.get_by_role("option", name="/hours We roast on Fridays.").click()
    await expect(composer).to_have_value("We roast on Fridays.")
    await composer.fill("")
    await composer.press_sequentially("/")
    await expect(options).to_have_count(2)
    await composer.press("ArrowDown")
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    await composer.press("Enter")
    # The reply is inserted for editing, filled in with the customer's first name, not sent yet.
    await expect(composer).to_have_value("Thanks Ann, we're on it!")
    await composer.press("End")
    await composer.press_sequentially(" Tomorrow.")
    await composer.press("Enter")
    await expect(customer.locator("li.message", has_text="Thanks Ann, we're on it! Tomorrow.")).to_be_visible()
    await brand.screenshot(path=f"{screenshot_dir}/business-quick-reply.png")

    await brand.get_by_role("button", name="Ask for feedback").click()
    stars = customer.get_by_role("button", name="5 stars")
    await expect(stars).to_be_visible()
    await stars.click()
    await expect(customer.locator("[data-feedback-result]")).to_contain_text("Rated 5 stars")

    await brand.goto(f"{live_site.url}/business/insights/")
    await expect(brand.locator("[data-figure=week-feedback]")).to_contain_text("5.0 of 5")
    first_response = await brand.locator("[data-figure=week-first-response]").inner_text()
    assert first_response.endswith(" s") or first_response.endswith(" min")
    await brand.screenshot(path=f"{screenshot_dir}/business-insights.png", full_page=True)
    assert brand.script_errors == [] and customer.script_errors == []
