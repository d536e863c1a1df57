"""Two daphne processes sharing Redis: a message sent through one reaches a socket on the other.

This is how Parley scales (more processes behind a proxy), so the per-user groups must live in the
shared channel layer, not in one process. Needs REDIS_URL (the test skips without it, and fails
under REQUIRE_SERVICES=1) and a database both servers can open (the SQLite test file or PostgreSQL).
"""

import asyncio
import json

import pytest
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string
from websockets.asyncio.client import connect as websocket_connect

from tests.browser.conftest import start_daphne

from .conftest import TIMEOUT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture
def two_servers(redis_url):
    layer_class = import_string(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    assert issubclass(layer_class, (RedisPubSubChannelLayer, RedisChannelLayer))
    processes = []
    try:
        for _ in range(2):
            # Forked after fresh_channel_layer made a new, unused layer: nothing loop-bound is inherited.
            processes.append(start_daphne())
        yield [process.port.value for process in processes]
    finally:
        for process in processes:
            process.terminate()
            process.join(timeout=10)


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def open_socket(port, cookie):
    return websocket_connect(
        f"ws://localhost:{port}/ws/", origin=f"http://localhost:{port}", additional_headers={"Cookie": cookie}
    )


async def next_frame(socket, frame_type):
    """The next frame of the given type (other frames, such as unread.update, are passed over)."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT * 2))
        if frame["type"] == frame_type:
            return frame


@pytest.fixture
def cookies(alice, bob):
    return session_cookie(alice), session_cookie(bob)


@pytest.fixture
def thread(make_thread, alice, bob):
    return make_thread(alice, bob)


async def test_a_message_sent_through_one_process_reaches_a_socket_on_the_other(two_servers, thread, cookies):
    first_port, second_port = two_servers
    alice_cookie, bob_cookie = cookies
    async with open_socket(first_port, alice_cookie) as alices, open_socket(second_port, bob_cookie) as bobs:
        await alices.send(json.dumps({"type": "message.send", "thread": thread.pk, "body": "across", "client_id": "x-1"}))
        delivered = await next_frame(bobs, "message.new")
        assert (delivered["message"]["body"], delivered["message"]["sender"], delivered["message"]["seq"]) == (
            "across", "alice", 1
        )
        assert (await next_frame(alices, "message.new"))["message"]["client_id"] == "x-1"

        await bobs.send(json.dumps({"type": "message.send", "thread": thread.pk, "body": "and back"}))
        assert (await next_frame(alices, "message.new"))["message"]["seq"] == 2
        assert (await next_frame(bobs, "message.new"))["message"]["seq"] == 2

        # Both processes read the same log: a sync through the second process sees both messages.
        await bobs.send(json.dumps({"type": "sync", "thread": thread.pk, "after": 0}))
        synced = [await next_frame(bobs, "message.new") for _ in range(2)]
        assert [frame["message"]["body"] for frame in synced] == ["across", "and back"]
        assert await next_frame(bobs, "sync.done") == {"type": "sync.done", "thread": thread.pk, "count": 2, "more": False}


async def test_a_socket_quiet_for_longer_than_the_redis_poll_still_receives(two_servers, thread, cookies):
    """channels-redis waits 5 s per poll on a quiet socket; a read timeout as short killed such sockets."""
    first_port, second_port = two_servers
    alice_cookie, bob_cookie = cookies
    async with open_socket(first_port, alice_cookie) as alices, open_socket(second_port, bob_cookie) as bobs:
        await asyncio.sleep(7)
        await alices.send(json.dumps({"type": "message.send", "thread": thread.pk, "body": "still there?"}))
        assert (await next_frame(bobs, "message.new"))["message"]["body"] == "still there?"
