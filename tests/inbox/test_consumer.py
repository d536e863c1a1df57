"""The inbox WebSocket at /ws/: every frame, every error code, pushes, and who hears what.

Transactional tests: the consumer's database work runs on asgiref's thread with its own connection.
"""

import json
from contextlib import asynccontextmanager

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inbox import services
from inbox.models import Message, Participant

from .conftest import ORIGIN, TIMEOUT, hears_nothing, receive, receive_all, receive_type

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def pair(make_thread, alice, bob):
    return make_thread(alice, bob)


@pytest.fixture
def group(make_thread, alice, bob, carol):
    return make_thread(alice, bob, carol, name="Trip")


async def send_text(communicator, body, thread, client_id=None):
    frame = {"type": "message.send", "thread": thread.pk if hasattr(thread, "pk") else thread, "body": body}
    if client_id is not None:
        frame["client_id"] = client_id
    await communicator.send_json_to(frame)


async def error_for(communicator, frame=None, *, text=None, binary=None):
    """Send one frame (a dict, raw text or bytes) and return the error frame it earns."""
    if frame is not None:
        await communicator.send_json_to(frame)
    elif text is not None:
        await communicator.send_to(text_data=text)
    else:
        await communicator.send_to(bytes_data=binary)
    return await receive_type(communicator, "error")


async def still_usable(communicator, thread, body="still here"):
    """The socket survived: a send on it comes back as message.new."""
    await send_text(communicator, body, thread)
    frame = await receive_type(communicator, "message.new")
    assert frame["message"]["body"] == body


@asynccontextmanager
async def queries_on_database_thread():
    """Count the queries the consumer makes: they run on asgiref's one database thread, not this one."""

    def start():
        context = CaptureQueriesContext(connections["default"])
        context.__enter__()
        return context

    context = await database_sync_to_async(start)()
    try:
        yield context
    finally:
        await database_sync_to_async(context.__exit__)(None, None, None)


def statements(queries):
    """The SQL statements captured, without BEGIN/COMMIT (logged on SQLite and PostgreSQL alike)."""
    return [q["sql"] for q in queries.captured_queries if q["sql"] not in {"BEGIN", "BEGIN IMMEDIATE", "COMMIT"}]


def count_messages(**filters):
    return database_sync_to_async(Message.objects.filter(**filters).count)()


# --- Connecting -----------------------------------------------------------------------------


async def test_anonymous_sockets_are_closed_before_accept():
    from django.contrib.auth.models import AnonymousUser

    from inbox.consumers import InboxConsumer

    communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/", headers=[ORIGIN])
    communicator.scope["user"] = AnonymousUser()
    assert await communicator.connect(timeout=TIMEOUT) == (False, 4003)


async def test_deactivated_users_are_closed_before_accept(alice):
    from inbox.consumers import InboxConsumer

    alice.is_active = False
    communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/", headers=[ORIGIN])
    communicator.scope["user"] = alice
    assert await communicator.connect(timeout=TIMEOUT) == (False, 4003)


async def logged_in_cookie(user):
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def real_stack_socket(*headers):
    from config.asgi import application

    return WebsocketCommunicator(application, "/ws/", headers=list(headers))


async def test_a_session_cookie_through_the_real_stack_opens_a_working_socket(alice, bob, pair):
    session_key = await logged_in_cookie(alice)
    communicator = real_stack_socket(ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    try:
        await send_text(communicator, "through the stack", pair, client_id="w-1")
        frame = await receive_type(communicator, "message.new")
        assert frame["message"]["sender"] == "alice" and frame["message"]["client_id"] == "w-1"
    finally:
        await communicator.disconnect(timeout=1)


async def test_a_socket_from_another_origin_is_refused(alice):
    session_key = await logged_in_cookie(alice)
    cookie = (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())
    for origin in ((b"origin", b"https://evil.example"), (b"origin", b"http://localhost.evil.example")):
        connected, _ = await real_stack_socket(origin, cookie).connect(timeout=TIMEOUT)
        assert not connected
    connected, _ = await real_stack_socket(cookie).connect(timeout=TIMEOUT)  # no Origin at all
    assert not connected


async def test_without_a_session_the_real_stack_refuses_the_socket():
    assert await real_stack_socket(ORIGIN).connect(timeout=TIMEOUT) == (False, 4003)


async def test_logging_out_closes_that_sessions_sockets_only(alice):
    from accounts.services import close_user_sockets

    session_key = await logged_in_cookie(alice)
    other_key = await logged_in_cookie(alice)
    this = real_stack_socket(ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    other = real_stack_socket(ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={other_key}".encode()))
    assert (await this.connect(timeout=TIMEOUT))[0] and (await other.connect(timeout=TIMEOUT))[0]
    await sync_to_async(close_user_sockets)(alice, session_key=session_key)
    assert await this.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4001}
    assert await hears_nothing(other)
    await sync_to_async(close_user_sockets)(alice)
    assert await other.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4001}
    await this.disconnect(timeout=1)
    await other.disconnect(timeout=1)


async def test_a_revoke_for_everyone_closes_every_socket_of_that_user_only(connect, alice, bob):
    first = await connect(alice, session_key="one")
    second = await connect(alice, session_key="two")
    bobs = await connect(bob, session_key="three")
    await get_channel_layer().group_send(f"user.{alice.pk}", {"type": "session.revoke", "session": None})
    for communicator in (first, second):
        assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4001}
    assert await hears_nothing(bobs)


async def test_a_revoked_socket_hears_no_more_pushes(connect, alice, bob, pair):
    alices = await connect(alice, session_key="k")
    bobs = await connect(bob)
    await get_channel_layer().group_send(f"user.{alice.pk}", {"type": "session.revoke", "session": "k"})
    assert (await alices.receive_output(timeout=TIMEOUT))["code"] == 4001
    await send_text(bobs, "after logout", pair)
    await receive_type(bobs, "message.new")
    assert await hears_nothing(alices)


# --- message.send and message.new -----------------------------------------------------------


async def test_a_message_reaches_every_tab_of_every_participant_and_no_one_else(connect, alice, bob, carol, pair):
    alice_tab, alice_other_tab = await connect(alice), await connect(alice)
    bobs, carols = await connect(bob), await connect(carol)
    await send_text(alice_tab, "Hello Bob", pair, client_id="c-1")

    frame = await receive_type(alice_tab, "message.new")
    message = await database_sync_to_async(Message.objects.get)(client_id="c-1")
    assert frame["thread"] == pair.pk
    assert frame["message"] == {
        "id": message.pk,
        "seq": 1,
        "sender": "alice",
        "body": "Hello Bob",
        "created": message.created.isoformat(),
        "client_id": "c-1",
        "attachments": [],
        "card": None,
        "kind": "text", "sticker": None, "reply_to": None, "edited": None, "reactions": [],
        "unsent": False, "removed": False, "forwarded": False,
    }
    assert f'id="message-{message.pk}"' in frame["html"] and "Hello Bob" in frame["html"]
    assert await receive_type(alice_other_tab, "message.new") == frame
    assert await receive_type(bobs, "message.new") == frame
    assert await receive_type(bobs, "unread.update") == {
        "type": "unread.update", "thread": pair.pk, "unread": 1, "total": 1
    }
    assert await hears_nothing(alice_tab)  # the sender gets no unread.update
    assert await hears_nothing(carols)


async def test_a_group_message_reaches_all_three(connect, alice, bob, carol, group):
    sockets = [await connect(person) for person in (alice, bob, carol)]
    await send_text(sockets[1], "hi all", group)
    for communicator in sockets:
        frame = await receive_type(communicator, "message.new")
        assert (frame["message"]["sender"], frame["message"]["seq"]) == ("bob", 2)


async def test_resending_a_client_id_answers_only_the_sending_socket(connect, alice, bob, pair):
    alice_tab, alice_other_tab, bobs = await connect(alice), await connect(alice), await connect(bob)
    await send_text(alice_tab, "once", pair, client_id="retry-1")
    first = await receive_type(alice_tab, "message.new")
    await receive_type(alice_other_tab, "message.new")
    await receive_all(bobs, 2)

    await send_text(alice_tab, "once", pair, client_id="retry-1")
    again = await receive_type(alice_tab, "message.new")
    assert again == first
    assert await hears_nothing(alice_other_tab)
    assert await hears_nothing(bobs)
    assert await count_messages(thread=pair) == 1


async def test_a_send_frame_costs_six_queries_however_long_the_history(connect, alice, bob, pair, no_rate_limit):
    alices = await connect(alice)
    for n in range(3):
        await send_text(alices, f"warm up {n}", pair)
        await receive_type(alices, "message.new")
    async with queries_on_database_thread() as queries:
        await send_text(alices, "counted", pair, client_id="q-1")
        await receive_type(alices, "message.new")
    # seq under the thread lock; the 1:1's route (states, policy, follow, block); read mark +
    # unarchive; insert; thread's last message; then the push: members with read marks, badge
    # totals, who blocked or muted the sender, and profiles
    assert len(statements(queries)) == 6, statements(queries)


# --- sync -----------------------------------------------------------------------------------


def send_history(pair, people, count):
    """Messages m1..m<count> taking turns; built in a sync fixture, so their pushes are over before a socket opens."""
    for n in range(1, count + 1):
        services.send_message(sender=people[n % len(people)], thread=pair, body=f"m{n}")


@pytest.fixture
def five_messages(pair, alice, bob):
    send_history(pair, [alice, bob], 5)


@pytest.fixture
def long_history(pair, alice, bob, no_rate_limit):
    send_history(pair, [bob], 205)


async def test_sync_sends_what_was_missed_in_seq_order_then_sync_done(connect, alice, pair, five_messages):
    alices = await connect(alice)
    async with queries_on_database_thread() as queries:
        await alices.send_json_to({"type": "sync", "thread": pair.pk, "after": 2})
        frames = await receive_all(alices, 4)
    # the missed messages with senders and profiles, joined to alice's membership; their attachments; their reactions
    assert len(statements(queries)) == 3
    assert [frame["type"] for frame in frames] == ["message.new"] * 3 + ["sync.done"]
    assert [frame["message"]["seq"] for frame in frames[:3]] == [3, 4, 5]
    assert [frame["message"]["body"] for frame in frames[:3]] == ["m3", "m4", "m5"]
    assert frames[3] == {"type": "sync.done", "thread": pair.pk, "count": 3, "more": False}


async def test_sync_sends_at_most_200_and_says_there_is_more(connect, alice, pair, long_history):
    alices = await connect(alice)
    await alices.send_json_to({"type": "sync", "thread": pair.pk, "after": 0})
    frames = await receive_all(alices, 201)
    assert [frame["message"]["seq"] for frame in frames[:200]] == list(range(1, 201))
    assert frames[200] == {"type": "sync.done", "thread": pair.pk, "count": 200, "more": True}
    await alices.send_json_to({"type": "sync", "thread": pair.pk, "after": 200})
    frames = await receive_all(alices, 6)
    assert [frame["message"]["seq"] for frame in frames[:5]] == [201, 202, 203, 204, 205]
    assert frames[5]["more"] is False


async def test_sync_when_caught_up_says_done_with_nothing(connect, alice, pair):
    alices = await connect(alice)
    await alices.send_json_to({"type": "sync", "thread": pair.pk, "after": 0})
    assert await receive(alices) == {"type": "sync.done", "thread": pair.pk, "count": 0, "more": False}


# --- typing, read, unread.update ------------------------------------------------------------


async def test_typing_reaches_the_others_once_per_two_seconds(connect, alice, bob, carol, group):
    alices, bobs, carols = await connect(alice), await connect(bob), await connect(carol)
    async with queries_on_database_thread() as queries:
        await alices.send_json_to({"type": "typing", "thread": group.pk})
        frame = await receive_type(bobs, "typing")
    assert len(statements(queries)) == 1  # the members, with the typist's display name
    assert frame == {"type": "typing", "thread": group.pk, "user": "alice", "name": "Alice Martin"}
    assert await receive_type(carols, "typing") == frame
    await alices.send_json_to({"type": "typing", "thread": group.pk})
    assert await hears_nothing(bobs)
    assert await hears_nothing(alices)  # no echo, no error


async def test_reading_tells_the_sender_and_updates_the_readers_tabs(connect, alice, bob, pair):
    alices, bobs = await connect(alice), await connect(bob)
    await send_text(alices, "seen?", pair)
    await receive_type(alices, "message.new")
    await receive_all(bobs, 2)

    async with queries_on_database_thread() as queries:
        await bobs.send_json_to({"type": "read", "thread": pair.pk, "seq": 1})
        read = await receive_type(alices, "read")
        assert await receive_type(bobs, "read") == read
        update = await receive_type(bobs, "unread.update")
    # members with marks; the update; the reader's count and badge total
    assert len(statements(queries)) == 3
    assert read == {"type": "read", "thread": pair.pk, "user": "bob", "seq": 1}
    assert update == {"type": "unread.update", "thread": pair.pk, "unread": 0, "total": 0}
    participant = await database_sync_to_async(Participant.objects.get)(thread=pair, user=bob)
    assert participant.last_read_seq == 1


async def test_read_without_seq_reads_everything_and_repeats_are_silent(connect, alice, bob, pair):
    alices, bobs = await connect(alice), await connect(bob)
    for n in range(3):
        await send_text(alices, f"m{n}", pair)
        await receive_type(alices, "message.new")
    await receive_all(bobs, 6)
    await bobs.send_json_to({"type": "read", "thread": pair.pk})
    assert (await receive_type(alices, "read"))["seq"] == 3
    await receive_all(bobs, 2)
    await bobs.send_json_to({"type": "read", "thread": pair.pk, "seq": 2})
    assert await hears_nothing(alices)
    assert await hears_nothing(bobs)


# --- Groups: removal on open sockets --------------------------------------------------------


async def test_a_removed_member_stops_hearing_at_once_and_is_refused_everything(connect, alice, bob, carol, group):
    alices, bobs, carols = await connect(alice), await connect(bob), await connect(carol)
    await database_sync_to_async(services.remove_participant)(user=alice, thread=group, member=carol)
    assert await receive_type(carols, "thread.removed") == {"type": "thread.removed", "thread": group.pk}
    assert await receive_type(carols, "unread.update") == {
        "type": "unread.update", "thread": group.pk, "unread": 0, "total": 0
    }
    line = await receive_type(alices, "message.new")
    assert line["message"]["body"] == "alice removed carol" and line["message"]["sender"] is None
    await receive_all(bobs, 2)

    await send_text(alices, "carol is gone", group)
    await receive_type(alices, "message.new")
    await receive_all(bobs, 2)
    await bobs.send_json_to({"type": "typing", "thread": group.pk})
    await bobs.send_json_to({"type": "read", "thread": group.pk})
    await receive_type(alices, "typing")
    assert await hears_nothing(carols)

    for frame in (
        {"type": "message.send", "thread": group.pk, "body": "let me in", "client_id": "x"},
        {"type": "typing", "thread": group.pk},
        {"type": "read", "thread": group.pk, "seq": 1},
        {"type": "sync", "thread": group.pk, "after": 0},
    ):
        error = await error_for(carols, frame)
        assert error["code"] == "not_found", frame
    assert await count_messages(thread=group, body="let me in") == 0


async def test_leaving_tells_the_leavers_own_tabs(connect, alice, bob, carol, group):
    bob_tab, bob_other_tab = await connect(bob), await connect(bob)
    await database_sync_to_async(services.leave_thread)(user=bob, thread=group)
    for communicator in (bob_tab, bob_other_tab):
        assert await receive_type(communicator, "thread.removed") == {"type": "thread.removed", "thread": group.pk}


# --- carol, the outsider --------------------------------------------------------------------


async def test_the_outsider_hears_nothing_and_is_refused_everything(connect, alice, bob, carol, pair):
    alices, carols = await connect(alice), await connect(carol)
    await send_text(alices, "private", pair)
    await alices.send_json_to({"type": "typing", "thread": pair.pk})
    await receive_type(alices, "message.new")
    assert await hears_nothing(carols)

    refusals = []
    for frame in (
        {"type": "message.send", "thread": pair.pk, "body": "hi", "client_id": "c"},
        {"type": "sync", "thread": pair.pk, "after": 0},
        {"type": "typing", "thread": pair.pk},
        {"type": "read", "thread": pair.pk, "seq": 1},
    ):
        refusals.append(await error_for(carols, frame))
    assert [error["code"] for error in refusals] == ["not_found"] * 4
    missing = await error_for(carols, {"type": "sync", "thread": pair.pk + 999, "after": 0})
    assert {error["detail"] for error in refusals} == {missing["detail"]}  # refused exactly like a missing one
    assert refusals[0]["client_id"] == "c"
    assert await hears_nothing(alices)
    assert await count_messages(sender=carol) == 0


# --- Bad input: a clear error, nothing lost, the socket stays usable ------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty_body"), ("  \n\t ", "empty_body"), ("x" * 5001, "too_long"), (None, "bad_request"), (7, "bad_request")],
)
async def test_a_bad_body_is_refused_with_its_client_id(connect, alice, bob, pair, body, code):
    alices, bobs = await connect(alice), await connect(bob)
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": body, "client_id": "c-7"})
    assert error == {"type": "error", "code": code, "detail": error["detail"], "client_id": "c-7"}
    assert error["detail"]
    assert await hears_nothing(bobs)
    assert await count_messages() == 0
    await still_usable(alices, pair)


async def test_an_unknown_conversation_is_not_found(connect, alice, pair):
    alices = await connect(alice)
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk + 1000, "body": "hi"})
    assert (error["code"], error["client_id"]) == ("not_found", None)
    for thread_id in (0, -5, 2**64):
        assert (await error_for(alices, {"type": "sync", "thread": thread_id, "after": 0}))["code"] == "not_found"
    await still_usable(alices, pair)


@pytest.mark.parametrize("thread_id", ["1", True, 1.0, None, [1], {"id": 1}])
async def test_ids_of_the_wrong_type_are_bad_requests(connect, alice, pair, thread_id):
    alices = await connect(alice)
    for frame in (
        {"type": "message.send", "thread": thread_id, "body": "hi"},
        {"type": "sync", "thread": thread_id, "after": 0},
        {"type": "typing", "thread": thread_id},
        {"type": "read", "thread": thread_id, "seq": 1},
    ):
        assert (await error_for(alices, frame))["code"] == "bad_request", frame
    await still_usable(alices, pair)


@pytest.mark.parametrize("after", ["0", False, -1, 2.5, None])
async def test_a_bad_sync_position_is_a_bad_request(connect, alice, pair, after):
    alices = await connect(alice)
    assert (await error_for(alices, {"type": "sync", "thread": pair.pk, "after": after}))["code"] == "bad_request"
    await still_usable(alices, pair)


@pytest.mark.parametrize("seq", ["1", True, -1, 1.5])
async def test_a_bad_read_seq_is_a_bad_request(connect, alice, pair, seq):
    alices = await connect(alice)
    assert (await error_for(alices, {"type": "read", "thread": pair.pk, "seq": seq}))["code"] == "bad_request"
    await still_usable(alices, pair)


@pytest.mark.parametrize("text", ["{not json", "", "{'type': 'sync'}", "\x00"])
async def test_invalid_json_is_an_error_not_a_dead_socket(connect, alice, pair, text):
    alices = await connect(alice)
    error = await error_for(alices, text=text) if text else await _empty_frame_error(alices)
    assert error == {"type": "error", "code": "invalid_json", "detail": error["detail"], "client_id": None}
    await still_usable(alices, pair)


async def _empty_frame_error(communicator):
    # WebsocketCommunicator.send_to refuses an empty string, so hand the ASGI event over directly.
    await communicator.send_input({"type": "websocket.receive", "text": ""})
    return await receive_type(communicator, "error")


async def test_binary_frames_are_refused(connect, alice, pair):
    alices = await connect(alice)
    error = await error_for(alices, binary=json.dumps({"type": "sync", "thread": pair.pk, "after": 0}).encode())
    assert error["code"] == "bad_request" and "binary" in error["detail"]
    await still_usable(alices, pair)


@pytest.mark.parametrize("payload", [[1, 2], "message.send", 5, None, True])
async def test_json_that_is_not_an_object_is_refused(connect, alice, pair, payload):
    alices = await connect(alice)
    assert (await error_for(alices, text=json.dumps(payload)))["code"] == "bad_request"
    await still_usable(alices, pair)


@pytest.mark.parametrize(
    "frame_type", ["message.new", "session.revoke", "websocket.disconnect", "forward", "unread_update", "", 5, None]
)
async def test_unknown_types_are_refused_and_never_forwarded(connect, alice, bob, pair, frame_type):
    alices, bobs = await connect(alice), await connect(bob)
    frame = {"type": frame_type, "thread": pair.pk, "payload": {"type": "message.new"}, "session": None}
    error = await error_for(alices, frame)
    assert error["code"] == "unknown_type"
    assert await hears_nothing(bobs)
    await still_usable(alices, pair)  # and the socket did not close itself either


async def test_a_frame_without_a_type_is_unknown(connect, alice, pair):
    alices = await connect(alice)
    assert (await error_for(alices, {"thread": pair.pk, "body": "hi"}))["code"] == "unknown_type"
    await still_usable(alices, pair)


async def test_frames_over_64_kb_are_refused_before_parsing(connect, alice, bob, pair):
    alices, bobs = await connect(alice), await connect(bob)
    padding = "x" * (64 * 1024)
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": "hi", "pad": padding})
    assert (error["code"], error["client_id"]) == ("frame_too_large", None)
    # the limit is in bytes: 22,000 three-byte characters are over it
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": "€" * 22000})
    assert error["code"] == "frame_too_large"
    assert await hears_nothing(bobs)
    await still_usable(alices, pair)


async def test_a_full_length_body_fits_in_a_frame(connect, alice, pair):
    alices = await connect(alice)
    body = "😀" * 5000  # 20 KB of UTF-8, 60 KB as \\u escapes
    await send_text(alices, body, pair)
    assert (await receive_type(alices, "message.new"))["message"]["body"] == body


async def test_a_client_id_over_64_characters_is_refused(connect, alice, bob, pair):
    alices, bobs = await connect(alice), await connect(bob)
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": "hi", "client_id": "c" * 65})
    assert (error["code"], error["client_id"]) == ("bad_request", None)
    assert "64" in error["detail"]
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": "hi", "client_id": 42})
    assert error["code"] == "bad_request"
    assert await hears_nothing(bobs)
    assert await count_messages() == 0
    await still_usable(alices, pair)


async def test_a_flood_is_rate_limited_without_slowing_anyone_else(connect, alice, bob, pair, settings):
    settings.SEND_RATE_PER_MINUTE = 3
    alices, bobs = await connect(alice), await connect(bob)
    for n in range(3):
        await send_text(alices, f"m{n}", pair)
        await receive_type(alices, "message.new")
    error = await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": "flood", "client_id": "f-4"})
    assert (error["code"], error["client_id"]) == ("rate_limited", "f-4")
    await receive_all(bobs, 6)
    await send_text(bobs, "my own budget", pair)
    assert (await receive_type(bobs, "message.new"))["message"]["body"] == "my own budget"
    assert await count_messages(sender=alice) == 3


async def test_after_an_error_the_socket_works_for_other_conversations(connect, alice, bob, carol, pair, make_thread):
    other = await database_sync_to_async(make_thread)(alice, carol)
    alices, carols = await connect(alice), await connect(carol)
    assert (await error_for(alices, {"type": "message.send", "thread": pair.pk, "body": " "}))["code"] == "empty_body"
    await send_text(alices, "hi carol", other)
    assert (await receive_type(carols, "message.new"))["message"]["body"] == "hi carol"


async def test_an_unexpected_failure_is_reported_and_the_socket_survives(connect, alice, pair, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    alices = await connect(alice)
    monkeypatch.setattr(services, "note_typing", broken)
    error = await error_for(alices, {"type": "typing", "thread": pair.pk})
    assert error["code"] == "server_error" and "database" not in error["detail"]
    monkeypatch.undo()
    await still_usable(alices, pair)
