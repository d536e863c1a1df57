"""The inbox rules in inbox/services.py and the frames built by inbox/events.py."""

import asyncio
import json
import time
from datetime import datetime

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections, transaction
from django.core.paginator import Paginator

from accounts.models import Profile, User
from inbox import events, services
from inbox.models import Message, Participant, Thread
from inbox.services import Refused

pytestmark = pytest.mark.django_db

# A django_db test runs inside a transaction, so every atomic() in a service adds SAVEPOINT + RELEASE.
SAVEPOINT = 2


def refused(code):
    """pytest.raises for a Refused with this code."""

    class Expect:
        def __enter__(self):
            self.context = pytest.raises(Refused)
            self.info = self.context.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.context.__exit__(*exc)
            assert self.info.value.code == code, (self.info.value.code, self.info.value.detail)
            return handled

    return Expect()


def send(sender, thread, body="hello", **kwargs):
    return services.send_message(sender=sender, thread=thread, body=body, **kwargs)[0]


def send_many(sender, thread, count):
    for n in range(1, count + 1):
        send(sender, thread, f"m{n}")


def member(thread, user):
    return Participant.objects.select_related("thread").get(thread=thread, user=user)


def frames_of(pushes, frame_type):
    return [(group, frame) for group, frame in pushes if frame["type"] == frame_type]


# --- Access ---------------------------------------------------------------------------------


def test_participant_gets_their_thread(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    assert services.get_thread_for(bob, thread.pk) == thread
    assert services.get_thread_for(alice, str(thread.pk)) == thread


def test_outsider_is_refused_exactly_like_a_missing_thread(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob)
    with refused("not_found") as outsider:
        services.get_thread_for(carol, thread.pk)
    with refused("not_found") as missing:
        services.get_thread_for(carol, thread.pk + 1000)
    assert outsider.value.detail == missing.value.detail


@pytest.mark.parametrize("bad_id", ["abc", "", None, True, -1, 0, 2**70, 1.5, [1]])
def test_malformed_thread_ids_are_not_found(make_thread, alice, bob, bad_id):
    make_thread(alice, bob)
    with refused("not_found"):
        services.get_thread_for(alice, bad_id)


def test_anonymous_visitor_gets_no_thread(make_thread, alice, bob):
    from django.contrib.auth.models import AnonymousUser

    thread = make_thread(alice, bob)
    with refused("not_found"):
        services.get_thread_for(AnonymousUser(), thread.pk)
    assert services.unread_total(AnonymousUser()) == 0


# --- Starting conversations -----------------------------------------------------------------


def test_one_recipient_starts_a_direct_thread_for_the_pair(alice, bob):
    thread, created = services.start_thread(creator=alice, recipients=[bob])
    assert created
    assert thread.kind == Thread.Kind.DIRECT
    assert thread.direct_key == f"{min(alice.pk, bob.pk)}:{max(alice.pk, bob.pk)}"
    assert set(thread.participants.values_list("user__username", flat=True)) == {"alice", "bob"}
    assert thread.last_seq == 0  # a 1:1 starts empty: no system line


def test_starting_the_same_pair_again_reuses_the_thread_from_either_side(alice, bob, django_assert_num_queries):
    thread, _ = services.start_thread(creator=alice, recipients=[bob])
    # one lookup by direct_key
    with django_assert_num_queries(1):
        again, created = services.start_thread(creator=bob, recipients=[alice])
    assert (again, created) == (thread, False)
    assert Thread.objects.count() == 1


def test_duplicates_and_the_creator_are_dropped_from_recipients(alice, bob):
    thread, _ = services.start_thread(creator=alice, recipients=[bob, alice, bob])
    assert thread.kind == Thread.Kind.DIRECT
    with refused("bad_request"):
        services.start_thread(creator=alice, recipients=[alice])
    with refused("bad_request"):
        services.start_thread(creator=alice, recipients=[])


def test_two_recipients_start_a_group_with_a_system_line(alice, bob, carol):
    thread, created = services.start_thread(creator=alice, recipients=[bob, carol], name="  Weekend   trip ")
    assert created and thread.kind == Thread.Kind.GROUP
    assert thread.name == "Weekend trip"
    assert thread.creator == alice
    line = Message.objects.get(thread=thread)
    assert (line.kind, line.sender, line.seq, line.body) == ("system", None, 1, "alice created the group “Weekend trip”")
    assert thread.last_message == line and thread.last_seq == 1
    assert member(thread, alice).unread_count == 0
    assert member(thread, bob).unread_count == 1


def test_each_group_is_new_even_with_the_same_people(alice, bob, carol):
    first, _ = services.start_thread(creator=alice, recipients=[bob, carol])
    second, created = services.start_thread(creator=alice, recipients=[bob, carol])
    assert created and first != second
    assert Message.objects.get(thread=first).body == "alice created the group"


def test_a_group_holds_at_most_64_people(alice):
    people = User.objects.bulk_create([User(username=f"person{n}") for n in range(64)])
    thread, _ = services.start_thread(creator=alice, recipients=people[:63])
    assert thread.participants.count() == 64
    with refused("too_many_people"):
        services.start_thread(creator=alice, recipients=people)
    assert Thread.objects.count() == 1


def test_a_group_name_over_80_characters_is_refused(alice, bob, carol):
    with refused("too_long"):
        services.start_thread(creator=alice, recipients=[bob, carol], name="x" * 81)
    assert not Thread.objects.exists()


def test_deactivated_people_cannot_be_written_to(alice, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    with refused("unknown_user"):
        services.start_thread(creator=alice, recipients=[bob])


def test_recipients_are_read_from_commas_spaces_and_at_signs(alice, bob, carol, dave):
    assert services.resolve_recipients(creator=alice, text="bob, @carol  dave;bob") == [bob, carol, dave]


def test_recipient_names_match_case_insensitively_and_the_creator_is_ignored(alice, bob):
    assert services.resolve_recipients(creator=alice, text="BOB alice") == [bob]


def test_unknown_recipients_are_all_named_in_one_refusal(alice, bob):
    with refused("unknown_user") as refusal:
        services.resolve_recipients(creator=alice, text="bob nobody ghost")
    assert "@nobody" in refusal.value.detail and "@ghost" in refusal.value.detail


def test_writing_only_to_yourself_or_to_no_one_is_refused(alice):
    with refused("not_allowed"):
        services.resolve_recipients(creator=alice, text="alice")
    with refused("bad_request"):
        services.resolve_recipients(creator=alice, text=" , ")


def test_deactivated_recipients_are_unknown(alice, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    with refused("unknown_user"):
        services.resolve_recipients(creator=alice, text="bob")


# --- Sending --------------------------------------------------------------------------------


def test_messages_get_contiguous_seqs_and_move_the_thread(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    first = send(alice, thread, "one")
    second = send(bob, thread, "two")
    third = send(alice, thread.pk, "three")
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    thread.refresh_from_db()
    assert thread.last_seq == 3
    assert thread.last_message == third
    assert thread.last_message_at == third.created
    assert third.created >= second.created >= first.created


def test_sending_marks_the_thread_read_for_the_sender_and_unread_for_the_others(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol)  # seq 1: the system line
    send(bob, thread)
    send(alice, thread)
    assert member(thread, alice).last_read_seq == 3
    assert member(thread, bob).unread_count == 1
    assert member(thread, carol).unread_count == 3  # the system line counts too


def test_body_is_trimmed_and_kept_exactly_otherwise(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    body = "  Ça va ? 👋🏽\n\n  second line\t "
    assert send(alice, thread, body).body == "Ça va ? 👋🏽\n\n  second line"


@pytest.mark.parametrize("body", ["", "   ", "\n\t \u00a0\u2003"])
def test_empty_or_whitespace_bodies_are_refused_and_nothing_is_stored(make_thread, alice, bob, body):
    thread = make_thread(alice, bob)
    with refused("empty_body"):
        send(alice, thread, body)
    assert not Message.objects.exists()


def test_body_limit_is_5000_characters_after_trimming(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    assert len(send(alice, thread, "  " + "é" * 5000 + "\n").body) == 5000
    with refused("too_long"):
        send(alice, thread, "a" * 5001)
    assert Message.objects.count() == 1


def test_a_body_that_is_not_text_is_a_bad_request(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    with refused("bad_request"):
        send(alice, thread, 42)


def test_outsider_cannot_send_and_nothing_changes(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob)
    with refused("not_found"):
        send(carol, thread)
    thread.refresh_from_db()
    assert thread.last_seq == 0 and not Message.objects.exists()


def test_resending_a_client_id_creates_nothing_and_tells_no_one(make_thread, alice, bob, pushes,
                                                                 django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    original, created = services.send_message(sender=alice, thread=thread, body="hi", client_id="c-1")
    assert created
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, created = services.send_message(sender=alice, thread=thread, body="hi, edited?", client_id="c-1")
    assert (again, created) == (original, False)
    assert again.body == "hi"
    assert callbacks == [] and pushes == []
    thread.refresh_from_db()
    assert thread.last_seq == 1 and Message.objects.count() == 1


def test_client_ids_are_per_sender(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    send(alice, thread, client_id="same")
    assert services.send_message(sender=bob, thread=thread, body="x", client_id="same")[1]


def test_a_client_id_reused_in_another_conversation_is_refused(make_thread, alice, bob, carol):
    send(alice, make_thread(alice, bob), client_id="c-1")
    with refused("bad_request"):
        send(alice, make_thread(alice, carol), client_id="c-1")


def test_client_ids_are_at_most_64_characters(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    assert send(alice, thread, client_id="x" * 64).client_id == "x" * 64
    with refused("bad_request"):
        send(alice, thread, client_id="y" * 65)
    with refused("bad_request"):
        send(alice, thread, client_id=12)
    assert Message.objects.count() == 1


def test_an_empty_client_id_counts_as_none(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    assert send(alice, thread, client_id="").client_id is None
    assert send(alice, thread, client_id="").seq == 2


def test_a_new_message_brings_the_thread_back_from_the_archive(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    services.set_archived(user=bob, thread=thread, archived=True)
    services.set_archived(user=alice, thread=thread, archived=True)
    send(alice, thread)
    assert not member(thread, bob).archived
    assert not member(thread, alice).archived


def test_archived_and_muted_stays_archived_unless_you_write_yourself(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    services.set_archived(user=bob, thread=thread, archived=True)
    services.set_muted(user=bob, thread=thread, muted=True)
    send(alice, thread)
    assert member(thread, bob).archived
    send(bob, thread)
    assert not member(thread, bob).archived


def test_sending_costs_the_same_queries_however_long_the_history(make_thread, alice, bob, carol, no_rate_limit,
                                                                 django_assert_num_queries,
                                                                 django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    for other in range(10):
        make_thread(alice, User.objects.create(username=f"friend{other}"))
    for n in range(30):
        send(alice if n % 2 else bob, thread, f"message {n}")
    # savepoint; take seq under the thread lock (UPDATE ... RETURNING); the 1:1's route (both
    # members' states, the recipient's policy, follow and block: inbox.social.check_direct_send);
    # read mark + unarchive; insert the message; move the thread's last message; release
    with django_capture_on_commit_callbacks() as callbacks:
        with django_assert_num_queries(5 + SAVEPOINT):
            services.send_message(sender=alice, thread=thread, body="one more", client_id="q-1")
    # the push: the members with read marks, badge totals and profiles, in one statement
    with django_assert_num_queries(1):
        callbacks[0]()


def test_the_push_waits_for_the_commit(make_thread, alice, bob, pushes, django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = send(alice, thread, "hi")
        assert pushes == []
    # the push, then inbox.signals.message_sent for the apps above the inbox
    assert len(callbacks) == 2
    callbacks[0]()
    new = frames_of(pushes, "message.new")
    assert sorted(group for group, _ in new) == sorted([f"user.{alice.pk}", f"user.{bob.pk}"])
    assert new[0][1]["message"]["id"] == message.pk
    # unread.update goes to the recipients only, after the message itself
    assert frames_of(pushes, "unread.update") == [
        (f"user.{bob.pk}", {"type": "unread.update", "thread": thread.pk, "unread": 1, "total": 1})
    ]
    assert pushes.index(frames_of(pushes, "unread.update")[0]) > pushes.index(new[-1])


@pytest.fixture
def committed_pair(transactional_db, make_thread, alice, bob):
    return make_thread(alice, bob)


@pytest.mark.django_db(transaction=True)
async def test_the_message_row_is_committed_when_its_push_arrives(committed_pair, alice, bob):
    """A listener on bob's group checks, from another connection, that the row exists when the event lands.

    The send runs inside a transaction held open a moment longer: a push sent before the commit
    would arrive while the row is still invisible to everyone else.
    """
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(f"user.{bob.pk}", channel)

    def send_in_a_lingering_transaction():
        with transaction.atomic():
            message, _created = services.send_message(sender=alice, thread=committed_pair, body="committed?")
            time.sleep(0.2)
        return message.pk

    def visible_elsewhere(pk):
        try:
            return Message.objects.filter(pk=pk).exists()
        finally:
            connections.close_all()

    sending = asyncio.ensure_future(database_sync_to_async(send_in_a_lingering_transaction)())
    event = await asyncio.wait_for(layer.receive(channel), 10)
    frame = json.loads(event["texts"][0])
    assert (event["type"], frame["type"]) == ("frames", "message.new")
    message_id = frame["message"]["id"]
    assert await sync_to_async(visible_elsewhere, thread_sensitive=False)(message_id)
    assert await sending == message_id


def test_unread_update_totals_count_each_recipients_own_conversations(make_thread, alice, bob, carol, dave, pushes,
                                                                      django_capture_on_commit_callbacks):
    group = make_thread(alice, bob, carol)
    send(dave, make_thread(dave, bob), "earlier")  # bob has one more unread conversation
    muted = make_thread(carol, dave)
    send(dave, muted)
    services.set_muted(user=carol, thread=muted, muted=True)  # carol's muted one does not count
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, group, "news")
    updates = {group_name: frame for group_name, frame in frames_of(pushes, "unread.update")}
    assert updates == {
        f"user.{bob.pk}": {"type": "unread.update", "thread": group.pk, "unread": 2, "total": 2},
        f"user.{carol.pk}": {"type": "unread.update", "thread": group.pk, "unread": 2, "total": 1},
    }


def test_badge_totals_in_pushes_agree_with_unread_total(make_thread, alice, bob, carol, dave, make_user, pushes,
                                                        django_capture_on_commit_callbacks):
    """member_states spells the badge rule in SQL for speed; it must say what unread_total says."""
    erin = make_user("erin")
    others = [make_thread(bob, alice), make_thread(carol, alice), make_thread(dave, alice), make_thread(erin, alice)]
    for thread in others:
        send(thread.creator, thread)
    services.set_archived(user=alice, thread=others[0], archived=True)
    services.set_muted(user=alice, thread=others[1], muted=True)
    services.mark_read(user=alice, thread=others[2])
    services.mark_unread(user=alice, thread=others[2])
    group = make_thread(bob, alice, carol)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(bob, group, "count me")
    totals = {group_name: frame["total"] for group_name, frame in frames_of(pushes, "unread.update")}
    assert totals == {
        f"user.{alice.pk}": services.unread_total(alice),
        f"user.{carol.pk}": services.unread_total(carol),
    }
    assert services.unread_total(alice) == 3  # erin's, dave's marked unread one, and the group


def test_pushes_draw_the_sender_with_their_current_profile(make_thread, alice, bob, pushes,
                                                           django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    assert alice.display_name == "Alice Martin"  # the profile is now cached on this object, as on a socket's user
    Profile.objects.filter(user=alice).update(display_name="Alice M. Okafor")
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, thread, "new name")
    html = frames_of(pushes, "message.new")[0][1]["html"]
    assert "Alice M. Okafor" in html


def test_rate_limit_refuses_without_touching_the_database(make_thread, alice, bob, settings,
                                                          django_assert_num_queries):
    settings.SEND_RATE_PER_MINUTE = 3
    thread = make_thread(alice, bob)
    for n in range(3):
        send(alice, thread, f"{n}")
    with django_assert_num_queries(0):
        with refused("rate_limited"):
            send(alice, thread, "too many")
    # bob has a budget of his own
    send(bob, thread, "fine")
    assert Message.objects.count() == 4


def test_a_rate_of_zero_turns_the_limit_off(make_thread, alice, bob, settings):
    settings.SEND_RATE_PER_MINUTE = 0
    thread = make_thread(alice, bob)
    send_many(alice, thread, 150)
    assert Message.objects.count() == 150


# --- Payloads and HTML ----------------------------------------------------------------------


def test_message_payload_is_the_contract_object_in_json_types(make_thread, alice, bob):
    message = send(alice, make_thread(alice, bob), "hi <b>bob</b>", client_id="c-9")
    payload = events.message_payload(message)
    assert payload == {
        "id": message.pk,
        "seq": 1,
        "sender": "alice",
        "body": "hi <b>bob</b>",
        "created": message.created.isoformat(),
        "client_id": "c-9",
        "attachments": [],  # always present; tests/inbox/test_attachments.py covers files
        "card": None,  # tests/inbox/test_cards.py covers cards
        # tests/inbox/test_message_actions.py covers these
        "kind": "text", "sticker": None, "reply_to": None, "edited": None, "reactions": [],
        "unsent": False, "removed": False, "forwarded": False,
    }
    assert datetime.fromisoformat(payload["created"]) == message.created
    assert json.loads(json.dumps(payload)) == payload


def test_system_lines_have_no_sender_in_the_payload(alice, bob, carol):
    thread, _ = services.start_thread(creator=alice, recipients=[bob, carol])
    payload = events.message_payload(Message.objects.get(thread=thread))
    assert payload["sender"] is None and payload["client_id"] is None


def test_every_pushed_frame_survives_json(make_thread, alice, bob, carol, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(alice, bob, carol)
        send(alice, thread, "hello")
        services.mark_read(user=bob, thread=thread)
        services.note_typing(user=bob, thread=thread)
        services.mark_unread(user=bob, thread=thread)
        services.remove_participant(user=alice, thread=thread, member=carol)
    kinds = {frame["type"] for _, frame in pushes}
    assert kinds == {"message.new", "unread.update", "read", "typing", "thread.removed"}
    for _group, frame in pushes:
        assert json.loads(json.dumps(frame)) == frame


def test_message_html_is_the_shared_partial_with_the_body_escaped(make_thread, alice, bob):
    message = send(alice, make_thread(alice, bob), "<script>alert(1)</script>\nline two")
    html = events.render_message_html(message)
    assert f'id="message-{message.pk}"' in html
    assert 'data-sender="alice"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- Reading pages of a conversation --------------------------------------------------------


def test_a_conversation_page_is_the_latest_50_oldest_first(make_thread, alice, bob, no_rate_limit):
    thread = make_thread(alice, bob)
    send_many(alice, thread, 60)
    page = services.messages_page(thread=thread)
    assert [m.seq for m in page] == list(range(11, 61))
    older = services.messages_page(thread=thread, before_seq=page[0].seq)
    assert [m.seq for m in older] == list(range(1, 11))
    assert services.messages_page(thread=thread, before_seq=1) == []


def test_a_conversation_page_is_two_queries_however_long_the_history(make_thread, alice, bob, no_rate_limit,
                                                                     django_assert_num_queries):
    thread = make_thread(alice, bob)
    send_many(alice, thread, 120)
    # messages with sender and profile, by the (thread, seq) index; then all their attachments (one
    # query for the page, however many files); all their reactions
    with django_assert_num_queries(3):
        page = services.messages_page(thread=thread, before_seq=100)
        for message in page:
            events.render_message_html(message)
    assert len(page) == 50


def test_a_bad_before_seq_is_a_bad_request(make_thread, alice, bob):
    with refused("bad_request"):
        services.messages_page(thread=make_thread(alice, bob), before_seq="abc")


def test_messages_after_gives_what_was_missed_at_most_200(make_thread, alice, bob, no_rate_limit,
                                                          django_assert_num_queries):
    thread = make_thread(alice, bob)
    send_many(bob, thread, 250)
    # the messages, joined to the reader's membership; then all their attachments; their reactions
    with django_assert_num_queries(3):
        missed = services.messages_after(user=alice, thread=thread.pk, after_seq=20)
    assert [m.seq for m in missed] == list(range(21, 221))
    assert [m.seq for m in services.messages_after(user=alice, thread=thread, after_seq=220)] == list(range(221, 251))
    # caught up: a second query tells "nothing new" from "not yours"
    with django_assert_num_queries(2):
        assert services.messages_after(user=alice, thread=thread, after_seq=250) == []


def test_messages_after_refuses_outsiders(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob)
    send(alice, thread)
    with refused("not_found"):
        services.messages_after(user=carol, thread=thread, after_seq=0)


# --- The inbox ------------------------------------------------------------------------------


def test_inbox_lists_my_threads_newest_activity_first(make_thread, alice, bob, carol, dave):
    with_bob = make_thread(alice, bob)
    with_carol = make_thread(alice, carol)
    make_thread(bob, carol)  # not alice's
    send(carol, with_carol)
    send(bob, with_bob)
    assert [row.thread for row in services.inbox_page(user=alice)] == [with_bob, with_carol]


def test_inbox_boxes_split_archived_and_unread(make_thread, alice, bob, carol, dave):
    read = make_thread(alice, bob)
    unread = make_thread(alice, carol)
    archived = make_thread(alice, dave)
    send(alice, read)
    send(carol, unread)
    services.set_archived(user=alice, thread=archived, archived=True)

    def box(name):
        return {row.thread for row in services.inbox_page(user=alice, box=name)}

    assert box("all") == {read, unread}
    assert box("unread") == {unread}
    assert box("archived") == {archived}
    services.mark_unread(user=alice, thread=read)
    assert box("unread") == {read, unread}
    with refused("bad_request"):
        services.inbox_page(user=alice, box="spam")


def test_inbox_queries_do_not_grow_with_the_number_of_threads(make_thread, make_user, alice, carol, no_rate_limit,
                                                             django_assert_num_queries):
    def render_rows():
        page = Paginator(services.inbox_page(user=alice), 25).page(1)
        for row in page:
            row.thread.last_message and row.thread.last_message.sender and row.thread.last_message.sender.display_name
            [(other.user.username, other.user.display_name, other.user.profile.avatar) for other in row.others]
            row.unread_count
        return len(page)

    first = make_thread(alice, carol)
    send(carol, first)
    # count; rows with thread, last message, sender and profile; members with users and profiles
    with django_assert_num_queries(3):
        assert render_rows() == 1
    for n in range(9):
        friend = make_user(f"friend{n}")
        group = make_thread(alice, friend, carol)
        send(friend, group, f"hi {n}")
    with django_assert_num_queries(3):
        assert render_rows() == 10


def test_inbox_rows_know_the_other_people(make_thread, alice, bob, carol):
    make_thread(alice, bob, carol)
    row = services.inbox_page(user=alice)[0]
    assert [other.user.username for other in row.others] == ["bob", "carol"]


def test_unread_total_counts_conversations_not_muted_or_archived(make_thread, alice, bob, carol, dave,
                                                                django_assert_num_queries):
    one = make_thread(bob, alice)
    send(bob, one)
    send(bob, one)
    two = make_thread(carol, alice)
    send(carol, two)
    muted = make_thread(dave, alice)
    send(dave, muted)
    services.set_muted(user=alice, thread=muted, muted=True)
    with django_assert_num_queries(1):
        assert services.unread_total(alice) == 2
    services.set_archived(user=alice, thread=two, archived=True)
    assert services.unread_total(alice) == 1
    services.mark_read(user=alice, thread=one)
    assert services.unread_total(alice) == 0
    services.mark_unread(user=alice, thread=one)
    assert services.unread_total(alice) == 1


# --- Read marks and per-person state --------------------------------------------------------


def test_mark_read_moves_forward_only_and_stops_at_the_newest(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    for n in range(5):
        send(bob, thread, f"{n}")
    assert services.mark_read(user=alice, thread=thread, seq=3) == 3
    assert services.mark_read(user=alice, thread=thread, seq=1) == 3
    assert services.mark_read(user=alice, thread=thread, seq=99) == 5
    assert member(thread, alice).unread_count == 0


def test_mark_read_tells_everyone_and_the_readers_tabs(make_thread, alice, bob, pushes,
                                                       django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    send(bob, thread)
    send(bob, thread)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(user=alice, thread=thread)
    read = {"type": "read", "thread": thread.pk, "user": "alice", "seq": 2}
    assert sorted(frames_of(pushes, "read")) == sorted([(f"user.{alice.pk}", read), (f"user.{bob.pk}", read)])
    assert pushes[-1] == (f"user.{alice.pk}", {"type": "unread.update", "thread": thread.pk, "unread": 0, "total": 0})
    assert len(pushes) == 3


def test_mark_read_with_nothing_new_is_one_query_and_silent(make_thread, alice, bob, pushes,
                                                            django_assert_num_queries,
                                                            django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    send(alice, thread)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with django_assert_num_queries(1):
            assert services.mark_read(user=alice, thread=thread) == 1
    assert pushes == []


def test_mark_read_is_three_queries_with_its_push(make_thread, alice, bob, django_assert_num_queries,
                                                  django_capture_on_commit_callbacks, pushes):
    thread = make_thread(alice, bob)
    send(bob, thread)
    # members with marks; savepoint, update, release; then the reader's count and badge total
    with django_assert_num_queries(3 + SAVEPOINT):
        with django_capture_on_commit_callbacks(execute=True):
            services.mark_read(user=alice, thread=thread)


def test_reading_clears_marked_unread(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    send(alice, thread)
    services.mark_unread(user=alice, thread=thread)
    assert member(thread, alice).unread_count == 1
    services.mark_read(user=alice, thread=thread)
    assert member(thread, alice).marked_unread is False
    assert member(thread, alice).unread_count == 0


@pytest.mark.parametrize("seq", [-1, "x", 1.5, True])
def test_mark_read_refuses_a_bad_seq(make_thread, alice, bob, seq):
    with refused("bad_request"):
        services.mark_read(user=alice, thread=make_thread(alice, bob), seq=seq)


def test_outsiders_cannot_touch_anyones_state(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob)
    send(alice, thread)
    for action in (
        lambda: services.mark_read(user=carol, thread=thread),
        lambda: services.mark_unread(user=carol, thread=thread),
        lambda: services.set_archived(user=carol, thread=thread, archived=True),
        lambda: services.set_muted(user=carol, thread=thread, muted=True),
        lambda: services.note_typing(user=carol, thread=thread),
        lambda: services.rename_group(user=carol, thread=thread, name="mine"),
        lambda: services.add_participants(user=carol, thread=thread, users=[carol]),
        lambda: services.leave_thread(user=carol, thread=thread),
    ):
        with refused("not_found"):
            action()
    assert not Participant.objects.filter(user=carol).exists()


def test_archive_mute_and_mark_unread_are_my_own_and_reach_my_tabs(make_thread, alice, bob, pushes,
                                                                   django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    send(bob, thread)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.set_archived(user=alice, thread=thread, archived=True)
        services.set_muted(user=alice, thread=thread, muted=True)
        services.mark_unread(user=alice, thread=thread)
    mine = member(thread, alice)
    assert (mine.archived, mine.muted, mine.marked_unread) == (True, True, True)
    theirs = member(thread, bob)
    assert (theirs.archived, theirs.muted, theirs.marked_unread) == (False, False, False)
    assert [group for group, _ in pushes] == [f"user.{alice.pk}"] * 3
    assert [frame["total"] for _, frame in pushes] == [0, 0, 0]


def test_typing_reaches_the_others_once_per_two_seconds(make_thread, alice, bob, carol, pushes):
    thread = make_thread(alice, bob, carol)
    assert services.note_typing(user=alice, thread=thread) is True
    assert services.note_typing(user=alice, thread=thread) is False
    assert pushes == [
        (f"user.{bob.pk}", {"type": "typing", "thread": thread.pk, "user": "alice", "name": "Alice Martin"}),
        (f"user.{carol.pk}", {"type": "typing", "thread": thread.pk, "user": "alice", "name": "Alice Martin"}),
    ]
    assert services.note_typing(user=bob, thread=thread) is True


def test_typing_costs_one_query(make_thread, alice, bob, pushes, django_assert_num_queries):
    thread = make_thread(alice, bob)
    # members with the typist's display name
    with django_assert_num_queries(1):
        services.note_typing(user=alice, thread=thread)


# --- Groups ---------------------------------------------------------------------------------


def test_any_member_renames_a_group_with_a_system_line(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol)
    services.rename_group(user=bob, thread=thread, name="Book club")
    thread.refresh_from_db()
    assert thread.name == "Book club"
    assert thread.last_message.body == "bob named the group “Book club”"
    services.rename_group(user=carol, thread=thread, name="")
    thread.refresh_from_db()
    assert thread.name == "" and thread.last_message.body == "carol removed the group name"


def test_renaming_to_the_same_name_changes_nothing(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol, name="Club")
    services.rename_group(user=bob, thread=thread, name=" Club ")
    thread.refresh_from_db()
    assert thread.last_seq == 1 and Message.objects.filter(thread=thread).count() == 1


def test_a_direct_thread_cannot_be_renamed_grown_or_left(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob)
    with refused("not_allowed"):
        services.rename_group(user=alice, thread=thread, name="Us")
    with refused("not_allowed"):
        services.add_participants(user=alice, thread=thread, users=[carol])
    with refused("not_allowed"):
        services.leave_thread(user=alice, thread=thread)
    with refused("not_allowed"):
        services.remove_participant(user=alice, thread=thread, member=bob)
    thread.refresh_from_db()
    assert thread.last_seq == 0 and thread.participants.count() == 2


def test_any_member_adds_people_who_then_see_one_unread_line(make_thread, alice, bob, carol, dave):
    thread = make_thread(alice, bob, carol)
    send(alice, thread, "before dave")
    added = services.add_participants(user=bob, thread=thread, users=[dave, carol])
    assert added == [dave]
    thread.refresh_from_db()
    assert thread.last_message.body == "bob added dave"
    assert member(thread, dave).unread_count == 1
    assert services.get_thread_for(dave, thread.pk) == thread
    assert [m.body for m in services.messages_page(thread=thread)][-2:] == ["before dave", "bob added dave"]


def test_adding_several_people_names_them_all(make_thread, alice, bob, carol, dave, make_user):
    erin = make_user("erin")
    thread = make_thread(alice, bob, carol)
    services.add_participants(user=alice, thread=thread, users=[dave, erin])
    thread.refresh_from_db()
    assert thread.last_message.body == "alice added dave and erin"


def test_adding_only_current_members_is_refused(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol)
    with refused("bad_request"):
        services.add_participants(user=alice, thread=thread, users=[bob])
    thread.refresh_from_db()
    assert thread.last_seq == 1


def test_a_group_cannot_grow_past_64(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol)
    people = User.objects.bulk_create([User(username=f"p{n}") for n in range(62)])
    services.add_participants(user=alice, thread=thread, users=people[:61])
    assert thread.participants.count() == 64
    with refused("too_many_people"):
        services.add_participants(user=alice, thread=thread, users=people[61:])
    assert thread.participants.count() == 64


def test_the_creator_removes_a_member_who_becomes_an_outsider(make_thread, alice, bob, carol, pushes,
                                                              django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob, carol)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_participant(user=alice, thread=thread, member=carol)
    thread.refresh_from_db()
    assert thread.last_message.body == "alice removed carol"
    assert not Participant.objects.filter(thread=thread, user=carol).exists()
    # the line goes to the remaining members; carol hears only that she is out
    new = {group for group, _ in frames_of(pushes, "message.new")}
    assert new == {f"user.{alice.pk}", f"user.{bob.pk}"}
    assert (f"user.{carol.pk}", {"type": "thread.removed", "thread": thread.pk}) in pushes
    assert [frame for group, frame in pushes if group == f"user.{carol.pk}"] == [
        {"type": "thread.removed", "thread": thread.pk},
        {"type": "unread.update", "thread": thread.pk, "unread": 0, "total": 0},
    ]
    with refused("not_found"):
        services.get_thread_for(carol, thread.pk)
    with refused("not_found"):
        send(carol, thread, "let me back in")
    with refused("not_found"):
        services.messages_after(user=carol, thread=thread, after_seq=0)


def test_only_the_creator_removes_people(make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol)
    with refused("not_allowed"):
        services.remove_participant(user=bob, thread=thread, member=carol)
    with refused("not_allowed"):
        services.remove_participant(user=alice, thread=thread, member=alice)
    assert thread.participants.count() == 3


def test_removing_someone_not_in_the_group_is_not_found(make_thread, alice, bob, carol, dave):
    thread = make_thread(alice, bob, carol)
    with refused("not_found"):
        services.remove_participant(user=alice, thread=thread, member=dave)
    thread.refresh_from_db()
    assert thread.last_seq == 1


def test_leaving_a_group_says_so_and_tells_the_leaver(make_thread, alice, bob, carol, pushes,
                                                      django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob, carol)
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_thread(user=bob, thread=thread)
    thread.refresh_from_db()
    assert thread.last_message.body == "bob left"
    assert thread.creator == alice
    assert set(thread.participants.values_list("user__username", flat=True)) == {"alice", "carol"}
    assert (f"user.{bob.pk}", {"type": "thread.removed", "thread": thread.pk}) in pushes
    assert f"user.{bob.pk}" not in {group for group, _ in frames_of(pushes, "message.new")}


def test_when_the_creator_leaves_the_longest_standing_member_takes_over(make_thread, alice, bob, carol, dave):
    thread = make_thread(alice, bob, carol)
    services.add_participants(user=bob, thread=thread, users=[dave])
    services.leave_thread(user=alice, thread=thread)
    thread.refresh_from_db()
    assert thread.creator in (bob, carol)
    services.remove_participant(user=thread.creator, thread=thread, member=dave)


def test_thread_participants_come_with_profiles_in_one_query(make_thread, alice, bob, carol,
                                                              django_assert_num_queries):
    thread = make_thread(alice, bob, carol)
    with django_assert_num_queries(1):
        members = services.thread_participants(thread=thread)
        assert [m.user.display_name for m in members] == ["Alice Martin", "Bob Okafor", "Carol Diaz"]


def test_a_seq_is_never_reused_even_if_rows_disappear(make_thread, alice, bob):
    """The seq comes from the thread row inside the send transaction, not from counting messages."""
    thread = make_thread(alice, bob)
    send(alice, thread)
    Message.objects.filter(thread=thread).delete()
    assert send(alice, thread).seq == 2
