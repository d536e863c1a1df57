"""Redis stopped under load and started again: nothing acknowledged is lost, pages keep working, and
every open socket catches up as soon as Redis is back, without waiting for the next message.

The test's own redis-server carries the channel layer and the cache of a daphne process serving
the test database. While it is down, messages are saved but their pushes go nowhere; once the
process is subscribed again it sends each socket "resync", and the socket's sync brings the rest.
"""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import connect

from inbox.models import Message
from tests.browser.conftest import start_daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

OUTAGE_SECONDS = 10
CATCH_UP_SECONDS = 5


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def page_status(user, path):
    client = Client()
    client.force_login(user)
    return client.get(path).status_code


@pytest.fixture
def server(on_redis_layer, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    process = start_daphne()
    try:
        yield process.port.value
    finally:
        process.terminate()
        process.join(timeout=10)


class Reader:
    """Bob's tab, as static/js/inbox.js behaves: seqs by arrival, a sync on "resync"."""

    def __init__(self, socket, thread_id):
        self.socket, self.thread_id = socket, thread_id
        self.seqs, self.resync_at = set(), None

    async def run(self):
        async for text in self.socket:
            frame = json.loads(text)
            if frame["type"] == "message.new" and frame["thread"] == self.thread_id:
                self.seqs.add(frame["message"]["seq"])
            elif frame["type"] == "resync":
                self.resync_at = self.resync_at or time.monotonic()
                await self.socket.send(json.dumps({"type": "sync", "thread": self.thread_id, "after": 0}))


async def test_sockets_catch_up_within_seconds_of_redis_returning(server, on_redis_layer, alice, bob, no_limits):
    from inbox.services import start_thread

    thread, _created = await sync_to_async(start_thread)(creator=alice, recipients=[bob])
    alice_cookie, bob_cookie = await sync_to_async(session_cookie)(alice), await sync_to_async(session_cookie)(bob)
    url, origin = f"ws://localhost:{server}/ws/", f"http://localhost:{server}"
    async with connect(url, origin=origin, additional_headers={"Cookie": alice_cookie}) as alices, \
            connect(url, origin=origin, additional_headers={"Cookie": bob_cookie}) as bobs:
        reader = Reader(bobs, thread.pk)
        reading = asyncio.create_task(reader.run())
        sent = 0

        async def send(body):
            nonlocal sent
            sent += 1
            await alices.send(json.dumps({"type": "message.send", "thread": thread.pk, "body": body, "client_id": f"c{sent}"}))

        await send("before")
        await asyncio.sleep(0.5)
        before = set(reader.seqs)
        assert before, "the push before the outage did not arrive"

        on_redis_layer.stop()
        outage_ends = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < outage_ends:
            await send(f"during {sent}")
            await asyncio.sleep(0.25)
        during = await sync_to_async(page_status)(alice, f"/inbox/{thread.pk}/")
        assert during == 200, "a page failed while Redis was down"
        on_redis_layer.start()
        back_at = time.monotonic()

        stored = await sync_to_async(lambda: set(Message.objects.filter(thread=thread).values_list("seq", flat=True)))()
        missed = stored - reader.seqs
        assert len([seq for seq in stored if seq > max(before)]) >= sent - 1, "sends during the outage were not saved"
        assert missed, "nothing was missed: the outage did not cut the pushes"
        # No new message is sent from here on: only the resync can bring the missed ones.
        while time.monotonic() < back_at + CATCH_UP_SECONDS and not stored <= reader.seqs:
            await asyncio.sleep(0.1)
        reading.cancel()
        assert stored <= reader.seqs, (
            f"{len(stored - reader.seqs)} messages still missing {CATCH_UP_SECONDS} s after Redis came back"
        )
        assert reader.resync_at is not None
