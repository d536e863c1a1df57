"""The composer and its files in a real browser: a message sent while its files upload waits and then
goes out once, a failed file holds the message back saying which file failed, and a GIF chosen in the
picker is sent at once without uploading anything.
"""

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async

from tests.browser.test_inbox import expect, open_as  # noqa: F401  (expect is a fixture)
from tests.media import samples

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

UPLOAD_DELAY_SECONDS = 2.5


@pytest.fixture
def direct(live_site, alice, bob):
    """alice and bob's 1:1; bob follows alice, so it sits in his inbox rather than among his requests."""
    from accounts.services import follow
    from inbox.services import start_thread

    follow(follower=bob, followed=alice)
    return start_thread(creator=alice, recipients=[bob])[0]


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """This module's ORM calls run on asgiref's worker thread: close its connection, or PostgreSQL
    cannot drop the test database at the end of the run."""
    yield
    from django.db import connections

    await sync_to_async(connections.close_all)()


@sync_to_async
def messages_from(username):
    from inbox.models import Message

    return list(Message.objects.filter(sender__username=username).prefetch_related("attachments"))


async def slow_uploads(page, delay=UPLOAD_DELAY_SECONDS):
    """Every upload reaches the server only after `delay` seconds; returns the list of upload requests."""
    seen = []

    async def hold(route):
        seen.append(route.request.url)
        await asyncio.sleep(delay)
        await route.continue_()

    await page.route("**/media/upload/", hold)
    return seen


async def test_a_message_sent_while_its_file_uploads_waits_then_goes_out_exactly_once(
    live_site, browser, direct, expect
):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{direct.pk}/")
    uploads = await slow_uploads(alice)
    # Every message.send frame alice's page sends from now on.
    await alice.evaluate("""() => {
        window.sentMessages = [];
        const socket = window.parleyInbox.socket;
        const send = socket.send.bind(socket);
        socket.send = (data) => {
            if (JSON.parse(data).type === "message.send") window.sentMessages.push(data);
            send(data);
        };
    }""")

    await alice.get_by_label("Attach files").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg()})
    await alice.get_by_label("Message").fill("Look at this")
    await alice.get_by_label("Message").press("Enter")

    # Held in the composer, saying so; nothing has gone out yet.
    send_button = alice.locator(".composer-send")
    await expect(send_button).to_have_text("Sending…")
    await expect(alice.locator("[data-attachment-waiting]")).to_contain_text("Sending…")
    await expect(alice.get_by_label("Message")).to_have_value("Look at this")
    # A second press while it waits changes nothing.
    await send_button.click()
    assert await messages_from("alice") == []
    assert await alice.evaluate("window.sentMessages.length") == 0
    await expect(alice.locator("li.message.is-pending")).to_have_count(0)

    # The upload finishes: the message leaves by itself, with its file, once.
    mine = alice.locator("li.message[data-seq]", has_text="Look at this")
    await expect(mine).to_have_count(1, timeout=UPLOAD_DELAY_SECONDS * 1000 + 8000)
    await expect(mine.get_by_role("link", name="photo.jpg")).to_be_visible()
    await expect(send_button).to_have_text("Send")
    await expect(alice.locator("[data-attachment-waiting]")).to_be_hidden()
    await expect(alice.get_by_label("Message")).to_have_value("")
    await expect(bob.locator("li.message[data-seq]", has_text="Look at this")).to_have_count(1)
    await asyncio.sleep(0.5)
    sent = await messages_from("alice")
    assert len(sent) == 1 and [file.original_name for file in sent[0].attachments.all()] == ["photo.jpg"]
    assert await alice.evaluate("window.sentMessages.length") == 1 and len(uploads) == 1
    await expect(alice.locator("li.message", has_text="Look at this")).to_have_count(1)
    assert alice.script_errors == []


async def test_a_failed_file_holds_the_message_back_and_says_which_file_failed(live_site, browser, direct, expect):
    alice = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")

    async def refuse(route):
        await asyncio.sleep(1)
        await route.fulfill(status=503, content_type="application/json",
                            body='{"error": "unavailable", "detail": "The server is busy."}')

    await alice.route("**/media/upload/", refuse)
    await alice.get_by_label("Attach files").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg()})
    await alice.get_by_label("Message").fill("Did it work?")
    await alice.get_by_role("button", name="Send").click()
    await expect(alice.locator(".composer-send")).to_have_text("Sending…")

    error = alice.locator("[data-attachment-error]")
    await expect(error).to_contain_text("photo.jpg could not be uploaded: The server is busy.")
    await asyncio.sleep(0.5)
    assert await messages_from("alice") == []

    # Retrying (the server is fine again) lets the waiting message go by itself.
    await alice.unroute("**/media/upload/")
    await alice.get_by_role("button", name="Retry photo.jpg").click()
    mine = alice.locator("li.message[data-seq]", has_text="Did it work?")
    await expect(mine.get_by_role("link", name="photo.jpg")).to_be_visible()
    await expect(error).to_be_hidden()
    assert len(await messages_from("alice")) == 1

    # A file that fails for good, removed: the message goes without it.
    await alice.route("**/media/upload/", refuse)
    await alice.get_by_label("Attach files").set_input_files(
        {"name": "second.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg()})
    await alice.get_by_label("Message").fill("Without the picture then")
    await alice.get_by_role("button", name="Send").click()
    await expect(error).to_contain_text("second.jpg could not be uploaded")
    assert len(await messages_from("alice")) == 1
    await alice.get_by_role("button", name="Remove second.jpg").click()
    await expect(alice.locator("li.message[data-seq]", has_text="Without the picture then")).to_have_count(1)
    sent = await messages_from("alice")
    assert len(sent) == 2 and not list(sent[-1].attachments.all())


async def test_choosing_a_gif_in_the_picker_sends_it_at_once_without_uploading(live_site, browser, direct, expect):
    from inbox.services import send_message
    from media.services import store_upload
    from django.core.files.uploadedfile import SimpleUploadedFile

    @sync_to_async
    def bob_sends_a_gif():
        gif = store_upload(owner=direct.participants.get(user__username="bob").user,
                           uploaded_file=SimpleUploadedFile("dance.gif", samples.animated_gif(size=(300, 200))))
        send_message(sender=gif.owner, thread=direct, body="", attachment_ids=[gif.pk])
        return gif

    original = await bob_sends_a_gif()
    alice = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{direct.pk}/")
    uploads = []
    alice.on("request", lambda request: uploads.append(request.url) if "/media/upload/" in request.url else None)

    # Bob's GIF plays with its mark in the conversation.
    await expect(alice.locator(".attachment-item.is-gif .attachment-gif-mark")).to_have_text("GIF")

    await alice.locator("summary", has_text="GIF").click()
    choice = alice.get_by_role("button", name="Send this GIF: dance.gif")
    await expect(choice).to_be_visible()
    await choice.click()

    mine = alice.locator("li.message.is-mine[data-seq]")
    await expect(mine.locator(".attachment-gif-mark")).to_have_count(1)
    await expect(bob.locator("li.message[data-seq] .attachment-gif-mark")).to_have_count(2)
    sent = await messages_from("alice")
    assert len(sent) == 1
    (copy,) = sent[0].attachments.all()
    assert copy.pk != original.pk and copy.file.name != original.file.name and copy.original_name == "dance.gif"
    assert uploads == []
    assert await alice.locator("details[data-gif-picker]").evaluate("picker => picker.open") is False
    await expect(alice.locator(".tray-item")).to_have_count(0)
    assert re.search(r"/media/\d+/thumbnail/", await mine.locator("img").get_attribute("src"))
    assert alice.script_errors == []
