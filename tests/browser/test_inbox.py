"""The live inbox in real browsers: people in separate browser contexts talking through /ws/."""

import re

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import PASSWORD
# People here take messages from anyone, so conversations land in the inbox (test_requests.py covers requests).
from tests.inbox.conftest import make_user  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def expect():
    from playwright.async_api import expect

    expect.set_options(timeout=8000)
    return expect


async def open_as(browser, live_site, username, path):
    """A browser context of its own (cookies and all) for one person, logged in and looking at path."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.script_errors = errors
    await page.goto(f"{live_site.url}/accounts/login/?next={path}")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**{path}")
    await wait_connected(page)
    return page


async def wait_connected(page):
    await page.wait_for_function("() => Boolean(window.parleyInbox && window.parleyInbox.connected)")


def messages(page):
    return page.locator("[data-messages] li.message")


async def send(page, text):
    await page.get_by_label("Message").fill(text)
    await page.get_by_label("Message").press("Enter")


@pytest.fixture
def direct(live_site, alice, bob):
    from inbox.services import start_thread

    return start_thread(creator=alice, recipients=[bob])[0]


@pytest.fixture
def trio(live_site, alice, bob, carol):
    from inbox.services import start_thread

    return start_thread(creator=alice, recipients=[bob, carol], name="Climbing")[0]


async def test_alice_and_bob_talk_live(live_site, browser, direct, carol, expect):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    bob = await open_as(browser, live_site, "bob", "/inbox/")
    badge = bob.locator("[data-unread-badge]")
    await expect(badge).to_be_hidden()

    await send(alice, "Hi Bob, lunch today?")
    # Alice's own bubble settles from "Sending…" to a stored message with a seq.
    mine = alice.locator("li.message[data-seq]", has_text="Hi Bob, lunch today?")
    await expect(mine).to_have_class(re.compile(r"\bis-mine\b"))
    await expect(alice.locator("[data-receipt]")).to_have_text("Sent")

    # Bob's inbox, never reloaded: the badge and the row follow.
    await expect(badge).to_be_visible()
    await expect(badge).to_contain_text("1")
    row = bob.locator(f'[data-thread-row="{direct.pk}"]')
    await expect(row.locator("[data-thread-preview]")).to_have_text("Hi Bob, lunch today?")
    await expect(row.locator("[data-thread-unread]")).to_contain_text("1")

    # Opening the conversation marks it read: Alice sees "Seen" and Bob's badge goes.
    await row.get_by_role("link").click()
    await bob.wait_for_url(f"**/inbox/{direct.pk}/")
    await wait_connected(bob)
    await expect(alice.locator("[data-receipt]")).to_have_text("Seen")
    await expect(bob.locator("[data-unread-badge]")).to_be_hidden()

    # Bob types: Alice sees who is typing, then the reply, and the indicator goes away.
    await bob.get_by_label("Message").press_sequentially("Sure, 12:30", delay=30)
    await expect(alice.locator("[data-typing]")).to_have_text("Bob Okafor is typing…")
    await bob.get_by_label("Message").press("Enter")
    reply = alice.locator("li.message", has_text="Sure, 12:30")
    await expect(reply).to_have_attribute("data-sender", "bob")
    await expect(alice.locator("[data-typing]")).to_have_text("")
    # Alice's page was open and visible when the reply came, so Bob sees it seen.
    await expect(bob.locator("[data-receipt]")).to_have_text("Seen")
    # Shift+Enter adds a line instead of sending.
    await alice.get_by_label("Message").press_sequentially("two")
    await alice.get_by_label("Message").press("Shift+Enter")
    await alice.get_by_label("Message").press_sequentially("lines")
    await expect(alice.get_by_label("Message")).to_have_value("two\nlines")
    await alice.get_by_label("Message").press("Enter")
    await expect(bob.locator("li.message", has_text="two").locator(".message-bubble")).to_have_text("twolines")
    await expect(messages(bob)).to_have_count(3)

    # A conversation that is not on Bob's page yet appears at the top of his list.
    await alice.goto(f"{live_site.url}/inbox/new/")
    await alice.get_by_label("To").fill("bob carol")
    await alice.get_by_label("Group name").fill("Lunch club")
    await alice.get_by_label("Message").fill("Who's in on Friday?")
    await alice.get_by_role("button", name="Start conversation").click()
    await expect(alice.locator("li.message", has_text="Who's in on Friday?")).to_have_count(1)
    first_row = bob.locator("[data-thread-row]").first
    await expect(first_row.locator(".thread-name")).to_have_text("Lunch club")
    await expect(first_row.locator("[data-thread-unread]")).to_be_visible()
    await expect(bob.locator("[data-unread-badge]")).to_contain_text("1")
    assert alice.script_errors == [] and bob.script_errors == []


async def test_a_group_of_three_works_the_same(live_site, browser, trio, expect):
    url = f"/inbox/{trio.pk}/"
    alice = await open_as(browser, live_site, "alice", url)
    bob = await open_as(browser, live_site, "bob", url)
    carol = await open_as(browser, live_site, "carol", url)

    await send(alice, "Wall at 7?")
    for page in (bob, carol):
        await expect(page.locator("li.message", has_text="Wall at 7?")).to_have_attribute("data-sender", "alice")
    # Both had the conversation open and in view, so both count as having seen it.
    await expect(alice.locator("[data-receipt]")).to_have_text("Seen by 2")

    await carol.get_by_label("Message").press_sequentially("I'm in", delay=30)
    for page in (alice, bob):
        await expect(page.locator("[data-typing]")).to_have_text("Carol Diaz is typing…")
    await carol.get_by_label("Message").press("Enter")
    for page in (alice, bob):
        await expect(page.locator("li.message", has_text="I'm in")).to_have_attribute("data-sender", "carol")

    # The creator removes Carol with the form in the details panel: her open page is told at once.
    await alice.get_by_text("Details").click()
    await alice.get_by_role("button", name="Remove Carol Diaz").click()
    await expect(carol.get_by_text("You are no longer in this conversation.")).to_be_visible()
    await expect(carol.get_by_label("Message")).to_be_disabled()
    await send(alice, "Just the two of us now")
    await expect(bob.locator("li.message", has_text="Just the two of us now")).to_have_count(1)
    await expect(carol.locator("li.message", has_text="Just the two of us now")).to_have_count(0)
    # The system line refreshed Bob's header: Carol is no longer listed.
    await expect(bob.locator(".conversation-people")).not_to_contain_text("Carol Diaz")
    assert not any(page.script_errors for page in (alice, bob, carol))


async def test_a_dropped_socket_reconnects_and_catches_up(live_site, browser, direct, bob, expect):
    from inbox import services

    alice = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    await send(alice, "Before the tunnel")
    await expect(alice.locator("li.message[data-seq]", has_text="Before the tunnel")).to_have_count(1)

    # Into the tunnel: the socket drops and no new one can open.
    await alice.context.set_offline(True)
    await alice.evaluate("window.parleyInbox.socket.close()")
    await expect(alice.locator("[data-connection-status]")).to_have_text("Connection lost. Reconnecting…")
    await sync_to_async(services.send_message)(sender=bob, thread=direct, body="Sent while you were away")
    await send(alice, "Typed in the tunnel")
    await expect(alice.locator("li.is-pending", has_text="Typed in the tunnel")).to_contain_text("Sending…")

    await alice.context.set_offline(False)
    await expect(alice.locator("li.message", has_text="Sent while you were away")).to_have_count(1)
    await expect(alice.locator("li.message[data-seq]", has_text="Typed in the tunnel")).to_have_count(1)
    await expect(alice.locator("li.is-pending")).to_have_count(0)
    await expect(alice.locator("[data-connection-status]")).to_be_hidden()
    # Exactly what a reload shows: every seq once, in order.
    seqs = await messages(alice).evaluate_all("items => items.map(li => Number(li.dataset.seq))")
    assert seqs == [1, 2, 3]
    stored = await sync_to_async(lambda: list(direct.messages.order_by("seq").values_list("body", flat=True)))()
    assert stored == ["Before the tunnel", "Sent while you were away", "Typed in the tunnel"]
    assert alice.script_errors == []


@pytest.fixture
def long_history(transactional_db, settings, alice, bob):
    """A 1:1 with 55 messages on a server that lets each person send only one more message a minute."""
    from inbox.services import send_message, start_thread

    settings.SEND_RATE_PER_MINUTE = 0
    thread = start_thread(creator=alice, recipients=[bob])[0]
    for n in range(1, 56):
        send_message(sender=bob if n % 2 else alice, thread=thread, body=f"Note {n}")
    # The live server is forked after this, with this limit; the cache that counts is its own.
    settings.SEND_RATE_PER_MINUTE = 1
    return thread


async def test_older_messages_load_in_place_and_a_refused_send_offers_retry(long_history, live_site, browser, expect):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{long_history.pk}/")
    await expect(messages(alice)).to_have_count(50)
    await alice.get_by_role("link", name="Load older messages").click()
    await expect(messages(alice)).to_have_count(55)
    await expect(alice.get_by_text("This is the beginning of the conversation.")).to_be_visible()
    assert alice.url.endswith(f"/inbox/{long_history.pk}/")
    seqs = await messages(alice).evaluate_all("items => items.map(li => Number(li.dataset.seq))")
    assert seqs == list(range(1, 56))

    await send(alice, "This one goes through")
    await expect(alice.locator("li.message[data-seq]", has_text="This one goes through")).to_have_count(1)
    await send(alice, "This one is too quick")
    failed = alice.locator("li.is-failed", has_text="This one is too quick")
    await expect(failed).to_contain_text("Not sent.")
    await expect(failed).to_contain_text("too quickly")
    await failed.get_by_role("button", name="Retry").click()
    await expect(failed).to_contain_text("Not sent.")
    assert alice.script_errors == []


async def test_a_send_refused_for_good_offers_edit_but_no_retry(live_site, browser, direct, alice, bob, expect):
    from accounts import services as accounts_services

    page = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    await sync_to_async(accounts_services.block)(blocker=bob, blocked=alice)
    await send(page, "Are you there?")
    failed = page.locator("li.is-failed", has_text="Are you there?")
    await expect(failed).to_contain_text("Not sent. You can't message this person")
    await expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    await failed.get_by_role("button", name="Edit").click()
    await expect(page.get_by_label("Message")).to_have_value("Are you there?")
    await expect(page.locator("li.is-failed")).to_have_count(0)
    assert page.script_errors == []
