"""Issue 5 on the WebSocket: a block or "who can message me" closes every door at once on open
sockets, requests arrive live without receipts, and a blocker's sockets hear nothing of the
blocked person in a shared group.

Transactional tests: the consumer's database work runs on asgiref's thread with its own connection.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async

from accounts import services as accounts_services
from inbox import services, social
from inbox.models import Message, Participant

from .conftest import hears_nothing, receive_type

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

CANNOT = "You can't message this person"


def on_db(function, **arguments):
    return database_sync_to_async(function)(**arguments)


async def send_frame(communicator, thread, body, client_id, **extra):
    await communicator.send_json_to(
        {"type": "message.send", "thread": thread.pk, "body": body, "client_id": client_id, **extra}
    )


async def refused_neutrally(communicator, client_id):
    frame = await receive_type(communicator, "error")
    assert frame == {"type": "error", "code": "cannot_message", "detail": CANNOT, "client_id": client_id}


def count_messages():
    return database_sync_to_async(Message.objects.count)()


@pytest.fixture
def pair(make_thread, alice, bob):
    return make_thread(alice, bob)


@pytest.fixture
def request_pair(make_thread, alice, bob):
    """A 1:1 alice starts with bob, who does not follow her, under the default policy: a request for him."""
    accounts_services.set_message_policy(user=bob, policy="requests")
    return make_thread(alice, bob)


@pytest.mark.parametrize("blocker", ["bob", "alice"])
async def test_an_old_one_to_one_over_the_socket_is_refused_after_a_block_either_way(connect, alice, bob, pair,
                                                                                     blocker):
    alices, bobs = await connect(alice), await connect(bob)
    await send_frame(alices, pair, "before", "c-0")
    await receive_type(alices, "message.new")
    await receive_type(bobs, "message.new")
    await receive_type(bobs, "unread.update")
    people = {"alice": alice, "bob": bob}
    await on_db(accounts_services.block, blocker=people[blocker], blocked=alice if blocker == "bob" else bob)

    await send_frame(alices, pair, "after", "c-1")
    await refused_neutrally(alices, "c-1")
    assert await hears_nothing(bobs)
    assert await hears_nothing(alices)
    assert await count_messages() == 1
    # The socket stays usable for everything else.
    await bobs.send_json_to({"type": "sync", "thread": pair.pk, "after": 0})
    assert (await receive_type(bobs, "message.new"))["message"]["body"] == "before"


async def test_a_block_and_an_immediate_send_race_and_the_send_is_refused(connect, alice, bob, pair):
    alices, bobs = await connect(alice), await connect(bob)
    # The block and the frame leave at the same moment; the block's commit comes first on the one
    # database thread, and the send checks the route after locking the thread.
    await asyncio.gather(
        on_db(accounts_services.block, blocker=bob, blocked=alice),
        send_frame(alices, pair, "quick, before the block", "race-1"),
    )
    await refused_neutrally(alices, "race-1")
    assert await hears_nothing(bobs)
    assert await count_messages() == 0


async def test_a_retry_of_a_refused_message_is_refused_again(connect, alice, bob, pair):
    alices, bobs = await connect(alice), await connect(bob)
    await on_db(accounts_services.block, blocker=bob, blocked=alice)
    for _attempt in range(2):
        await send_frame(alices, pair, "let me in", "retry-1")
        await refused_neutrally(alices, "retry-1")
    assert await hears_nothing(bobs)
    assert await count_messages() == 0


async def test_a_files_only_message_over_the_socket_is_refused_after_a_block(connect, alice, bob, pair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from media import services as media_services
    from media.models import Attachment

    upload = await on_db(
        media_services.store_upload, owner=alice, uploaded_file=SimpleUploadedFile("plan.txt", b"the plan\n")
    )
    await on_db(accounts_services.block, blocker=bob, blocked=alice)
    alices, bobs = await connect(alice), await connect(bob)
    await send_frame(alices, pair, "", "f-1", attachments=[upload.pk])
    await refused_neutrally(alices, "f-1")
    assert await hears_nothing(bobs)
    assert await count_messages() == 0
    assert (await database_sync_to_async(Attachment.objects.get)(pk=upload.pk)).message_id is None


async def test_only_people_i_follow_refuses_an_old_request_thread_over_the_socket(connect, alice, bob, request_pair):
    pair = request_pair
    await on_db(services.send_message, sender=alice, thread=pair, body="a first request")
    await on_db(accounts_services.set_message_policy, user=bob, policy="followed")
    alices, bobs = await connect(alice), await connect(bob)
    await send_frame(alices, pair, "and another", "p-1")
    await refused_neutrally(alices, "p-1")
    assert await hears_nothing(bobs)
    assert await count_messages() == 1


async def test_a_request_arrives_live_with_the_requests_count_and_reading_it_tells_the_writer_nothing(
    connect, alice, bob, request_pair
):
    pair = request_pair
    alices, bobs = await connect(alice), await connect(bob)
    await send_frame(alices, pair, "Hi, we met at the conference", "r-1")
    await receive_type(alices, "message.new")
    frame = await receive_type(bobs, "message.new")
    assert frame["message"]["body"] == "Hi, we met at the conference"
    assert await receive_type(bobs, "requests.update") == {"type": "requests.update", "count": 1}
    assert await hears_nothing(bobs)  # no unread.update: requests stay out of the badge

    await bobs.send_json_to({"type": "read", "thread": pair.pk, "seq": frame["message"]["seq"]})
    assert await hears_nothing(alices)  # no "Seen" from a request
    assert await hears_nothing(bobs)
    membership = await database_sync_to_async(Participant.objects.get)(thread=pair, user=bob)
    assert (membership.state, membership.last_read_seq) == ("request", 0)

    # Accepting lets the receipt through at once.
    await on_db(social.accept_request, user=bob, thread=pair)
    assert await receive_type(alices, "read") == {"type": "read", "thread": pair.pk, "user": "bob", "seq": 1}


@pytest.fixture
def group(make_thread, alice, bob, carol):
    return make_thread(carol, alice, bob, name="Neighbours")


async def test_in_a_shared_group_the_blockers_sockets_get_only_a_hidden_marker(connect, alice, bob, carol, group):
    await on_db(accounts_services.block, blocker=bob, blocked=alice)
    alices, bobs, carols = await connect(alice), await connect(bob), await connect(carol)
    await send_frame(alices, group, "hello neighbours", "g-1")
    sent = await receive_type(alices, "message.new")
    assert (await receive_type(carols, "message.new"))["message"]["body"] == "hello neighbours"
    await receive_type(carols, "unread.update")
    assert await receive_type(bobs, "message.hidden") == {
        "type": "message.hidden", "thread": group.pk, "seq": sent["message"]["seq"],
    }
    assert await hears_nothing(bobs)  # no message, no unread.update

    # alice notices nothing: bob's own messages still reach her.
    await send_frame(bobs, group, "hi all", "g-2")
    assert (await receive_type(alices, "message.new"))["message"]["body"] == "hi all"
    assert (await receive_type(bobs, "message.new"))["message"]["body"] == "hi all"  # his own push

    # A sync gives bob the same marker in place of the message.
    await bobs.send_json_to({"type": "sync", "thread": group.pk, "after": 1})
    frames = [await receive_type(bobs, kind) for kind in ("message.hidden", "message.new", "sync.done")]
    assert frames[0]["seq"] == 2 and frames[1]["message"]["seq"] == 3


async def test_a_blocked_persons_typing_does_not_reach_the_blocker(connect, alice, bob, carol, group):
    await on_db(accounts_services.block, blocker=bob, blocked=alice)
    alices, bobs, carols = await connect(alice), await connect(bob), await connect(carol)
    await alices.send_json_to({"type": "typing", "thread": group.pk})
    assert (await receive_type(carols, "typing"))["user"] == "alice"
    assert await hears_nothing(bobs)


async def test_a_muted_persons_message_reaches_the_socket_without_a_badge_bump(connect, alice, bob, pair):
    await on_db(accounts_services.mute_person, muter=bob, muted=alice)
    alices, bobs = await connect(alice), await connect(bob)
    await send_frame(alices, pair, "pssst", "m-1")
    assert (await receive_type(bobs, "message.new"))["message"]["body"] == "pssst"
    assert await hears_nothing(bobs)
