"""The message menu in real browsers: bob reacts, replies, edits and unsends; alice sees each change
live and again after a reload; a sticker and a GIF show as such."""

import re

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.browser.test_inbox import expect, messages, open_as, send, wait_connected  # noqa: F401  (expect: fixture)
from tests.inbox.conftest import make_user  # noqa: F401  (fixture)
from tests.media import samples

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def conversation(live_site, alice, bob, settings):
    from inbox import services
    from media import services as media_services

    thread = services.start_thread(creator=alice, recipients=[bob])[0]
    say = lambda sender, body, **extra: services.send_message(sender=sender, thread=thread, body=body, **extra)[0]  # noqa: E731
    say(alice, "Are we riding on Saturday?")
    say(bob, "I fixed the the typo")
    say(bob, "Wrong chat, sorry")
    gif = media_services.store_upload(owner=bob, uploaded_file=SimpleUploadedFile("dance.gif", samples.animated_gif()))
    say(bob, "", attachment_ids=[gif.pk])
    return thread


def message_with(page, text):
    """The first message showing text (a reply quoting it comes later)."""
    return page.locator("[data-messages] li.message", has_text=text).first


async def test_bob_reacts_replies_edits_and_unsends_and_alice_sees_it_live_and_after_reload(
    live_site, browser, conversation, expect
):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{conversation.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{conversation.pk}/")
    question = message_with(bob, "Are we riding on Saturday?")

    # React: the menu appears on hover, the picker offers six emoji
    await question.hover()
    await question.get_by_role("button", name="React").click()
    await question.get_by_role("button", name="React with ❤️").click()
    alice_question = message_with(alice, "Are we riding on Saturday?")
    await expect(alice_question.locator(".message-reactions")).to_contain_text("❤️")
    await expect(alice_question.get_by_label("❤️ 1: bob")).to_be_visible()

    # Reply: the composer quotes the message, the reply carries the quote for alice
    await question.hover()
    await question.get_by_role("button", name="Reply").click()
    await expect(bob.locator("[data-composer-context]")).to_contain_text("Replying to alice")
    await send(bob, "Yes, 9am at the bridge")
    reply = alice.locator("[data-messages] li.message", has_text="Yes, 9am at the bridge")
    await expect(reply.locator(".message-quote")).to_contain_text("Are we riding on Saturday?")

    # Edit from More: the text comes back into the composer, Enter saves it
    typo = message_with(bob, "I fixed the the typo")
    await typo.hover()
    await typo.get_by_role("button", name="More").click()
    await typo.get_by_role("button", name="Edit").click()
    await expect(bob.get_by_label("Message")).to_have_value("I fixed the the typo")
    await bob.get_by_label("Message").fill("I fixed the typo")
    await bob.get_by_label("Message").press("Enter")
    edited = message_with(alice, "I fixed the typo")
    await expect(edited.locator(".message-edited")).to_have_text("Edited")
    await expect(alice.locator("[data-messages]")).not_to_contain_text("the the typo")

    # Unsend, after confirming
    wrong = message_with(bob, "Wrong chat, sorry")
    bob.once("dialog", lambda dialog: dialog.accept())
    await wrong.hover()
    await wrong.get_by_role("button", name="More").click()
    await wrong.get_by_role("button", name="Unsend").click()
    await expect(alice.locator("[data-messages]")).to_contain_text("bob unsent a message")
    await expect(alice.locator("[data-messages]")).not_to_contain_text("Wrong chat, sorry")

    # A sticker from the picker
    await bob.get_by_role("button", name="Stickers").click()
    await bob.get_by_role("button", name="Send sticker: Party popper").click()
    await expect(alice.locator("img.message-sticker[alt='Party popper']")).to_be_visible()

    # The quote leads to the original
    await reply.locator(".message-quote").click()
    await expect(alice_question).to_have_class(re.compile(r"\bis-highlighted\b"))

    # After a reload alice sees exactly the same
    await alice.reload()
    await wait_connected(alice)
    await expect(message_with(alice, "Are we riding on Saturday?").get_by_label("❤️ 1: bob")).to_be_visible()
    await expect(message_with(alice, "Yes, 9am at the bridge").locator(".message-quote")).to_contain_text("Are we riding")
    await expect(message_with(alice, "I fixed the typo").locator(".message-edited")).to_be_visible()
    await expect(alice.locator("[data-messages]")).to_contain_text("bob unsent a message")
    await expect(alice.locator("img.message-sticker[alt='Party popper']")).to_be_visible()
    gif = alice.locator("li.attachment-item.is-gif")
    await expect(gif.locator("[data-gif-mark]")).to_have_text("GIF")
    assert alice.script_errors == [] and bob.script_errors == []


async def test_delete_for_me_leaves_my_other_tab_and_survives_a_reload(live_site, browser, conversation, expect):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{conversation.pk}/")
    alice_again = await open_as(browser, live_site, "alice", f"/inbox/{conversation.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{conversation.pk}/")
    line = message_with(alice, "Wrong chat, sorry")
    await line.hover()
    await line.get_by_role("button", name="More").click()
    await line.get_by_role("button", name="Delete for me").click()
    await expect(alice_again.locator("[data-messages]")).not_to_contain_text("Wrong chat, sorry")
    await expect(alice.locator("[data-messages]")).not_to_contain_text("Wrong chat, sorry")
    await alice_again.reload()
    await expect(alice_again.locator("[data-messages]")).not_to_contain_text("Wrong chat, sorry")
    await bob.reload()
    await expect(bob.locator("[data-messages]")).to_contain_text("Wrong chat, sorry")


async def test_the_menu_works_from_the_keyboard(live_site, browser, conversation, expect):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{conversation.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{conversation.pk}/")
    question = message_with(bob, "Are we riding on Saturday?")
    react = question.get_by_role("button", name="React")
    await react.focus()
    await expect(react).to_be_visible()  # the menu shows on keyboard focus
    await bob.keyboard.press("Enter")
    await expect(question.get_by_role("button", name="React with ❤️")).to_be_focused()
    await bob.keyboard.press("Tab")
    await expect(question.get_by_role("button", name="React with 😂")).to_be_focused()
    await bob.keyboard.press("Enter")
    await expect(message_with(alice, "Are we riding on Saturday?").locator(".message-reactions")).to_contain_text("😂")
