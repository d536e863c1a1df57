"""Colour contrast of the main pages, in dark and light, checked by axe-core's color-contrast rule.

axe-core is vendored (tests/browser/vendor/axe-core, MPL-2.0), so the test runs offline. The pages hold
messages of both people, a reply, a reaction, a post and a search match, so both bubble colours, quotes,
chips and highlights are on screen. PARLEY_SCREENSHOTS=1 also leaves full-page screenshots of each page
at 1280 and 390 px in var/screenshots/ for a person to look at.
"""

import os
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from tests.browser.test_inbox import wait_connected
from tests.conftest import PASSWORD
from tests.inbox.conftest import make_user  # noqa: F401  (fixture: people take messages from anyone)
from tests.posts.conftest import picture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()

RUN_CONTRAST = """async () => {
  const result = await axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]}, resultTypes: ["violations"]});
  return result.violations.flatMap((violation) => violation.nodes.map((node) => node.target.join(" ") + ": " + node.failureSummary));
}"""

# (device's colour scheme, the account's theme, what the page must end up as)
MODES = {
    "device-dark": ("dark", "system", "dark"),
    "account-dark": ("light", "dark", "dark"),
    "device-light": ("light", "system", "light"),
    "account-light": ("dark", "light", "light"),
}


@pytest.fixture
def site_with_everything(live_site, alice, bob):
    """alice (staff, for the admin) and bob talk, follow each other and posted; returns the page paths."""
    from accounts import services as accounts_services
    from inbox.services import react, send_message, start_thread
    from moderation.services import report_message
    from posts import services as posts_services

    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    accounts_services.follow(follower=alice, followed=bob)
    accounts_services.follow(follower=bob, followed=alice)
    thread, _ = start_thread(creator=alice, recipients=[bob])
    question, _ = send_message(sender=bob, thread=thread, body="Are we still on for the pottery class on Saturday?")
    send_message(sender=alice, thread=thread, body="Yes! I booked the wheel for ten.", reply_to=question.seq)
    send_message(sender=bob, thread=thread, body="Great, I'll bring the aprons and the pottery tools.")
    react(user=alice, thread=thread, seq=question.seq, emoji="👍")
    post = posts_services.create_post(author=bob, body="Our first bowls came out of the kiln today.", uploaded_files=[picture()])
    report, _ = report_message(reporter=alice, message_id=question.pk, reason="spam")
    return {
        "inbox": "/inbox/",
        "conversation": f"/inbox/{thread.pk}/",
        "profile": "/u/bob/",
        "settings": "/settings/appearance/",
        "home feed": "/",
        "search results": "/search/?q=pottery",
        "admin index": "/admin/",
        "admin report": f"/admin/moderation/report/{report.pk}/change/",
        # Beyond the main pages: the other pages people see often.
        "new message": "/inbox/new/",
        "post": f"/p/{post.pk}/",
        "followers": "/u/bob/followers/",
        "privacy": "/settings/privacy/",
        "edit profile": "/settings/",
    }


async def contrast_violations(page):
    await page.evaluate(AXE)
    return await page.evaluate(RUN_CONTRAST)


async def check_page(page, name, path, live_site, expected_scheme, shots):
    response = await page.goto(f"{live_site.url}{path}")
    assert response.status == 200, f"{name}: {response.status}"
    if not path.startswith("/admin/"):
        if not path.startswith("/accounts/"):
            await wait_connected(page)  # inbox.js has marked my messages and drawn what it draws
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        # The page really is in the expected scheme: dark pages have a dark body, light ones a light body.
        red = int(background.split("(")[1].split(",")[0])
        assert (red < 60) == (expected_scheme == "dark"), f"{name} is not {expected_scheme}: {background}"
    else:
        theme = await page.evaluate("document.documentElement.dataset.theme")
        scheme = await page.evaluate("getComputedStyle(document.body).colorScheme")
        assert theme in ("auto", expected_scheme) and expected_scheme in scheme, f"admin: {theme}, {scheme}"
    if name == "conversation":
        # The message menu shows on hover; open its "More" part too, so its items are checked.
        last = page.locator("[data-messages] li.message").last
        await last.hover()
        await last.locator("details.menu-more").evaluate("(details) => { details.open = true; }")
    if shots:
        for width in (1280, 390):
            await page.set_viewport_size({"width": width, "height": 900})
            await page.screenshot(path=os.path.join(shots, f"{expected_scheme}-{name.replace(' ', '-')}-{width}.png"), full_page=True)
        await page.set_viewport_size({"width": 1280, "height": 900})
    return [f"{name}: {line}" for line in await contrast_violations(page)]


@pytest.mark.parametrize("mode", MODES)
async def test_main_pages_have_no_contrast_failures(mode, live_site, browser, site_with_everything, screenshot_dir):
    from accounts.models import User

    device, theme, expected = MODES[mode]
    shots = screenshot_dir if os.environ.get("PARLEY_SCREENSHOTS") == "1" and mode in ("device-dark", "device-light") else None
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=device, bypass_csp=True)
    page = await context.new_page()
    violations = []

    if theme == "system":  # logged out, the page can only follow the device
        violations += await check_page(page, "sign up", "/accounts/signup/", live_site, expected, shots)
        violations += await check_page(page, "login", "/accounts/login/", live_site, expected, shots)
    await page.goto(f"{live_site.url}/accounts/login/")
    await page.get_by_label("Username").fill("alice")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state()
    if theme != "system":
        # Chosen the way a person does: a radio and Save, a plain form post (no script involved).
        await page.goto(f"{live_site.url}/settings/appearance/")
        await page.get_by_label(User.Theme(theme).label, exact=True).check()
        await page.get_by_role("button", name="Save").click()
        await page.wait_for_url("**/settings/appearance/")
        assert await page.evaluate("document.documentElement.dataset.theme") == theme
        assert (await User.objects.aget(username="alice")).theme == theme
        violations += [f"saved flash: {line}" for line in await contrast_violations(page)]
    for name, path in site_with_everything.items():
        violations += await check_page(page, name, path, live_site, expected, shots)
    await context.close()
    assert violations == [], "\n".join(violations)


@pytest.fixture
def brand_pages(live_site, make_user):
    """northwind, a business with hours, a quick reply and a customer's message; returns the page paths."""
    import datetime

    from business import services as business_services
    from inbox.services import send_message, start_thread

    brand = make_user("northwind", display_name="Northwind Coffee")
    customer = make_user("ann", display_name="Ann Lee")
    business_services.save_business_profile(
        user=brand, category="Coffee roaster", website="", time_zone="UTC",
        hours={day: (datetime.time(0, 0), datetime.time(23, 59)) for day in range(7)}, open_to_collaborations=False,
    )
    business_services.save_quick_reply(owner=brand, shortcut="thanks", text="Thanks {first_name|there}, we're on it!")
    thread, _ = start_thread(creator=customer, recipients=[brand])
    send_message(sender=customer, thread=thread, body="Do you ship beans abroad?")
    return {
        "brand profile": "/u/northwind/",
        "business inbox": "/business/inbox/",
        "customer": f"/business/conversations/{thread.pk}/",
        "brand conversation": f"/inbox/{thread.pk}/",
        "business settings": "/business/settings/",
        "quick replies": "/business/quick-replies/",
        "offers": "/business/offers/",
        "insights": "/business/insights/",
    }


@pytest.mark.parametrize("device", ["dark", "light"])
async def test_brand_pages_have_no_contrast_failures(device, live_site, browser, brand_pages, screenshot_dir):
    shots = screenshot_dir if os.environ.get("PARLEY_SCREENSHOTS") == "1" else None
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=device, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{live_site.url}/accounts/login/")
    await page.get_by_label("Username").fill("northwind")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state()
    violations = []
    for name, path in brand_pages.items():
        violations += await check_page(page, name, path, live_site, device, shots)
    await context.close()
    assert violations == [], "\n".join(violations)


async def test_the_chosen_theme_needs_no_javascript(live_site, browser, alice):
    from accounts import services as accounts_services

    await sync_to_async(accounts_services.set_theme)(user=alice, theme="dark")
    context = await browser.new_context(color_scheme="light", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{live_site.url}/accounts/login/?next=/settings/appearance/")
    await page.get_by_label("Username").fill("alice")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/settings/appearance/")
    # The first response already carries the theme: nothing has to run for the page to be dark.
    assert await page.locator("html").get_attribute("data-theme") == "dark"
    assert await page.locator("body").evaluate("(body) => getComputedStyle(body).backgroundColor") == "rgb(15, 17, 23)"
    await context.close()
