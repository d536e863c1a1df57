"""The message actions over the socket: frames, refusals, live updates and the catch-up after a reconnect."""

import pytest
from channels.db import database_sync_to_async

from inbox import services
from inbox.models import Message, Thread

from .conftest import hears_nothing, receive_all, receive_type
from .test_consumer import queries_on_database_thread, statements

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("no_limits")]


@pytest.fixture
def pair(make_thread, alice, bob):
    return make_thread(alice, bob)


@database_sync_to_async
def say(sender, thread, body="hello", **extra):
    message, _created = services.send_message(sender=sender, thread=thread, body=body, **extra)
    return message


@database_sync_to_async
def last_change(thread):
    return Thread.objects.get(pk=thread.pk).last_change


async def test_react_edit_unsend_reach_every_tab_as_message_updated(connect, alice, bob, carol, pair):
    message = await say(alice, pair, "see you at 9")
    alices, bobs, carols = await connect(alice), await connect(alice), await connect(bob)
    outsider = await connect(carol)

    await carols.send_json_to({"type": "message.react", "thread": pair.pk, "seq": message.seq, "emoji": "❤️"})
    frames = [await receive_type(tab, "message.updated") for tab in (alices, bobs, carols)]
    assert frames[0] == frames[1] == frames[2]
    assert frames[0]["message"]["reactions"] == [{"emoji": "❤️", "count": 1, "users": ["bob"]}]
    assert frames[0]["thread"] == pair.pk and frames[0]["change"] == await last_change(pair)
    assert await hears_nothing(outsider)
    assert await hears_nothing(carols, timeout=0.1)  # no unread.update for a reaction

    await alices.send_json_to({"type": "message.edit", "thread": pair.pk, "seq": message.seq, "body": "see you at 10"})
    edited = await receive_type(carols, "message.updated")
    assert edited["message"]["body"] == "see you at 10" and edited["message"]["edited"]

    await alices.send_json_to({"type": "message.unsend", "thread": pair.pk, "seq": message.seq})
    unsent = await receive_type(carols, "message.updated")
    assert unsent["message"]["unsent"] is True and "alice unsent a message" in unsent["html"]


async def test_refusals_have_their_own_codes_and_the_socket_stays_usable(connect, alice, bob, carol, pair):
    message = await say(alice, pair, "mine")
    bobs, carols = await connect(bob), await connect(carol)
    for frame, code in [
        ({"type": "message.edit", "thread": pair.pk, "seq": message.seq, "body": "x"}, "not_yours"),
        ({"type": "message.unsend", "thread": pair.pk, "seq": message.seq}, "not_yours"),
        ({"type": "message.react", "thread": pair.pk, "seq": message.seq, "emoji": "🍕"}, "bad_request"),
        ({"type": "message.react", "thread": pair.pk, "seq": "1", "emoji": "❤️"}, "bad_request"),
        ({"type": "message.hide", "thread": pair.pk, "seq": 99}, "not_found"),
        ({"type": "message.forward", "thread": pair.pk, "seq": message.seq, "to": "all"}, "bad_request"),
        ({"type": "message.send", "thread": pair.pk, "body": "", "sticker": "nope"}, "unknown_sticker"),
        ({"type": "message.send", "thread": pair.pk, "body": "x", "reply_to": 42}, "bad_request"),
    ]:
        await bobs.send_json_to(frame)
        error = await receive_type(bobs, "error")
        assert error["code"] == code, (frame, error)
        assert error["detail"]
    # the same neutral answer for a conversation I am not in
    await carols.send_json_to({"type": "message.react", "thread": pair.pk, "seq": message.seq, "emoji": "❤️"})
    assert (await receive_type(carols, "error"))["code"] == "not_found"
    await bobs.send_json_to({"type": "message.send", "thread": pair.pk, "body": "still here"})
    assert (await receive_type(bobs, "message.new"))["message"]["body"] == "still here"


async def test_delete_for_me_reaches_only_my_own_tabs(connect, alice, bob, pair):
    message = await say(bob, pair, "hide me")
    mine, my_other_tab, theirs = await connect(alice), await connect(alice), await connect(bob)
    await mine.send_json_to({"type": "message.hide", "thread": pair.pk, "seq": message.seq})
    frame = await receive_type(my_other_tab, "message.updated")
    assert frame["message"] == {"id": message.pk, "seq": message.seq, "hidden": True} and frame["html"] == ""
    assert (await receive_type(mine, "message.updated")) == frame
    assert await hears_nothing(theirs)


async def test_a_reply_and_a_sticker_over_the_socket(connect, alice, bob, pair):
    original = await say(bob, pair, "Pizza tonight?")
    alices = await connect(alice)
    await alices.send_json_to({"type": "message.send", "thread": pair.pk, "body": "Yes!", "reply_to": original.seq})
    reply = await receive_type(alices, "message.new")
    assert reply["message"]["reply_to"] == {"seq": original.seq, "sender": "bob", "excerpt": "Pizza tonight?", "unavailable": False}
    assert "message-quote" in reply["html"]
    await alices.send_json_to({"type": "message.send", "thread": pair.pk, "sticker": "party"})
    sticker = await receive_type(alices, "message.new")
    assert sticker["message"]["sticker"] == "party" and "message-sticker" in sticker["html"]


async def test_forward_answers_the_forwarding_socket_with_where_it_went(connect, make_thread, alice, bob, carol, pair):
    to_carol = await database_sync_to_async(make_thread)(alice, carol)
    original = await say(bob, pair, "pass it on")
    alices, carols = await connect(alice), await connect(carol)
    await alices.send_json_to({"type": "message.forward", "thread": pair.pk, "seq": original.seq, "to": [to_carol.pk, 987654]})
    answer = await receive_type(alices, "message.forwarded")
    assert answer["to"] == [to_carol.pk]
    assert answer["refused"] == [{"thread": 987654, "code": "not_found", "detail": services.NOT_FOUND}]
    copy = await receive_type(carols, "message.new")
    assert copy["message"]["forwarded"] is True and copy["message"]["body"] == "pass it on"
    assert "Forwarded" in copy["html"]


async def test_sync_after_a_reconnect_brings_edits_unsends_reactions_and_hides(connect, alice, bob, pair):
    first, second, third = await say(alice, pair, "one"), await say(alice, pair, "two"), await say(bob, pair, "three")
    cursor = await last_change(pair)
    # alice's tab is away while these happen
    bobs = await connect(bob)
    await database_sync_to_async(services.edit_message)(user=alice, thread=pair, seq=first.seq, body="one!")
    await database_sync_to_async(services.unsend_message)(user=alice, thread=pair, seq=second.seq)
    await bobs.send_json_to({"type": "message.react", "thread": pair.pk, "seq": third.seq, "emoji": "😂"})
    await receive_type(bobs, "message.updated")
    await database_sync_to_async(services.hide_message)(user=alice, thread=pair, seq=third.seq)
    fourth = await say(bob, pair, "four")

    alices = await connect(alice)
    async with queries_on_database_thread() as queries:
        await alices.send_json_to({"type": "sync", "thread": pair.pk, "after": 3, "changes_after": cursor})
        frames = await receive_all(alices, 5)
    # new: the messages (with extras: files, reactions); changes: counter, messages, reactions; hides
    assert len(statements(queries)) <= 8
    assert [frame["type"] for frame in frames] == ["message.new", "message.updated", "message.updated", "message.updated", "sync.done"]
    assert frames[0]["message"]["seq"] == fourth.seq
    updated = {frame["message"]["seq"]: frame["message"] for frame in frames[1:4]}
    assert updated[1]["body"] == "one!" and updated[1]["edited"]
    assert updated[2]["unsent"] is True and updated[2]["body"] == ""
    assert updated[3] == {"id": third.pk, "seq": 3, "hidden": True}  # hidden for alice wins over bob's reaction
    done = frames[4]
    assert done == {"type": "sync.done", "thread": pair.pk, "count": 4, "more": False, "change": await last_change(pair)}

    # bob reconnects from the same cursor: he sees the reaction on the third, not alice's hide
    bob_again = await connect(bob)
    await bob_again.send_json_to({"type": "sync", "thread": pair.pk, "after": 4, "changes_after": cursor})
    frames = await receive_all(bob_again, 4)
    third_now = next(frame for frame in frames if frame["type"] == "message.updated" and frame["message"]["seq"] == 3)
    assert third_now["message"]["reactions"] == [{"emoji": "😂", "count": 1, "users": ["bob"]}]
    assert frames[-1]["type"] == "sync.done"

    # caught up: nothing more
    await alices.send_json_to({"type": "sync", "thread": pair.pk, "after": 4, "changes_after": done["change"]})
    assert await receive_type(alices, "sync.done") == {"type": "sync.done", "thread": pair.pk, "count": 0, "more": False, "change": done["change"]}
