"""Picking people by name: the "To" field of a new message suggests people as one types."""

import pytest

from tests.browser.test_inbox import expect, open_as  # noqa: F401  (expect: fixture)
from tests.inbox.conftest import make_user  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def people(live_site, alice, make_user):
    make_user("bob", display_name="Bob Okafor")
    make_user("roberta", display_name="Roberta Okoye")


async def test_the_to_field_suggests_people_by_name_and_the_keyboard_picks_one(live_site, browser, people, expect):
    page = await open_as(browser, live_site, "alice", "/inbox/new/")
    to = page.get_by_role("combobox", name="To")
    await to.press_sequentially("oko")
    listbox = page.get_by_role("listbox", name="People")
    await expect(listbox.get_by_role("option")).to_have_count(1)
    await expect(listbox.get_by_role("option")).to_contain_text("Roberta Okoye @roberta")
    await to.press("ArrowDown")
    await to.press("Enter")
    await expect(to).to_have_value("roberta, ")
    await to.press_sequentially("okaf")
    await page.get_by_role("option", name="Bob Okafor @bob").click()
    await expect(to).to_have_value("roberta, bob, ")
    await expect(listbox).to_be_hidden()
    assert page.script_errors == []
