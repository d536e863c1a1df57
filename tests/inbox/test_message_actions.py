"""Changing a sent message: reactions, replies, edits, unsend, delete for me, forwards, stickers.

Each rule is checked at the service (inbox.services), with what every open tab is told
(inbox.events through the `pushes` fixture) and what a reconnecting tab catches up (changes_after).
"""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as accounts_services
from inbox import events, services
from inbox.models import HiddenMessage, Message, Reaction
from media import services as media_services
from media.models import Attachment
from moderation import services as moderation
from tests.media.test_s3 import bucket, moto_endpoint  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_limits")]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """with committed(): ... runs the pushes queued for after the commit when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def direct(make_thread, alice, bob):
    return make_thread(alice, bob)


@pytest.fixture
def group(make_thread, alice, bob, carol):
    return make_thread(alice, bob, carol, name="Trip")


def say(sender, thread, body="hello", **extra):
    message, _created = services.send_message(sender=sender, thread=thread, body=body, **extra)
    return message


def upload(owner, name="notes.txt", content=b"some notes\n"):
    return media_services.store_upload(owner=owner, uploaded_file=SimpleUploadedFile(name, content))


def assert_refused(code, call, *args, **kwargs):
    with pytest.raises(services.Refused) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.detail
    return caught.value


def updates_to(pushes, user):
    return [frame for group, frame in pushes if group == f"user.{user.pk}" and frame["type"] == "message.updated"]


# --- Reactions ------------------------------------------------------------------------------


def test_one_reaction_per_person_another_replaces_it_the_same_again_removes_it(direct, alice, bob):
    message = say(alice, direct)
    services.react(user=bob, thread=direct, seq=message.seq, emoji="❤️")
    services.react(user=bob, thread=direct, seq=message.seq, emoji="😂")
    assert list(Reaction.objects.values_list("user__username", "emoji")) == [("bob", "😂")]
    services.react(user=alice, thread=direct, seq=message.seq, emoji="😂")
    reloaded = services.get_message_for(alice, direct, message.seq)
    assert reloaded.reaction_summary == [{"emoji": "😂", "count": 2, "users": ["bob", "alice"]}]
    services.react(user=bob, thread=direct, seq=message.seq, emoji="😂")
    assert list(Reaction.objects.values_list("user__username", flat=True)) == ["alice"]
    services.react(user=alice, thread=direct, seq=message.seq, emoji=None)
    assert not Reaction.objects.exists()


def test_a_reaction_moves_no_unread_count_and_no_read_mark(direct, alice, bob, pushes, committed):
    message = say(alice, direct)
    bob_mark = direct.participants.get(user=bob).last_read_seq
    pushes.clear()
    with committed():
        services.react(user=bob, thread=direct, seq=message.seq, emoji="👍")
    direct.refresh_from_db()
    assert direct.last_seq == 1 and direct.participants.get(user=bob).last_read_seq == bob_mark
    assert direct.participants.get(user=alice).last_read_seq == 1
    assert {frame["type"] for _group, frame in pushes} == {"message.updated"}
    (frame,) = updates_to(pushes, alice)
    assert frame["message"]["reactions"] == [{"emoji": "👍", "count": 1, "users": ["bob"]}]
    assert 'class="message-reactions"' in frame["html"] and "👍" in frame["html"]
    assert frame["change"] == direct.last_change


def test_a_reaction_is_not_delivered_to_a_group_member_who_blocked_the_reactor(group, alice, bob, carol, pushes, committed):
    message = say(alice, group)
    accounts_services.block(blocker=carol, blocked=bob)
    pushes.clear()
    with committed():
        services.react(user=bob, thread=group, seq=message.seq, emoji="😮")
    assert updates_to(pushes, alice) and updates_to(pushes, bob)
    assert updates_to(pushes, carol) == []


def test_only_the_offered_emoji_on_real_messages_in_my_conversations(direct, group, alice, bob, carol):
    message = say(alice, direct)
    assert_refused("bad_request", services.react, user=bob, thread=direct, seq=message.seq, emoji="🍕")
    assert_refused("not_found", services.react, user=carol, thread=direct, seq=message.seq, emoji="❤️")
    assert_refused("not_found", services.react, user=bob, thread=direct, seq=99, emoji="❤️")
    system_line = Message.objects.get(thread=group, kind=Message.Kind.SYSTEM)
    assert_refused("cannot_react", services.react, user=bob, thread=group, seq=system_line.seq, emoji="❤️")
    services.unsend_message(user=alice, thread=direct, seq=message.seq)
    assert_refused("cannot_react", services.react, user=bob, thread=direct, seq=message.seq, emoji="❤️")


def test_no_reaction_in_a_one_to_one_after_a_block(direct, alice, bob):
    message = say(alice, direct)
    accounts_services.block(blocker=alice, blocked=bob)
    assert_refused("cannot_react", services.react, user=bob, thread=direct, seq=message.seq, emoji="❤️")


# --- Replies ----------------------------------------------------------------------------------


def test_a_reply_quotes_the_original_as_it_is_now(direct, alice, bob):
    original = say(alice, direct, "Are we still on for Saturday morning at the usual place?")
    reply = say(bob, direct, "Yes!", reply_to=original.seq)
    assert reply.reply_to_id == original.pk
    payload = events.message_payload(services.get_message_for(alice, direct, reply.seq))
    assert payload["reply_to"] == {
        "seq": original.seq, "sender": "alice", "excerpt": "Are we still on for Saturday morning at the usual place?",
        "unavailable": False,
    }
    photo = say(alice, direct, "", attachment_ids=[upload(alice, "p.txt").pk])
    assert events.message_payload(say(bob, direct, "nice", reply_to=photo.seq))["reply_to"]["excerpt"] == "File"


def test_quoting_an_unsent_message_shows_original_message_unavailable(direct, alice, bob):
    original = say(alice, direct, "secret plan")
    reply = say(bob, direct, "ok", reply_to=original.seq)
    services.unsend_message(user=alice, thread=direct, seq=original.seq)
    shown = services.get_message_for(bob, direct, reply.seq)
    assert events.message_payload(shown)["reply_to"]["unavailable"] is True
    html = events.render_message_html(shown)
    assert "Original message unavailable" in html and "secret plan" not in html


def test_a_reply_must_answer_a_message_of_the_same_conversation(direct, make_thread, alice, bob, carol):
    elsewhere = make_thread(alice, carol)
    other = say(alice, elsewhere, "x")
    assert_refused("bad_request", services.send_message, sender=alice, thread=direct, body="hi", reply_to=other.seq + 5)
    assert not Message.objects.filter(thread=direct).exists()


# --- Edits --------------------------------------------------------------------------------------


def test_editing_my_message_replaces_the_text_for_everyone_with_an_edited_mark(direct, alice, bob, pushes, committed):
    message = say(alice, direct, "see you at 9")
    pushes.clear()
    with committed():
        services.edit_message(user=alice, thread=direct, seq=message.seq, body="see you at 10")
    message.refresh_from_db()
    assert message.body == "see you at 10" and message.edited_at is not None
    assert not Message.objects.filter(body__contains="at 9").exists()  # only the latest text is kept
    (frame,) = updates_to(pushes, bob)
    assert frame["message"]["body"] == "see you at 10" and frame["message"]["edited"]
    assert "Edited" in frame["html"] and "see you at 10" in frame["html"]


def test_only_my_own_text_within_fifteen_minutes_can_be_edited(direct, alice, bob):
    message = say(alice, direct, "typo")
    assert_refused("not_yours", services.edit_message, user=bob, thread=direct, seq=message.seq, body="x")
    assert_refused("empty_body", services.edit_message, user=alice, thread=direct, seq=message.seq, body="  ")
    Message.objects.filter(pk=message.pk).update(created=timezone.now() - timedelta(minutes=15, seconds=1))
    assert_refused("edit_window_passed", services.edit_message, user=alice, thread=direct, seq=message.seq, body="fixed")
    Message.objects.filter(pk=message.pk).update(created=timezone.now() - timedelta(minutes=14))
    services.edit_message(user=alice, thread=direct, seq=message.seq, body="fixed")
    sticker = say(alice, direct, "", sticker="wave")
    assert_refused("cannot_edit", services.edit_message, user=alice, thread=direct, seq=sticker.seq, body="x")
    assert Message.objects.get(pk=message.pk).body == "fixed"


def test_a_report_made_before_an_edit_keeps_its_own_snapshot(direct, alice, bob):
    message = say(bob, direct, "something rude")
    report, _created = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")
    services.edit_message(user=bob, thread=direct, seq=message.seq, body="something nice")
    report.refresh_from_db()
    assert "something rude" in str(report.snapshot)


# --- Unsend -------------------------------------------------------------------------------------


def test_unsend_wipes_the_body_and_files_after_commit_and_keeps_the_seq(
    direct, alice, bob, pushes, django_capture_on_commit_callbacks
):
    file = upload(alice)
    message = say(alice, direct, "oops", attachment_ids=[file.pk])
    services.react(user=bob, thread=direct, seq=message.seq, emoji="😂")
    say(bob, direct, "after")
    stored = file.file.name
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.unsend_message(user=alice, thread=direct, seq=message.seq)
        assert default_storage.exists(stored)  # never before the commit
    for callback in callbacks:
        callback()
    assert not default_storage.exists(stored)
    message.refresh_from_db()
    assert (message.body, message.seq, message.unsent_at is not None) == ("", 1, True)
    assert not Attachment.objects.filter(pk=file.pk).exists() and not Reaction.objects.exists()
    (frame,) = updates_to(pushes, bob)
    assert frame["message"]["unsent"] is True and frame["message"]["attachments"] == []
    assert "alice unsent a message" in frame["html"] and "oops" not in frame["html"]
    assert [m.seq for m in services.messages_page(thread=direct, viewer=bob)] == [1, 2]


def test_only_my_own_message_can_be_unsent_and_only_once(direct, alice, bob):
    message = say(alice, direct, "mine")
    assert_refused("not_yours", services.unsend_message, user=bob, thread=direct, seq=message.seq)
    services.unsend_message(user=alice, thread=direct, seq=message.seq)
    assert_refused("cannot_unsend", services.unsend_message, user=alice, thread=direct, seq=message.seq)


def test_a_report_keeps_its_snapshot_when_the_message_is_unsent(direct, alice, bob):
    message = say(bob, direct, "threatening words")
    report, _created = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")
    services.unsend_message(user=bob, thread=direct, seq=message.seq)
    report.refresh_from_db()
    assert "threatening words" in str(report.snapshot)


# --- Delete for me ------------------------------------------------------------------------------


def test_delete_for_me_hides_it_for_me_only_and_tells_only_my_tabs(direct, alice, bob, pushes, committed):
    message = say(bob, direct, "hide me")
    say(bob, direct, "keep me")
    pushes.clear()
    with committed():
        services.hide_message(user=alice, thread=direct, seq=message.seq)
    assert [(group, frame["message"]) for group, frame in pushes] == [
        (f"user.{alice.pk}", {"id": message.pk, "seq": 1, "hidden": True})
    ]
    assert [m.body for m in services.messages_page(thread=direct, viewer=alice)] == ["keep me"]
    assert [m.body for m in services.messages_page(thread=direct, viewer=bob)] == ["hide me", "keep me"]
    (marker, kept) = services.messages_after(user=alice, thread=direct, after_seq=0)
    assert marker.hidden and not kept.hidden
    assert_refused("not_found", services.hide_message, user=alice, thread=direct, seq=message.seq)
    assert HiddenMessage.objects.count() == 1


# --- Forward ------------------------------------------------------------------------------------


def test_a_forward_is_a_new_message_marked_forwarded_with_its_own_files(direct, make_thread, alice, bob, carol):
    to_carol = make_thread(alice, carol)
    file = upload(bob, "plan.txt", b"the plan\n")
    original = say(bob, direct, "the plan", attachment_ids=[file.pk])
    sent, refused = services.forward_message(user=alice, thread=direct, seq=original.seq, to=[to_carol.pk])
    assert refused == []
    (copy,) = sent
    assert (copy.thread_id, copy.sender_id, copy.body, copy.forwarded) == (to_carol.pk, alice.pk, "the plan", True)
    (copied_file,) = copy.files
    assert copied_file.file.name != file.file.name and copied_file.owner_id == alice.pk
    services.unsend_message(user=bob, thread=direct, seq=original.seq)
    assert default_storage.exists(copied_file.file.name)
    assert default_storage.open(copied_file.file.name).read() == b"the plan\n"
    assert events.message_payload(copy)["forwarded"] is True


def test_forwards_go_through_the_send_rules(direct, make_thread, alice, bob, carol):
    to_carol = make_thread(alice, carol)
    original = say(bob, direct, "pass it on")
    accounts_services.block(blocker=carol, blocked=alice)
    sent, refused = services.forward_message(user=alice, thread=direct, seq=original.seq, to=[to_carol.pk, 999999])
    assert sent == []
    assert sorted(refusal.code for _thread, refusal in refused) == ["cannot_message", "not_found"]
    assert not Message.objects.filter(thread=to_carol).exists()
    services.unsend_message(user=bob, thread=direct, seq=original.seq)
    assert_refused("cannot_forward", services.forward_message, user=alice, thread=direct, seq=original.seq, to=[to_carol.pk])


def test_a_forward_to_someone_outside_my_circle_lands_in_their_requests(direct, make_thread, alice, bob, carol):
    from accounts.models import Profile

    Profile.objects.filter(user=carol).update(message_policy=Profile.MessagePolicy.REQUESTS)
    to_carol = make_thread(alice, carol)
    original = say(bob, direct, "fyi")
    sent, refused = services.forward_message(user=alice, thread=direct, seq=original.seq, to=[to_carol.pk])
    assert sent and not refused
    assert to_carol.participants.get(user=carol).state == "request"
    Profile.objects.filter(user=carol).update(message_policy=Profile.MessagePolicy.FOLLOWED)
    to_carol_again = make_thread(carol, alice)  # the same 1:1
    assert to_carol_again.pk == to_carol.pk
    sent, refused = services.forward_message(user=alice, thread=direct, seq=original.seq, to=[to_carol.pk])
    assert sent == [] and [refusal.code for _thread, refusal in refused] == ["cannot_message"]


@pytest.fixture(params=["local", "s3"])
def storage(request):
    """Once on the local file backend, once on a private bucket of a local S3 server (moto)."""
    if request.param == "s3":
        request.getfixturevalue("bucket")
    return request.param


def test_unsend_deletes_the_files_and_a_forward_keeps_its_copy_on_either_storage(
    storage, direct, make_thread, alice, bob, carol, django_capture_on_commit_callbacks
):
    to_carol = make_thread(alice, carol)
    file = upload(alice, "route.txt", b"left at the mill\n")
    original = say(alice, direct, "", attachment_ids=[file.pk])
    (copy,), _refused = services.forward_message(user=alice, thread=direct, seq=original.seq, to=[to_carol.pk])
    with django_capture_on_commit_callbacks(execute=True):
        services.unsend_message(user=alice, thread=direct, seq=original.seq)
    assert not default_storage.exists(file.file.name)
    (kept,) = copy.files
    with default_storage.open(kept.file.name, "rb") as stored:
        assert stored.read() == b"left at the mill\n"


# --- Stickers -----------------------------------------------------------------------------------


def test_a_sticker_message_names_its_sticker_and_shows_large_without_a_bubble(direct, alice):
    message = say(alice, direct, "", sticker="wave")
    assert (message.kind, message.sticker, message.body) == ("sticker", "wave", "")
    payload = events.message_payload(message)
    assert payload["sticker"] == "wave" and payload["kind"] == "sticker"
    html = events.render_message_html(message)
    assert 'class="message-sticker"' in html and 'alt="Waving hand"' in html and "message-bubble" not in html
    assert_refused("unknown_sticker", services.send_message, sender=alice, thread=direct, body="", sticker="nope")
    assert_refused("bad_request", services.send_message, sender=alice, thread=direct, body="hi", sticker="wave")


# --- Catching up after a reconnect --------------------------------------------------------------


def test_changes_after_brings_every_change_to_messages_the_tab_holds(direct, alice, bob):
    first, second, third = say(alice, direct, "one"), say(alice, direct, "two"), say(bob, direct, "three")
    direct.refresh_from_db()
    cursor = direct.last_change
    services.edit_message(user=alice, thread=direct, seq=first.seq, body="one, edited")
    services.unsend_message(user=alice, thread=direct, seq=second.seq)
    services.react(user=alice, thread=direct, seq=third.seq, emoji="❤️")
    services.hide_message(user=bob, thread=direct, seq=third.seq)
    changed, hides, new_cursor, more = services.changes_after(user=alice, thread=direct, after_change=cursor, up_to_seq=3)
    assert [(m.seq, m.body, m.is_unsent) for m in changed] == [(1, "one, edited", False), (2, "", True), (3, "three", False)]
    assert changed[2].reaction_summary == [{"emoji": "❤️", "count": 1, "users": ["alice"]}]
    assert hides == [] and not more
    direct.refresh_from_db()
    assert new_cursor == direct.last_change
    # bob hid the third: his tabs learn it; alice's change of it is his to drop, not to show
    changed, hides, _cursor, _more = services.changes_after(user=bob, thread=direct, after_change=cursor, up_to_seq=3)
    assert [m.seq for m in changed if not m.hidden] == [1, 2] and hides == [(third.pk, 3)]
    assert services.changes_after(user=alice, thread=direct, after_change=new_cursor, up_to_seq=3) == ([], [], new_cursor, False)
    assert_refused("not_found", services.changes_after, user=alice, thread=direct.pk + 100, after_change=0, up_to_seq=3)


@pytest.mark.parametrize("count", [3, 40])
def test_the_page_and_sync_cost_the_same_with_reactions_replies_and_forwards(
    direct, make_thread, alice, bob, carol, count, django_assert_num_queries
):
    elsewhere = make_thread(alice, carol)
    for n in range(count):
        message = say(bob, direct, f"line {n}", reply_to=n if n else None)
        services.react(user=alice, thread=direct, seq=message.seq, emoji="❤️")
        services.forward_message(user=alice, thread=direct, seq=message.seq, to=[elsewhere.pk])
    say(alice, direct, "", attachment_ids=[upload(alice).pk], reply_to=1)
    direct.refresh_from_db()
    # messages with senders, quotes; their files; the quotes' files; reactions with users
    with django_assert_num_queries(4):
        page = services.messages_page(thread=direct, viewer=alice)
        html = [events.render_message_html(message) for message in page]
    assert sum("message-quote" in chunk for chunk in html) == count
    with django_assert_num_queries(4):
        missed = services.messages_after(user=alice, thread=direct, after_seq=0)
        [events.message_payload(message) for message in missed]
    # the counter; the changed messages with their extras (4); alice's hides
    with django_assert_num_queries(6):
        changed, _hides, _cursor, _more = services.changes_after(user=alice, thread=direct, after_change=0, up_to_seq=direct.last_seq)
        [events.updated_frame(message) for message in changed]
    assert len(changed) == count
