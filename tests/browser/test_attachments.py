"""Attachments in real browsers, on the real conversation page: uploads in the composer with
previews and progress, the files appearing live for the other person, the full picture, the download,
the plain form without JavaScript, and a message removed by moderation vanishing from open pages.
"""

import base64
import os
import re

import pytest
from asgiref.sync import sync_to_async

from tests.browser.test_inbox import expect, open_as  # noqa: F401  (expect is a fixture)
from tests.media import samples

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]


@pytest.fixture
def direct(live_site, alice, bob):
    """alice and bob's 1:1; bob follows alice, so it sits in his inbox rather than among his requests."""
    from accounts.services import follow
    from inbox.services import start_thread

    follow(follower=bob, followed=alice)
    return start_thread(creator=alice, recipients=[bob])[0]

SHOTS = os.path.join(os.environ.get("PARLEY_DATA_DIR", "/tmp"), "shots")


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """This module's ORM calls run on asgiref's worker thread: close its connection, or PostgreSQL
    cannot drop the test database at the end of the run."""
    yield
    from django.db import connections

    await sync_to_async(connections.close_all)()


async def test_alice_attaches_a_photo_and_a_pdf_and_bob_sees_them_live_opens_the_photo_and_downloads_the_pdf(
    live_site, browser, direct, expect
):
    os.makedirs(SHOTS, exist_ok=True)
    alice = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    bob = await open_as(browser, live_site, "bob", f"/inbox/{direct.pk}/")
    console_errors = []
    alice.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)

    # Alice's composer: both files upload at once, with a preview, and wait in the tray as ids.
    attach = alice.get_by_label("Attach files")
    await attach.set_input_files([
        {"name": "beach.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size=(1200, 800), gps=True)},
        {"name": "Itinéraire.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()},
    ])
    await expect(alice.locator(".tray-item.is-done")).to_have_count(2)
    assert await alice.locator(".tray-preview img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert await alice.locator("input[type=hidden][name=attachment]").count() == 2
    assert await attach.evaluate("input => input.value") == ""

    # A refused file says why, cannot be retried as it is, and can be removed.
    await attach.set_input_files({"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": samples.exe()})
    failed = alice.locator(".tray-item.is-failed")
    await expect(failed.locator(".tray-status")).to_contain_text("isn't supported")
    await expect(failed.get_by_role("button", name="Retry invoice.pdf")).to_be_hidden()
    await failed.get_by_role("button", name="Remove invoice.pdf").click()
    await expect(alice.locator(".tray-item")).to_have_count(2)

    # Pasting a picture and dropping a file upload them too; alice then takes them out again.
    await alice.evaluate("""(png) => {
        const bytes = Uint8Array.from(atob(png), (char) => char.charCodeAt(0));
        const pasted = new DataTransfer();
        pasted.items.add(new File([bytes], 'pasted.png', {type: 'image/png'}));
        document.querySelector('[data-composer] textarea').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: pasted, bubbles: true, cancelable: true}));
        const dropped = new DataTransfer();
        dropped.items.add(new File(['just notes\\n'], 'notes.txt', {type: 'text/plain'}));
        document.querySelector('[data-conversation]').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dropped, bubbles: true, cancelable: true}));
    }""", base64.b64encode(samples.png()).decode())
    await expect(alice.locator(".tray-item.is-done")).to_have_count(4)
    await alice.screenshot(path=os.path.join(SHOTS, "composer-1280.png"))
    for name in ("pasted.png", "notes.txt"):
        await alice.get_by_role("button", name=f"Remove {name}").click()
    await expect(alice.locator(".tray-item")).to_have_count(2)

    await alice.get_by_label("Message").fill("Our trip!")
    await alice.get_by_role("button", name="Send").click()
    # The tray empties at once; the message settles with its files when message.new comes back.
    await expect(alice.locator(".tray-item")).to_have_count(0)
    mine = alice.locator("li.message[data-seq]", has_text="Our trip!")
    await expect(mine.get_by_role("link", name="Itinéraire.pdf")).to_be_visible()
    await expect(mine).to_have_class(re.compile(r"\bis-mine\b"))

    # Bob, never reloaded: the thumbnail (480 px wide) and the document card appear live.
    thumbnail = bob.get_by_role("link", name="beach.jpg")
    await expect(thumbnail).to_be_visible()
    await bob.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await thumbnail.locator("img").element_handle()
    )
    assert await thumbnail.locator("img").evaluate("img => img.naturalWidth") == 480
    card = bob.get_by_role("link", name=re.compile("Itinéraire.pdf"))
    await expect(card).to_be_visible()
    await expect(bob.locator(f'[data-thread-row="{direct.pk}"] [data-thread-preview]')).to_have_text("Our trip!")
    await bob.screenshot(path=os.path.join(SHOTS, "conversation-1280.png"))
    await bob.set_viewport_size({"width": 390, "height": 844})
    await bob.screenshot(path=os.path.join(SHOTS, "conversation-390.png"))
    await bob.set_viewport_size({"width": 1280, "height": 800})

    # The PDF downloads under its own name, byte for byte.
    async with bob.expect_download() as download_info:
        await card.click()
    download = await download_info.value
    assert download.suggested_filename == "Itinéraire.pdf"
    with open(await download.path(), "rb") as file:
        assert file.read() == samples.pdf()

    # Clicking the thumbnail opens the full picture, shown by the browser under the sandbox policy.
    await thumbnail.click()
    await bob.wait_for_url(f"{live_site.url}/media/*/")
    await bob.wait_for_function("document.images.length && document.images[0].complete")
    assert await bob.evaluate("document.images[0].naturalWidth") == 1200
    await bob.screenshot(path=os.path.join(SHOTS, "full-picture.png"))
    # The refused upload's 400 is the only error alice's console saw.
    assert [error for error in console_errors if "400 (Bad Request)" not in error] == []
    assert alice.script_errors == [] and bob.script_errors == []


async def test_without_javascript_the_form_sends_chosen_files(live_site, browser, direct, expect):
    from tests.conftest import PASSWORD

    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{live_site.url}/accounts/login/?next=/inbox/{direct.pk}/")
    await page.get_by_label("Username").fill("alice")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**/inbox/{direct.pk}/")

    await page.get_by_label("Attach files").set_input_files([
        {"name": "beach.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size=(800, 600))},
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"bring water\n"},
    ])
    await page.get_by_label("Message").fill("Photo and notes")
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_url(f"**/inbox/{direct.pk}/")

    sent = page.locator("li.message", has_text="Photo and notes")
    await expect(sent.get_by_role("link", name="beach.jpg")).to_be_visible()
    await expect(sent.get_by_role("link", name=re.compile("notes.txt"))).to_be_visible()
    await context.close()


async def test_a_message_removed_by_moderation_vanishes_from_open_pages(live_site, browser, direct, alice, bob, expect):
    def sent_reported_with_a_photo():
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client

        from moderation import services as moderation
        from inbox.services import send_message
        from media.services import store_upload
        from tests.moderation.test_admin import make_moderator

        photo = store_upload(owner=alice, uploaded_file=SimpleUploadedFile("beach.jpg", samples.jpeg()))
        message = send_message(sender=alice, thread=direct, body="you will regret this", attachment_ids=[photo.pk])[0]
        report, _created = moderation.report_message(reporter=bob, message_id=message.pk, reason="harassment",
                                                     text="threats")
        staff = Client()
        staff.force_login(make_moderator())
        return message, report, staff.cookies["sessionid"].value

    message, report, staff_session = await sync_to_async(sent_reported_with_a_photo)()
    alice_page = await open_as(browser, live_site, "alice", f"/inbox/{direct.pk}/")
    bob_page = await open_as(browser, live_site, "bob", f"/inbox/{direct.pk}/")
    for page in (alice_page, bob_page):
        await expect(page.get_by_role("link", name="beach.jpg")).to_be_visible()
    # Bob may report alice's message (in its menu's More); alice sees no "Report" on her own.
    await expect(
        bob_page.locator(f"#message-{message.pk}").get_by_role("button", name="Report", include_hidden=True)
    ).to_have_count(1)
    await expect(alice_page.locator(f"#message-{message.pk} .message-report")).to_be_hidden()

    # A moderator removes it from the report in the admin (the live server pushes the change).
    staff = await browser.new_context(viewport={"width": 1280, "height": 800})
    await staff.add_cookies([{"name": "sessionid", "value": staff_session, "url": live_site.url}])
    admin_page = await staff.new_page()
    await admin_page.goto(f"{live_site.url}/admin/accounts/report/{report.pk}/change/")
    await admin_page.get_by_role("button", name="Remove the message for everyone").click()
    await admin_page.wait_for_load_state()

    for page in (alice_page, bob_page):
        bubble = page.locator(f"#message-{message.pk}")
        await expect(bubble).to_contain_text("This message was removed")
        await expect(bubble).not_to_contain_text("you will regret this")
        await expect(bubble.get_by_role("link", name="beach.jpg")).to_have_count(0)
        await expect(bubble.get_by_role("button", name="Report", include_hidden=True)).to_have_count(0)
        await expect(page.locator(f'[data-thread-row="{direct.pk}"] [data-thread-preview]')).to_have_text(
            "This message was removed"
        )
    await bob_page.screenshot(path=os.path.join(SHOTS, "removed-1280.png"))
    await staff.close()


async def test_carol_cannot_open_the_file_even_with_its_url(live_site, browser, direct, alice, carol):
    def carol_session_and_sent_photo():
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client

        from inbox.services import send_message
        from media import services

        client = Client()
        client.force_login(carol)
        photo = services.store_upload(owner=alice, uploaded_file=SimpleUploadedFile("a.jpg", samples.jpeg()))
        send_message(sender=alice, thread=direct, body="", attachment_ids=[photo.pk])
        return client.cookies["sessionid"].value, photo.pk

    session, pk = await sync_to_async(carol_session_and_sent_photo)()
    context = await browser.new_context()
    await context.add_cookies([{"name": "sessionid", "value": session, "url": live_site.url}])
    page = await context.new_page()

    for path in (f"/media/{pk}/", f"/media/{pk}/thumbnail/"):
        response = await page.goto(f"{live_site.url}{path}")
        assert response.status == 404
        assert await page.get_by_role("heading", level=1).count() == 1  # the site's own "not found" page
        assert await page.evaluate("[...document.images].filter((img) => img.src.includes('/media/')).length") == 0
    await context.close()
