"""The attachment partials and the composer script in Chromium, against the live server.

Until the inbox pages include them, a page of the live server's own origin is served by
Playwright's router with exactly what the conversation page will contain: the composer's
"Attach files" control ({% composer_files %}) and a message's attachments (media/_attachments.html),
under the site's real Content-Security-Policy. Uploads and downloads go to the real views.
"""

import os

import pytest
from asgiref.sync import sync_to_async
from django.template import engines

from tests.media import samples

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

CHECK_PATH = "/__attachments_check__/"
SHOTS = os.path.join(os.environ.get("PARLEY_DATA_DIR", "/tmp"), "shots")

PAGE = """{% load static media_tags %}<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Attachments</title>
<link rel="stylesheet" href="{% static 'css/site.css' %}"><link rel="stylesheet" href="{% static 'css/inbox.css' %}">
<link rel="stylesheet" href="{% static 'css/attachments.css' %}"></head>
<body data-username="{{ username }}"><main class="page"><section data-conversation>
<ol class="messages" data-messages>{% for message in messages %}<li class="message{% if message.sender.username == username %} is-mine{% endif %}">
<div class="message-content"><div class="message-bubble">{{ message.body }}</div>
{% include "media/_attachments.html" with attachments=message.attachments.all %}</div></li>{% endfor %}</ol>
<form class="composer" method="post" action="/nowhere/" data-composer>
<input type="hidden" name="csrfmiddlewaretoken" value="{{ csrf_token_value }}">
{% composer_files %}
<label for="body" class="visually-hidden">Message</label><textarea id="body" name="body"></textarea>
<button type="submit" class="button button-primary">Send</button></form>
</section></main><script src="{% static 'js/attachments.js' %}"></script></body></html>"""


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """This module's ORM calls run on asgiref's worker thread: close its connection, or PostgreSQL
    cannot drop the test database at the end of the run."""
    yield
    from django.db import connections

    await sync_to_async(connections.close_all)()


def site_csp():
    from csp.utils import build_policy

    return build_policy()


def make_people_and_conversation():
    from django.test import Client

    from accounts.models import Profile, User
    from inbox.services import start_thread

    people = {}
    for username, name in (("alice", "Alice Martin"), ("bob", "Bob Okafor")):
        user = User.objects.create_user(username=username, password="pw-not-used-here")
        Profile.objects.create(user=user, display_name=name)
        client = Client()
        client.force_login(user)
        people[username] = (user, client.cookies["sessionid"].value)
    thread, _created = start_thread(creator=people["alice"][0], recipients=[people["bob"][0]])
    return people, thread


def render_page(username, thread=None, csrf_token_value=""):
    from inbox.models import Message

    messages = []
    if thread is not None:
        messages = list(
            Message.objects.filter(thread=thread, kind="text").select_related("sender")
            .prefetch_related("attachments").order_by("seq")
        )
    return engines["django"].from_string(PAGE).render(
        {"username": username, "messages": messages, "csrf_token_value": csrf_token_value}
    )


async def open_page(browser, live_site, session, username, thread=None, viewport=(1280, 800)):
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
    await context.add_cookies([
        {"name": "sessionid", "value": session, "url": live_site.url},
        {"name": "csrftoken", "value": secret, "url": live_site.url},
    ])
    html = await sync_to_async(render_page)(username, thread, _mask_cipher_secret(secret))

    async def serve(route):
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html,
                            headers={"Content-Security-Policy": site_csp()})

    await context.route(f"**{CHECK_PATH}", serve)
    page = await context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    await page.goto(f"{live_site.url}{CHECK_PATH}")
    return context, page, errors


async def test_alice_attaches_a_photo_and_a_pdf_and_bob_sees_the_thumbnail_opens_it_and_downloads_the_pdf(
    live_site, browser
):
    from media import services
    from media.models import Attachment

    people, thread = await sync_to_async(make_people_and_conversation)()
    os.makedirs(SHOTS, exist_ok=True)

    # Alice's composer: both files upload with progress and end up as ids in the form.
    context, page, errors = await open_page(browser, live_site, people["alice"][1], "alice")
    attach = page.get_by_label("Attach files")
    assert await page.get_by_role("button", name="Attach files").count() == 1
    await attach.set_input_files([
        {"name": "beach.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size=(1200, 800), gps=True)},
        {"name": "Itinéraire.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()},
    ])
    await page.locator(".tray-item.is-done").nth(1).wait_for()
    assert await page.locator(".tray-item.is-done").count() == 2
    assert await page.locator(".tray-preview img").evaluate("img => img.complete && img.naturalWidth > 0")
    state = await page.evaluate("ParleyAttachments.state(document.querySelector('form'))")
    assert (len(state["ids"]), state["busy"], state["failed"]) == (2, False, False)
    assert await page.locator("input[type=hidden][name=attachment]").count() == 2
    assert await attach.evaluate("input => input.value") == ""
    await page.screenshot(path=os.path.join(SHOTS, "composer-1280.png"))

    # A refused file says why, cannot be retried as is, and can be removed.
    await attach.set_input_files({"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": samples.exe()})
    failed = page.locator(".tray-item.is-failed")
    await failed.wait_for()
    assert "isn't supported" in await failed.locator(".tray-status").inner_text()
    assert not await failed.get_by_role("button", name="Retry invoice.pdf").is_visible()
    await failed.get_by_role("button", name="Remove invoice.pdf").click()
    assert await page.locator(".tray-item").count() == 2

    # Pasting a picture and dropping a file upload them too.
    await page.evaluate("""() => {
        const bytes = Uint8Array.from(atob(%r), (char) => char.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'pasted.png', {type: 'image/png'}));
        document.querySelector('textarea').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
        const dropped = new DataTransfer();
        dropped.items.add(new File(['just notes\\n'], 'notes.txt', {type: 'text/plain'}));
        document.querySelector('[data-conversation]').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dropped, bubbles: true, cancelable: true}));
    }""" % __import__("base64").b64encode(samples.png()).decode())
    await page.locator(".tray-item.is-done").nth(3).wait_for()
    # The refused upload's 400 is the only error the console saw.
    assert [error for error in errors if "400 (Bad Request)" not in error] == []
    await context.close()

    ids = state["ids"]
    owned = await sync_to_async(lambda: sorted(Attachment.objects.filter(owner__username="alice", pk__in=ids)
                                               .values_list("kind", flat=True)))()
    assert owned == ["document", "image"]

    # Alice sends them (as the wired send path will), and Bob's conversation shows them.
    def send():
        from django.db import transaction

        from inbox.services import send_message

        with transaction.atomic():
            message, _created = send_message(sender=people["alice"][0], thread=thread, body="Our trip!")
            services.attach_to_message(owner=people["alice"][0], attachment_ids=ids, message=message)

    await sync_to_async(send)()
    for viewport, suffix in (((1280, 800), "1280"), ((390, 844), "390")):
        context, page, errors = await open_page(browser, live_site, people["bob"][1], "bob", thread, viewport)
        thumbnail = page.get_by_role("link", name="beach.jpg")
        await page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=await thumbnail.locator("img").element_handle()
        )
        assert await thumbnail.locator("img").evaluate("img => img.naturalWidth") == 480
        assert await page.get_by_role("link", name="Itinéraire.pdf").is_visible()
        await page.screenshot(path=os.path.join(SHOTS, f"conversation-{suffix}.png"))
        await context.close()

    context, page, errors = await open_page(browser, live_site, people["bob"][1], "bob", thread)
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Itinéraire.pdf").click()
    download = await download_info.value
    assert download.suggested_filename == "Itinéraire.pdf"
    with open(await download.path(), "rb") as file:
        assert file.read() == samples.pdf()

    # Clicking the thumbnail opens the full picture, shown by the browser under the sandbox policy.
    await page.get_by_role("link", name="beach.jpg").click()
    await page.wait_for_url(f"{live_site.url}/media/*/")
    await page.wait_for_function("document.images.length && document.images[0].complete")
    assert await page.evaluate("document.images[0].naturalWidth") == 1200
    await page.screenshot(path=os.path.join(SHOTS, "full-picture.png"))
    await context.close()


async def test_carol_cannot_open_the_file_even_with_its_url(live_site, browser):
    from accounts.models import User

    people, thread = await sync_to_async(make_people_and_conversation)()

    def carol_session_and_photo():
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client

        from media import services

        carol = User.objects.create_user(username="carol", password="unused")
        client = Client()
        client.force_login(carol)
        photo = services.store_upload(owner=people["alice"][0],
                                      uploaded_file=SimpleUploadedFile("a.jpg", samples.jpeg()))
        return client.cookies["sessionid"].value, photo.pk

    session, pk = await sync_to_async(carol_session_and_photo)()
    context = await browser.new_context()
    await context.add_cookies([{"name": "sessionid", "value": session, "url": live_site.url}])
    page = await context.new_page()

    response = await page.goto(f"{live_site.url}/media/{pk}/")

    assert response.status == 404
    assert await page.get_by_role("heading", level=1).count() == 1  # the site's own "not found" page
    assert await page.evaluate("[...document.images].filter((img) => img.src.includes('/media/')).length") == 0
    await context.close()
