"""Being told in the browser: the tab's title and icon, and browser notifications from a background tab.

Headless Chromium keeps every page visible, so a tab is sent to the background by emulating
document.visibilityState (and its visibilitychange event); window.Notification is a stand-in that
records what would be shown and remembers its permission in the origin's localStorage.
"""

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import PASSWORD
from tests.inbox.conftest import make_user  # noqa: F401  (fixture)

from .test_inbox import wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

BACKGROUND_TABS = """
(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  window.setHidden = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""

RECORDED_NOTIFICATIONS = """
(() => {
  const shown = [];
  window.permissionAsked = 0;
  class RecordedNotification {
    static get permission() { return localStorage.getItem("test:permission") || "default"; }
    static requestPermission() {
      window.permissionAsked += 1;
      localStorage.setItem("test:permission", "granted");
      return Promise.resolve("granted");
    }
    constructor(title, options = {}) { this.title = title; this.body = options.body; this.tag = options.tag; shown.push(this); }
    close() { this.closed = true; }
  }
  window.Notification = RecordedNotification;
  window.shownNotifications = shown;
})();
"""


@pytest.fixture
def expect():
    from playwright.async_api import expect

    expect.set_options(timeout=8000)
    return expect


async def sign_in(browser, live_site, username, path):
    """A browser context of one person with background tabs and recorded notifications, on path."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(BACKGROUND_TABS)
    await context.add_init_script(RECORDED_NOTIFICATIONS)
    page = await context.new_page()
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    await page.goto(f"{live_site.url}/accounts/login/?next={path}")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**{path}")
    await wait_connected(page)
    return page


async def another_tab(page, live_site, path):
    tab = await page.context.new_page()
    tab.script_errors = []
    tab.on("pageerror", lambda error: tab.script_errors.append(str(error)))
    await tab.goto(f"{live_site.url}{path}")
    await wait_connected(tab)
    return tab


async def to_background(page):
    await page.evaluate("window.setHidden(true)")


async def to_front(page):
    await page.evaluate("window.setHidden(false)")


async def shown(page):
    return await page.evaluate("window.shownNotifications.map((n) => ({title: n.title, body: n.body}))")


async def shown_in_all(tabs, count):
    """What the tabs showed together, once they showed count (or 5 s passed), and a moment more for doubles."""
    for _ in range(50):
        together = [item for tab in tabs for item in await shown(tab)]
        if len(together) >= count:
            break
        await tabs[0].wait_for_timeout(100)
    await tabs[0].wait_for_timeout(400)
    return [item for tab in tabs for item in await shown(tab)]


async def send(page, text):
    """Sent from the writer's own page: the live server's channel layer is its own."""
    await page.get_by_label("Message").fill(text)
    await page.get_by_label("Message").press("Enter")
    await page.locator("li.message[data-seq]", has_text=text).wait_for()


@pytest.fixture
def direct(live_site, alice, bob):
    from inbox.services import start_thread

    return start_thread(creator=alice, recipients=[bob])[0]


async def test_a_background_tab_shows_the_unread_count_in_its_title_and_a_dot_on_its_icon(
    live_site, browser, direct, alice, bob, expect
):
    writer = await sign_in(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    page = await sign_in(browser, live_site, "bob", "/settings/")
    icon = page.locator("link[data-favicon]")
    await expect(page).to_have_title("Settings · Parley")
    await expect(icon).to_have_attribute("href", "/static/img/parley.svg")
    await to_background(page)

    await send(writer, "Are you there?")
    await expect(page).to_have_title("(1) Settings · Parley")
    await expect(icon).to_have_attribute("href", "/static/img/parley-unread.svg")
    # A reload (or any page) comes with both already right, before any frame.
    await page.reload()
    await expect(page).to_have_title("(1) Settings · Parley")
    await expect(icon).to_have_attribute("href", "/static/img/parley-unread.svg")

    # Reading it in another tab clears this one's title and icon.
    reader = await another_tab(page, live_site, f"/inbox/{direct.pk}/")
    await expect(reader).to_have_title(f"{'Alice Martin'} · Parley")
    await expect(page).to_have_title("Settings · Parley")
    await expect(icon).to_have_attribute("href", "/static/img/parley.svg")
    assert page.script_errors == [] and reader.script_errors == []


async def test_a_background_tab_notifies_each_new_message_once_after_opting_in(
    live_site, browser, direct, alice, bob, make_user, expect
):
    from inbox.services import set_muted, start_thread

    carol = await sync_to_async(make_user)("carol", display_name="Carol Diaz")
    muted = (await sync_to_async(start_thread)(creator=carol, recipients=[bob]))[0]
    await sync_to_async(set_muted)(user=bob, thread=muted, muted=True)

    alice_page = await sign_in(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    carol_page = await sign_in(browser, live_site, "carol", f"/inbox/{muted.pk}/")
    page = await sign_in(browser, live_site, "bob", "/inbox/")
    offer = page.locator("[data-notifications-offer]")
    await expect(offer).to_be_visible()
    # Never asked before the click.
    assert await page.evaluate("window.permissionAsked") == 0
    await offer.get_by_role("button", name="Turn on notifications").click()
    await expect(offer).to_contain_text("Notifications are on.")
    assert await page.evaluate("window.permissionAsked") == 1

    # Visible: nothing, the page shows the message itself.
    await send(alice_page, "First, while you look")
    await expect(page.locator(f'[data-thread-row="{direct.pk}"] [data-thread-preview]')).to_have_text("First, while you look")
    assert await shown(page) == []

    # Two background tabs of Bob: one notification between them, for each message.
    second = await another_tab(page, live_site, "/inbox/")
    await expect(second.locator("[data-notifications-offer]")).to_be_hidden()
    await to_background(page)
    await to_background(second)
    alice_background = await another_tab(alice_page, live_site, "/inbox/")
    await to_background(alice_background)
    await send(alice_page, "Lunch at 12:30?")
    await send(alice_page, "Or 13:00")
    together = await shown_in_all([page, second], 2)
    assert sorted(together, key=lambda n: n["body"]) == [
        {"title": "Alice Martin", "body": "Lunch at 12:30?"},
        {"title": "Alice Martin", "body": "Or 13:00"},
    ]
    # Alice's own background tab is not told about her own messages.
    assert await shown(alice_background) == []

    # A muted conversation tells nothing; the next message from Alice still does.
    await send(carol_page, "Muted hello")
    await send(alice_page, "Still there?")
    bodies = [n["body"] for n in await shown_in_all([page, second], 3)]
    assert sorted(bodies) == ["Lunch at 12:30?", "Or 13:00", "Still there?"]

    # One of Bob's tabs in front: none of them notifies.
    await to_front(second)
    await send(alice_page, "Now you see it")
    await expect(second.locator(f'[data-thread-row="{direct.pk}"] [data-thread-preview]')).to_have_text("Now you see it")
    await page.wait_for_timeout(300)
    assert len(await shown(page) + await shown(second)) == 3

    # A click on a notification brings its tab forward, in the conversation.
    holder = page if await shown(page) else second
    await holder.evaluate("window.shownNotifications[0].onclick(new Event('click'))")
    await holder.wait_for_url(f"**/inbox/{direct.pk}/")
    await expect(holder.locator("li.message", has_text="Still there?")).to_have_count(1)
    for tab in (page, second, alice_page, alice_background, carol_page):
        assert tab.script_errors == []


async def test_dismissing_the_offer_keeps_it_away_and_asks_nothing(live_site, browser, bob, expect):
    page = await sign_in(browser, live_site, "bob", "/inbox/")
    offer = page.locator("[data-notifications-offer]")
    await offer.get_by_role("button", name="Not now").click()
    await expect(offer).to_be_hidden()
    await page.reload()
    await wait_connected(page)
    await expect(offer).to_be_hidden()
    assert await page.evaluate("window.permissionAsked") == 0


async def test_requests_and_blocked_people_notify_nothing(live_site, browser, alice, bob, carol, make_user, expect):
    from accounts.models import Profile
    from accounts.services import block, follow, set_message_policy
    from inbox.services import start_thread

    dave = await sync_to_async(make_user)("dave", display_name="Dave Kim")
    # Bob hears straight from the people he follows; anyone else is a request.
    await sync_to_async(set_message_policy)(user=bob, policy=Profile.MessagePolicy.REQUESTS)
    await sync_to_async(follow)(follower=bob, followed=alice)
    group = (await sync_to_async(start_thread)(creator=alice, recipients=[bob, carol], name="Trip"))[0]
    await sync_to_async(block)(blocker=bob, blocked=carol)

    alice_page = await sign_in(browser, live_site, "alice", f"/inbox/{group.pk}/")
    carol_page = await sign_in(browser, live_site, "carol", f"/inbox/{group.pk}/")
    dave_page = await sign_in(browser, live_site, "dave", "/inbox/new/")
    page = await sign_in(browser, live_site, "bob", "/inbox/")
    await page.evaluate("localStorage.setItem('test:permission', 'granted')")
    await to_background(page)

    await dave_page.get_by_label("To").fill("bob")
    await dave_page.get_by_label("Message").fill("Hi, we met at the wall")
    await dave_page.get_by_role("button", name="Start conversation").click()
    await expect(dave_page.locator("li.message[data-seq]", has_text="Hi, we met at the wall")).to_have_count(1)
    await expect(page.locator("[data-requests-count]")).to_contain_text("1")
    await send(carol_page, "Bob, you there?")
    await send(alice_page, "Trip is on")
    notifications = await shown_in_all([page], 1)
    # Only Alice's: the request and the message of the person Bob blocked told nothing.
    assert notifications == [{"title": "Alice Martin in Trip", "body": "Trip is on"}]
    for tab in (page, alice_page, carol_page, dave_page):
        assert tab.script_errors == []
