"""The keyboard: shortcuts between conversations, to search and to the composer, their help dialog, visible focus."""

import pytest

from tests.inbox.conftest import make_user  # noqa: F401  (fixture)

from .test_inbox import open_as

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def expect():
    from playwright.async_api import expect

    expect.set_options(timeout=8000)
    return expect


@pytest.fixture
def three_conversations(live_site, alice, bob, carol):
    """Alice's list, newest first: the group, then Carol, then Bob."""
    from inbox.services import send_message, start_thread

    with_bob = start_thread(creator=alice, recipients=[bob])[0]
    with_carol = start_thread(creator=alice, recipients=[carol])[0]
    group = start_thread(creator=alice, recipients=[bob, carol], name="Climbing")[0]
    for thread in (with_bob, with_carol, group):
        send_message(sender=alice, thread=thread, body=f"Hello {thread.pk}")
    return [group, with_carol, with_bob]


async def focused(page):
    return await page.evaluate(
        "() => { const e = document.activeElement; return e ? (e.id || e.getAttribute('aria-label') || e.tagName) : null; }"
    )


async def test_shortcuts_move_between_conversations_and_reach_search_and_composer(
    live_site, browser, three_conversations, expect
):
    group, with_carol, with_bob = three_conversations
    page = await open_as(browser, live_site, "alice", f"/inbox/{with_carol.pk}/")
    composer = page.get_by_label("Message")
    search = page.get_by_role("searchbox", name="Search")

    # Typing in the composer is typing: no letter and no "/" or "?" is taken.
    await composer.focus()
    await composer.press_sequentially("c/?")
    await expect(composer).to_have_value("c/?")
    await page.keyboard.press("Alt+ArrowDown")
    await page.wait_for_timeout(200)
    assert page.url.endswith(f"/inbox/{with_carol.pk}/")
    # Escape leaves the field; then Alt+↓ opens the next conversation, with the focus on its row.
    await composer.fill("")
    await page.keyboard.press("Escape")
    await expect(composer).not_to_be_focused()
    await page.keyboard.press("Alt+ArrowDown")
    await page.wait_for_url(f"**/inbox/{with_bob.pk}/")
    row_link = page.locator(f'[data-thread-row="{with_bob.pk}"] .thread-link')
    await expect(row_link).to_be_focused()
    # The end of the list: staying put.
    await page.keyboard.press("Alt+ArrowDown")
    await page.wait_for_timeout(200)
    assert page.url.endswith(f"/inbox/{with_bob.pk}/")
    await page.keyboard.press("Alt+ArrowUp")
    await page.wait_for_url(f"**/inbox/{with_carol.pk}/")
    await page.keyboard.press("Alt+ArrowUp")
    await page.wait_for_url(f"**/inbox/{group.pk}/")
    await expect(page.locator(f'[data-thread-row="{group.pk}"] .thread-link')).to_be_focused()

    # "c" goes to the composer, "/" to search; Ctrl+K from inside the composer too.
    await page.keyboard.press("c")
    await expect(composer).to_be_focused()
    await expect(composer).to_have_value("")
    await page.keyboard.press("Control+k")
    await expect(search).to_be_focused()
    await page.keyboard.type("rope?")
    await expect(search).to_have_value("rope?")
    # Escape empties the search box first, then leaves it.
    await page.keyboard.press("Escape")
    await expect(search).to_have_value("")
    await page.keyboard.press("Escape")
    await expect(search).not_to_be_focused()
    await page.keyboard.press("/")
    await expect(search).to_be_focused()
    await expect(search).to_have_value("")
    assert page.script_errors == []


async def test_the_help_dialog_keeps_the_focus_and_gives_it_back(live_site, browser, three_conversations, expect):
    group = three_conversations[0]
    page = await open_as(browser, live_site, "alice", "/inbox/")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_hidden()

    row_link = page.locator(f'[data-thread-row="{group.pk}"] .thread-link')
    await row_link.focus()
    await page.keyboard.press("?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Previous / next conversation")
    # Tab and Shift+Tab go round inside the dialog.
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        await page.keyboard.press(key)
        assert await page.evaluate("document.querySelector('[data-shortcuts-dialog]').contains(document.activeElement)")
    # Keys are not shortcuts while it is open.
    await page.keyboard.press("/")
    await expect(page.get_by_role("searchbox", name="Search")).not_to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(row_link).to_be_focused()

    # The button beside the list opens it too, and the Close button gives the focus back to it.
    button = page.get_by_role("button", name="Keyboard shortcuts")
    await button.click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    await expect(button).to_be_focused()

    # Single-key shortcuts can be turned off (and stay off); Ctrl+K still works.
    await page.keyboard.press("?")
    await dialog.get_by_label("Single-key shortcuts").uncheck()
    await page.keyboard.press("Escape")
    await page.reload()
    await page.locator("body").press("?")
    await page.wait_for_timeout(200)
    await expect(dialog).to_be_hidden()
    await page.locator("body").press("/")
    await expect(page.get_by_role("searchbox", name="Search")).not_to_be_focused()
    await page.keyboard.press("Control+k")
    await expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
    assert page.script_errors == []


async def test_every_element_reached_with_tab_shows_where_the_focus_is(live_site, browser, three_conversations):
    page = await open_as(browser, live_site, "alice", f"/inbox/{three_conversations[0].pk}/")
    await page.locator("body").click(position={"x": 5, "y": 700})
    seen = []
    for _ in range(40):
        await page.keyboard.press("Tab")
        state = await page.evaluate(
            """() => {
              const element = document.activeElement;
              if (!element || element === document.body) return null;
              const style = getComputedStyle(element);
              const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
              return {name: element.tagName + " " + (element.textContent || element.getAttribute("aria-label") || "").trim().slice(0, 30),
                      visible: outline || style.boxShadow !== "none"};
            }"""
        )
        if state:
            seen.append(state)
    assert len(seen) >= 20
    assert [item["name"] for item in seen if not item["visible"]] == []
