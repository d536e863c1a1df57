"""Inbox fixtures: conversations built through the services, and WebSocket communicators.

Communicators made by `connect` put the user straight into the scope (the unit-test shortcut);
test_consumer.py also has tests through config.asgi.application with a real session cookie.
"""

import asyncio
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator

# Generous: the database thread may be busy with another test's leftovers on a loaded machine.
TIMEOUT = 5
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test gets its own layer instance, and nothing it queued or grouped outlives it (Redis included).

    A channels-redis layer keeps receive state tied to the event loop that used it first; every
    async test has a loop of its own, so sharing one instance across tests breaks the next test.
    """
    channel_layers.backends.clear()
    yield
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.flush)()
    channel_layers.backends.clear()


@pytest.fixture
def make_user(make_user):
    """People in inbox tests take messages from anyone ("Everyone"), so the conversations the tests
    build land in the inbox; test_social_rules.py and test_social_socket.py choose policies, follows
    and blocks themselves (the site's default is "People I follow, and requests from others")."""
    from accounts.models import Profile

    def make(username, *, message_policy=Profile.MessagePolicy.EVERYONE, **fields):
        user = make_user(username, **fields)
        Profile.objects.filter(user=user).update(message_policy=message_policy)
        return user

    return make


@pytest.fixture(autouse=True)
def no_new_conversation_limit(settings):
    """Tests start many conversations from one person; the hourly limit has tests of its own."""
    settings.NEW_CONVERSATIONS_PER_HOUR = 0


@pytest.fixture
def pushes(monkeypatch):
    """Every (group, frame) the services push, in order, instead of sending them on the channel layer."""
    from inbox import events

    sent = []
    monkeypatch.setattr(events, "dispatch", lambda batch: sent.extend(batch))
    return sent


@pytest.fixture
def make_thread(db):
    """make_thread(alice, bob) -> the 1:1; make_thread(alice, bob, carol, name="Trip") -> a group."""
    from inbox.services import start_thread

    def make(creator, *recipients, name=""):
        thread, _created = start_thread(creator=creator, recipients=list(recipients), name=name)
        return thread

    return make


@pytest.fixture
def dave(make_user):
    return make_user("dave", display_name="Dave Kim")


@pytest.fixture
def no_rate_limit(settings):
    settings.SEND_RATE_PER_MINUTE = 0


@pytest.fixture
async def connect():
    """connect(user, session_key=None) -> a connected communicator; all are disconnected afterwards."""
    from inbox.consumers import InboxConsumer

    opened = []

    async def open_socket(user, *, session_key=None):
        communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/", headers=[ORIGIN])
        communicator.scope["user"] = user
        communicator.scope["session"] = SimpleNamespace(session_key=session_key)
        connected, _subprotocol = await communicator.connect(timeout=TIMEOUT)
        assert connected
        opened.append(communicator)
        return communicator

    yield open_socket
    # On the Redis layer a consumer can outlive its disconnect: the cancelled channel receive may
    # swallow the cancellation inside redis-py and keep polling until cancelled again (daphne does
    # that after application_close_timeout). Waiting a second, all sockets at once, is plenty.
    await asyncio.gather(*(communicator.disconnect(timeout=1) for communicator in opened))


async def receive(communicator, timeout=TIMEOUT):
    return await communicator.receive_json_from(timeout=timeout)


async def receive_type(communicator, frame_type, timeout=TIMEOUT):
    """The next frame, which must be of the given type."""
    frame = await receive(communicator, timeout)
    assert frame["type"] == frame_type, frame
    return frame


async def receive_all(communicator, count, timeout=TIMEOUT):
    return [await receive(communicator, timeout) for _ in range(count)]


async def hears_nothing(communicator, timeout=0.3):
    return await communicator.receive_nothing(timeout=timeout)
