"""Issue 5 inside the inbox: blocks, "who can message me", message requests, muted people, the
new-conversation limit. Services and pages; the socket side is in test_social_socket.py.

Every bypass of a block or of the policy is refused with the same neutral words, and leaves no
conversation, message or push behind.
"""

import html
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import services as accounts_services
from accounts.models import Block
from inbox import events, services, social
from inbox.models import Message, Participant, Thread

pytestmark = pytest.mark.django_db

CANNOT = "You can't message this person"
# A django_db test runs inside a transaction, so each atomic() in a service adds SAVEPOINT + RELEASE.
SAVEPOINT = 2


def frames_for(pushes, user, frame_type=None):
    return [frame for group, frame in pushes
            if group == f"user.{user.pk}" and (frame_type is None or frame["type"] == frame_type)]


def policy(user, value):
    accounts_services.set_message_policy(user=user, policy=value)


def block(blocker, blocked):
    accounts_services.block(blocker=blocker, blocked=blocked)


def refusal_of(call, **arguments):
    with pytest.raises(services.Refused) as caught:
        call(**arguments)
    return caught.value


def send(sender, thread, body="hello"):
    return services.send_message(sender=sender, thread=thread, body=body)[0]


def state_of(thread, user):
    return Participant.objects.get(thread=thread, user=user).state


def requests_waiting(user):
    return services.inbox_counts(user)["requests"]


def login(client, user):
    client.force_login(user)
    return client


def text(response):
    """The page as a person reads it: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


@pytest.fixture
def erin(make_user):
    return make_user("erin", display_name="Erin Stone")


@pytest.fixture(params=["the recipient blocked the sender", "the sender blocked the recipient"])
def blocked(request, alice, bob):
    """A block between alice (who writes) and bob, in either direction."""
    if request.param.startswith("the recipient"):
        block(bob, alice)
    else:
        block(alice, bob)
    return request.param


# --- Every door a block closes ------------------------------------------------------------------


def test_a_block_either_way_refuses_a_new_conversation_and_creates_nothing(alice, bob, blocked):
    refusal = refusal_of(services.start_thread, creator=alice, recipients=[bob])
    assert (refusal.code, refusal.detail, refusal.http_status) == ("cannot_message", CANNOT, 403)
    assert not Thread.objects.exists()


def test_a_block_refuses_the_new_message_form_with_403_and_saves_nothing(client, alice, bob, blocked):
    response = login(client, alice).post("/inbox/new/", {"recipients": "bob", "body": "Hi there"})
    assert response.status_code == 403
    assert CANNOT in text(response)
    assert not Thread.objects.exists() and not Message.objects.exists()


def test_a_block_freezes_an_old_one_to_one_and_nothing_is_stored_or_pushed(
    make_thread, alice, bob, pushes, django_capture_on_commit_callbacks
):
    thread = make_thread(alice, bob)
    send(alice, thread, "before")
    send(bob, thread, "before too")
    block(bob, alice)
    for sender in (alice, bob):  # frozen both ways
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            refusal = refusal_of(services.send_message, sender=sender, thread=thread, body="after", client_id=f"{sender}-1")
        assert (refusal.code, refusal.detail) == ("cannot_message", CANNOT)
        assert callbacks == []
    assert list(Message.objects.values_list("body", flat=True).order_by("seq")) == ["before", "before too"]
    assert Thread.objects.get(pk=thread.pk).last_seq == 2  # no seq was taken
    assert pushes == []


def test_the_composer_form_of_a_blocked_one_to_one_answers_403_and_keeps_the_text(client, make_thread, alice, bob):
    thread = make_thread(alice, bob)
    block(bob, alice)
    response = login(client, alice).post(f"/inbox/{thread.pk}/", {"body": "Are you there?"})
    assert response.status_code == 403
    assert CANNOT in text(response)
    assert 'class="composer"' not in text(response)  # the page comes back frozen
    assert not Message.objects.exists()


def test_a_block_refuses_a_new_group_with_that_person_and_names_them(alice, bob, carol, blocked):
    refusal = refusal_of(services.start_thread, creator=alice, recipients=[carol, bob], name="Plans")
    assert (refusal.code, refusal.detail) == ("cannot_message", f"{CANNOT}: @bob")
    assert not Thread.objects.exists() and not Message.objects.exists()


def test_the_new_group_form_says_whom_to_take_off_and_saves_nothing(client, alice, bob, carol):
    block(bob, alice)
    response = login(client, alice).post("/inbox/new/", {"recipients": "carol bob", "name": "Plans", "body": "Hi!"})
    assert response.status_code == 403
    assert f"{CANNOT}: @bob" in text(response)
    assert not Thread.objects.exists()


def test_a_block_refuses_adding_that_person_to_a_group(make_thread, alice, bob, carol, dave, blocked, pushes,
                                                      django_capture_on_commit_callbacks):
    group = make_thread(alice, carol, dave)
    with django_capture_on_commit_callbacks(execute=True):
        refusal = refusal_of(services.add_participants, user=alice, thread=group, users=[bob])
    assert (refusal.code, refusal.detail) == ("cannot_message", CANNOT)
    assert not Participant.objects.filter(thread=group, user=bob).exists()
    assert Thread.objects.get(pk=group.pk).last_seq == 1  # only "alice created the group"
    assert pushes == []


def test_adding_someone_who_blocked_the_adder_through_the_page_says_the_neutral_words(client, make_thread, alice, bob,
                                                                                      carol, dave):
    group = make_thread(alice, carol, dave)
    block(bob, alice)
    response = login(client, alice).post(f"/inbox/{group.pk}/add/", {"people": "bob"}, follow=True)
    assert CANNOT in text(response)
    assert not Participant.objects.filter(thread=group, user=bob).exists()


def test_a_group_member_blocked_later_can_still_be_written_to_by_the_group(make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol)
    block(bob, alice)
    # Both stay members, as on the big platforms: the group goes on, bob just does not see alice.
    message = send(alice, group, "Dinner at 8?")
    assert message.seq == 2


def test_a_message_of_files_only_cannot_slip_through_a_block_and_its_files_stay_unsent(
    make_thread, alice, bob, pushes, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from media import services as media_services
    from media.models import Attachment

    thread = make_thread(alice, bob)
    block(bob, alice)
    photo = media_services.store_upload(owner=alice, uploaded_file=SimpleUploadedFile("notes.txt", b"just a file\n"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refusal = refusal_of(services.send_message, sender=alice, thread=thread, body="", attachment_ids=[photo.pk])
    assert (refusal.code, refusal.detail) == ("cannot_message", CANNOT)
    assert not Message.objects.exists() and callbacks == [] and pushes == []
    assert Attachment.objects.get(pk=photo.pk).message_id is None


def test_the_route_is_checked_after_the_thread_lock_so_a_block_committed_just_before_it_counts(
    monkeypatch, make_thread, alice, bob
):
    thread = make_thread(alice, bob)
    locking = services._lock_thread

    def lock_then_block(*args, **kwargs):
        row = locking(*args, **kwargs)
        # A block whose commit the lock waited for: the check after the lock must see it.
        Block.objects.create(blocker=bob, blocked=alice)
        return row

    monkeypatch.setattr(services, "_lock_thread", lock_then_block)
    refusal = refusal_of(services.send_message, sender=alice, thread=thread, body="just in time?")
    assert refusal.code == "cannot_message"
    assert not Message.objects.exists()


def test_a_retry_of_a_message_stored_before_the_block_still_returns_it_and_stores_nothing(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    original, _ = services.send_message(sender=alice, thread=thread, body="sent in time", client_id="c-1")
    block(bob, alice)
    again, created = services.send_message(sender=alice, thread=thread, body="sent in time", client_id="c-1")
    assert (again.pk, created) == (original.pk, False)
    assert Message.objects.count() == 1


def test_unblocking_opens_the_one_to_one_again(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    block(bob, alice)
    accounts_services.unblock(blocker=bob, blocked=alice)
    assert send(alice, thread, "Hello again").seq == 1


# --- "Who can message me" ----------------------------------------------------------------------


def test_only_people_i_follow_refuses_a_strangers_new_conversation_with_the_same_words_as_a_block(alice, bob):
    policy(bob, "followed")
    refusal = refusal_of(services.start_thread, creator=alice, recipients=[bob])
    assert (refusal.code, refusal.detail) == ("cannot_message", CANNOT)
    assert not Thread.objects.exists()


def test_only_people_i_follow_refuses_the_form_with_403(client, alice, bob):
    policy(bob, "followed")
    response = login(client, alice).post("/inbox/new/", {"recipients": "bob", "body": "Hello!"})
    assert response.status_code == 403
    # The same words as a block: nothing tells alice that bob only hears from people he follows.
    assert re.search(rf"{CANNOT}\s*</", text(response))
    assert not Thread.objects.exists()


def test_only_people_i_follow_closes_a_pending_request(make_thread, alice, bob):
    policy(bob, "requests")
    thread = make_thread(alice, bob)
    send(alice, thread, "first")
    policy(bob, "followed")
    refusal = refusal_of(services.send_message, sender=alice, thread=thread, body="second")
    assert (refusal.code, refusal.detail) == ("cannot_message", CANNOT)
    assert Message.objects.count() == 1


def test_only_people_i_follow_refuses_groups_and_adds_with_a_stranger(make_thread, alice, bob, carol, dave):
    policy(bob, "followed")
    assert refusal_of(services.start_thread, creator=alice, recipients=[carol, bob]).detail == f"{CANNOT}: @bob"
    group = make_thread(alice, carol, dave)
    assert refusal_of(services.add_participants, user=alice, thread=group, users=[bob]).code == "cannot_message"
    assert not Participant.objects.filter(user=bob).exists()


def test_only_people_i_follow_lets_in_the_people_i_follow_and_keeps_accepted_conversations(make_thread, alice, bob,
                                                                                          carol):
    accepted = make_thread(carol, bob)
    policy(bob, "followed")
    assert send(carol, accepted, "we already talk").seq == 1
    accounts_services.follow(follower=bob, followed=alice)
    thread, _created = services.start_thread(creator=alice, recipients=[bob])
    assert state_of(thread, bob) == Participant.State.ACCEPTED


# --- Message requests ----------------------------------------------------------------------------


@pytest.fixture
def request_thread(make_thread, alice, bob):
    """alice, whom bob does not follow, writes to bob under the default policy."""
    policy(bob, "requests")
    thread = make_thread(alice, bob)
    send(alice, thread, "Hi Bob, I loved your talk!")
    return thread


def test_a_strangers_message_is_stored_and_waits_in_requests_not_the_inbox(request_thread, alice, bob):
    assert Message.objects.get().body == "Hi Bob, I loved your talk!"
    assert (state_of(request_thread, alice), state_of(request_thread, bob)) == ("accepted", "request")
    assert list(services.inbox_page(user=bob, box="all")) == []
    assert [row.thread_id for row in services.inbox_page(user=bob, box="requests")] == [request_thread.pk]
    assert services.unread_total(bob) == 0
    assert requests_waiting(bob) == 1
    # The writer's side is an ordinary conversation.
    assert [row.thread_id for row in services.inbox_page(user=alice, box="all")] == [request_thread.pk]


def test_followers_and_everyone_land_in_the_inbox_straight_away(make_thread, alice, bob, carol, dave):
    policy(bob, "requests")
    accounts_services.follow(follower=bob, followed=alice)
    assert state_of(make_thread(alice, bob), bob) == "accepted"
    policy(dave, "everyone")
    assert state_of(make_thread(carol, dave), dave) == "accepted"


def test_an_empty_conversation_is_no_request_yet(make_thread, alice, bob):
    policy(bob, "requests")
    make_thread(alice, bob)
    assert requests_waiting(bob) == 0
    assert list(services.inbox_page(user=bob, box="requests")) == []


def test_a_request_pushes_the_message_and_the_requests_count_but_no_unread_badge(
    make_thread, alice, bob, pushes, django_capture_on_commit_callbacks
):
    policy(bob, "requests")
    thread = make_thread(alice, bob)
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, thread, "Hello from a stranger")
    assert [frame["type"] for frame in frames_for(pushes, bob)] == ["message.new", "requests.update"]
    assert frames_for(pushes, bob, "requests.update")[0] == {"type": "requests.update", "count": 1}
    assert [frame["type"] for frame in frames_for(pushes, alice)] == ["message.new"]


def test_reading_a_request_moves_no_read_mark_and_tells_the_writer_nothing(
    client, request_thread, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, bob).get(f"/inbox/{request_thread.pk}/")
        services.mark_read(user=bob, thread=request_thread, seq=1)
    assert response.status_code == 200
    assert Participant.objects.get(thread=request_thread, user=bob).last_read_seq == 0
    assert frames_for(pushes, alice) == []
    client.force_login(alice)
    assert 'data-receipt>Sent<' in client.get(f"/inbox/{request_thread.pk}/").content.decode()


def test_the_request_page_offers_accept_delete_and_block_and_says_why(client, request_thread, alice, bob):
    accounts_services.follow(follower=alice, followed=bob)
    html = text(login(client, bob).get(f"/inbox/{request_thread.pk}/"))
    assert "Follows you" in html
    assert 'class="box-tab is-selected">Requests' in html  # the sidebar shows the requests beside it
    for button in ("Accept", "Delete", "Block"):
        assert re.search(rf'<button[^>]*name="{button.lower()}" value="{request_thread.pk}"[^>]*>{button}', html)


def test_accepting_moves_the_request_to_the_inbox_and_lets_the_receipt_through(
    client, request_thread, alice, bob, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, bob).post("/inbox/requests/", {"accept": request_thread.pk})
    assert response.status_code == 302 and response["Location"] == f"/inbox/{request_thread.pk}/"
    assert state_of(request_thread, bob) == "accepted"
    assert [row.thread_id for row in services.inbox_page(user=bob, box="all")] == [request_thread.pk]
    assert requests_waiting(bob) == 0
    assert frames_for(pushes, alice, "read") == [{"type": "read", "thread": request_thread.pk, "user": "bob", "seq": 1}]
    assert {"type": "requests.update", "count": 0} in frames_for(pushes, bob)
    client.force_login(alice)
    assert 'data-receipt>Seen<' in client.get(f"/inbox/{request_thread.pk}/").content.decode()


def test_replying_to_a_request_accepts_it(request_thread, alice, bob):
    send(bob, request_thread, "Thank you!")
    assert state_of(request_thread, bob) == "accepted"
    assert requests_waiting(bob) == 0


def test_deleting_a_request_hides_it_everywhere_until_a_new_message_brings_it_back(client, request_thread, alice, bob):
    response = login(client, bob).post("/inbox/requests/", {"delete": request_thread.pk})
    assert response.status_code == 302 and response["Location"] == "/inbox/?box=requests"
    assert state_of(request_thread, bob) == "deleted"
    for box in services.INBOX_BOXES:
        assert list(services.inbox_page(user=bob, box=box)) == []
    assert requests_waiting(bob) == 0
    send(alice, request_thread, "Did you see my message?")
    assert state_of(request_thread, bob) == "request"


def test_blocking_from_requests_blocks_the_writer_and_their_next_message_is_refused(client, request_thread, alice, bob):
    response = login(client, bob).post("/inbox/requests/", {"block": request_thread.pk}, follow=True)
    assert "You blocked @alice" in text(response)
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()
    assert state_of(request_thread, bob) == "deleted"
    refusal = refusal_of(services.send_message, sender=alice, thread=request_thread, body="hello??")
    assert (refusal.code, refusal.detail) == ("cannot_message", CANNOT)


def test_blocking_from_the_profile_also_deletes_their_pending_request(client, request_thread, make_thread,
                                                                      alice, bob, carol, pushes,
                                                                      django_capture_on_commit_callbacks):
    group = make_thread(alice, bob, carol, name="Alice's club")  # a request for bob too: carol stays in it
    assert state_of(group, bob) == "request" and requests_waiting(bob) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, bob).post("/u/alice/block/", follow=True)
    assert "You blocked @alice" in text(response)
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()
    assert (state_of(request_thread, bob), state_of(group, bob)) == ("deleted", "request")
    assert requests_waiting(bob) == 1
    # bob's other tabs learn the new count
    assert [frame["count"] for frame in frames_for(pushes, bob, "requests.update")] == [1]


def test_blocking_someone_whose_conversation_is_in_the_inbox_leaves_it_there(client, make_thread, alice, bob):
    thread = make_thread(alice, bob)  # bob takes messages from everyone here: no request
    send(alice, thread, "hi")
    login(client, bob).post("/u/alice/block/")
    assert state_of(thread, bob) == "accepted"
    assert [row.thread_id for row in services.inbox_page(user=bob, box="all")] == [thread.pk]


def test_blocking_with_a_report_also_deletes_their_pending_request(client, request_thread, alice, bob):
    message = Message.objects.get(thread=request_thread)
    response = login(client, bob).post(f"/report/message/{message.pk}/", {"reason": "spam", "details": "", "also_block": "on"})
    assert response.status_code == 302
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()
    assert state_of(request_thread, bob) == "deleted"


def test_a_block_made_anywhere_drops_their_pending_request_and_a_rollback_keeps_it(request_thread, alice, bob):
    """The rule lives with the block itself (accounts' person_blocked signal, in its transaction):
    a block from the admin or a shell cleans Requests too, and one rolled back changes nothing."""
    with pytest.raises(RuntimeError), transaction.atomic():
        accounts_services.block(blocker=bob, blocked=alice)
        assert state_of(request_thread, bob) == "deleted"
        raise RuntimeError("rolled back")
    assert state_of(request_thread, bob) == "request"
    assert not Block.objects.filter(blocker=bob, blocked=alice).exists()

    accounts_services.block(blocker=bob, blocked=alice)
    assert state_of(request_thread, bob) == "deleted"


@pytest.fixture
def spammers(make_user, make_thread, bob):
    """Four strangers who each wrote to bob."""
    policy(bob, "requests")
    people, threads = [], []
    for n in range(4):
        person = make_user(f"spammer{n}", display_name=f"Spammer {n}")
        thread = make_thread(person, bob)
        send(person, thread, f"Buy now {n}")
        people.append(person)
        threads.append(thread)
    return people, threads


def test_bulk_delete_takes_only_the_checked_requests(client, spammers, bob, carol, make_thread):
    people, threads = spammers
    foreign = make_thread(carol, people[0])  # not bob's: a forged id must change nothing
    response = login(client, bob).post(
        "/inbox/requests/", {"action": "delete", "thread": [threads[0].pk, threads[2].pk, foreign.pk, "junk"]}
    )
    assert response.status_code == 302
    assert [state_of(thread, bob) for thread in threads] == ["deleted", "request", "deleted", "request"]
    assert state_of(foreign, carol) == "accepted"
    assert requests_waiting(bob) == 2


def test_bulk_block_blocks_every_checked_writer_and_deletes_their_requests(client, spammers, bob):
    people, threads = spammers
    response = login(client, bob).post("/inbox/requests/", {"action": "block", "thread": [t.pk for t in threads[:3]]},
                                       follow=True)
    assert "You blocked 3 people" in text(response)
    assert set(Block.objects.filter(blocker=bob).values_list("blocked_id", flat=True)) == {p.pk for p in people[:3]}
    assert requests_waiting(bob) == 1
    for person, thread in zip(people[:3], threads[:3]):
        assert refusal_of(services.send_message, sender=person, thread=thread, body="again").code == "cannot_message"


def test_bulk_actions_with_nothing_checked_say_so(client, spammers, bob):
    response = login(client, bob).post("/inbox/requests/", {"action": "delete"}, follow=True)
    assert "Select the requests" in text(response)
    assert requests_waiting(bob) == 4


def test_request_actions_on_a_conversation_that_is_not_yours_are_404(client, request_thread, carol):
    assert login(client, carol).post("/inbox/requests/", {"accept": request_thread.pk}).status_code == 404


def test_the_requests_tab_shows_who_wrote_why_and_a_preview_with_checkboxes(client, request_thread, make_user,
                                                                          make_thread, alice, bob):
    follower = make_user("fan", display_name="Big Fan")
    accounts_services.follow(follower=follower, followed=bob)
    policy(bob, "requests")
    fan_thread = make_thread(follower, bob)
    send(follower, fan_thread, "Huge fan of your work")
    html = text(login(client, bob).get("/inbox/?box=requests"))
    assert 'aria-current="page" class="box-tab is-selected">Requests' in html
    assert html.count('class="thread-row request-row') == 2
    assert "@alice" in html and "No connection" in html and "Hi Bob, I loved your talk!" in html
    assert "@fan" in html and "Huge fan of your work" in html
    fan_row = html.split(f'data-thread-row="{fan_thread.pk}"')[1].split("</li>")[0]
    assert "Follows you" in fan_row
    assert f'<label for="request-{request_thread.pk}" class="visually-hidden">Select the request from Alice Martin</label>' in html
    assert ">Delete selected</button>" in html and ">Block selected</button>" in html
    # The tab shows how many are waiting; the inbox list and the badge do not count them.
    assert re.search(r'Requests<span class="badge box-count" data-requests-count>.*?<span data-count>2</span>', html)
    assert re.search(r'data-unread-badge hidden>.*?<span data-unread-count>0</span>', html)


def test_the_inbox_tabs_show_the_requests_count_on_every_inbox_page(client, request_thread, bob):
    html = text(login(client, bob).get("/inbox/"))
    assert re.search(r'data-requests-count>.*?<span data-count>1</span>', html)
    # Nothing waiting: the count is hidden.
    Participant.objects.filter(thread=request_thread, user=bob).update(state="accepted")
    assert re.search(r'data-requests-count hidden>', text(client.get("/inbox/")))


@pytest.mark.parametrize("count", [1, 10])
def test_the_requests_tab_costs_the_same_queries_for_1_and_10_requests(client, make_user, make_thread, bob, count,
                                                                     django_assert_num_queries):
    policy(bob, "requests")
    for n in range(count):
        stranger = make_user(f"stranger{n}")
        send(stranger, make_thread(stranger, bob), f"hello {n}")
    login(client, bob)
    # session, user, the page (Paginator's count, then the rows with thread, last message, sender
    # and profile), the members with profiles, why each writer is shown (one query for all), the
    # navigation's unread and requests counts (one statement)
    with django_assert_num_queries(7):
        response = client.get("/inbox/?box=requests")
    assert response.content.decode().count('class="thread-row request-row') == count


def test_a_group_started_by_a_stranger_is_a_request_only_for_those_outside_their_circle(make_thread, alice, bob,
                                                                                        carol):
    policy(bob, "requests")
    policy(carol, "everyone")
    group = make_thread(alice, bob, carol, name="Launch party")
    assert {p.user.username: p.state for p in Participant.objects.filter(thread=group).select_related("user")} == {
        "alice": "accepted", "bob": "request", "carol": "accepted",
    }
    (row,) = social.describe_requests(viewer=bob, memberships=services.inbox_page(user=bob, box="requests"))
    assert (row.writer, row.reason) == (alice, "No connection")


def test_adding_a_stranger_to_a_group_makes_it_a_request_for_them(make_thread, alice, bob, carol, erin):
    group = make_thread(alice, bob, carol)
    policy(erin, "requests")
    services.add_participants(user=alice, thread=group, users=[erin])
    assert state_of(group, erin) == "request"


# --- Blocked people in groups, frozen 1:1s --------------------------------------------------------


@pytest.fixture
def shared_group(make_thread, alice, bob, carol):
    """alice, bob and carol in a group; bob then blocked alice."""
    group = make_thread(carol, alice, bob, name="Neighbours")
    send(alice, group, "before the block")
    block(bob, alice)
    send(alice, group, "after the block")
    send(carol, group, "carol speaking")
    return group


def test_in_a_shared_group_the_blocker_stops_seeing_the_blocked_persons_messages(shared_group, alice, bob, carol):
    def bodies(viewer):
        return [m.body for m in services.messages_page(thread=shared_group, viewer=viewer) if not m.is_system]

    assert bodies(bob) == ["carol speaking"]
    # alice learns nothing: she and carol see everything
    assert bodies(alice) == bodies(carol) == ["before the block", "after the block", "carol speaking"]


def test_the_blockers_group_page_leaves_their_messages_out_and_the_others_see_them(client, shared_group, alice, bob):
    html = text(login(client, bob).get(f"/inbox/{shared_group.pk}/"))
    assert "carol speaking" in html and "after the block" not in html and "before the block" not in html
    html = text(login(client, alice).get(f"/inbox/{shared_group.pk}/"))
    assert "after the block" in html


def test_sync_gives_the_blocker_hidden_markers_so_seqs_stay_gapless(shared_group, alice, bob):
    missed = services.messages_after(user=bob, thread=shared_group, after_seq=1)
    assert [(m.seq, m.hidden) for m in missed] == [(2, True), (3, True), (4, False)]
    assert [m.hidden for m in services.messages_after(user=alice, thread=shared_group, after_seq=1)] == [False] * 3


def test_the_blocked_persons_group_messages_push_only_a_hidden_marker_to_the_blocker(
    shared_group, alice, bob, carol, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = send(alice, shared_group, "anyone?")
    assert frames_for(pushes, bob) == [{"type": "message.hidden", "thread": shared_group.pk, "seq": message.seq}]
    assert [frame["type"] for frame in frames_for(pushes, carol)] == ["message.new", "unread.update"]


def test_the_blocked_persons_group_messages_do_not_count_as_unread_for_the_blocker(client, shared_group, alice, bob):
    (row,) = services.inbox_page(user=bob)
    assert row.unread_count == 2  # "carol created the group" and carol's message; not alice's two
    send(alice, shared_group, "more")
    assert services.inbox_page(user=bob)[0].unread_count == 2
    assert services.unread_total(bob) == 1
    services.mark_read(user=bob, thread=shared_group)
    assert services.unread_total(bob) == 0


def test_the_inbox_row_of_the_blocker_does_not_preview_the_blocked_persons_message(client, shared_group, alice, bob):
    send(alice, shared_group, "secret words")
    html = text(login(client, bob).get("/inbox/"))
    assert "secret words" not in html and "A message from someone you blocked" in html


def test_unblocking_shows_their_group_messages_again(shared_group, alice, bob):
    accounts_services.unblock(blocker=bob, blocked=alice)
    assert "after the block" in [m.body for m in services.messages_page(thread=shared_group, viewer=bob)]


def test_a_blocked_persons_typing_does_not_reach_the_blocker(make_thread, alice, bob, carol, pushes):
    group = make_thread(carol, alice, bob)
    block(bob, alice)
    services.note_typing(user=alice, thread=group)
    assert frames_for(pushes, bob) == [] and len(frames_for(pushes, carol)) == 1


def test_a_frozen_one_to_one_stays_readable_and_says_why_to_the_blocker(client, make_thread, alice, bob):
    thread = make_thread(alice, bob)
    send(alice, thread, "we used to talk")
    block(bob, alice)
    html = text(login(client, bob).get(f"/inbox/{thread.pk}/"))
    assert "we used to talk" in html
    assert 'class="composer"' not in html
    assert "You blocked @alice" in html and ">Unblock</button>" in html


def test_a_frozen_one_to_one_shows_the_blocked_person_only_the_neutral_words(client, make_thread, alice, bob):
    thread = make_thread(alice, bob)
    send(bob, thread, "hi")
    block(bob, alice)
    html = text(login(client, alice).get(f"/inbox/{thread.pk}/"))
    assert ">hi<" in html and 'class="composer"' not in html
    assert CANNOT in html and "blocked" not in html.lower()


def test_a_one_to_one_offers_block_in_its_details(client, make_thread, alice, bob):
    thread = make_thread(alice, bob)
    html = text(login(client, alice).get(f"/inbox/{thread.pk}/"))
    assert re.search(r'action="/u/bob/block/"', html)
    assert f'name="next" value="/inbox/{thread.pk}/"' in html


# --- Muted people ---------------------------------------------------------------------------------


def test_a_muted_persons_messages_stop_counting_in_my_badge_and_rows(make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol)
    services.mark_read(user=carol, thread=group)
    accounts_services.mute_person(muter=carol, muted=bob)
    send(bob, group, "muted words")
    assert services.unread_total(carol) == 0
    assert services.inbox_page(user=carol)[0].unread_count == 0
    send(alice, group, "alice speaks")
    assert services.unread_total(carol) == 1
    assert services.inbox_page(user=carol)[0].unread_count == 1
    assert list(services.inbox_page(user=carol, box="unread"))


def test_a_muted_persons_message_is_pushed_without_an_unread_update(make_thread, alice, bob, carol, pushes,
                                                                    django_capture_on_commit_callbacks):
    group = make_thread(alice, bob, carol)
    accounts_services.mute_person(muter=carol, muted=bob)
    with django_capture_on_commit_callbacks(execute=True):
        send(bob, group, "you won't be notified")
    assert [frame["type"] for frame in frames_for(pushes, carol)] == ["message.new"]
    assert [frame["type"] for frame in frames_for(pushes, alice)] == ["message.new", "unread.update"]


def test_muting_leaves_my_read_mark_alone_so_seen_does_not_leak(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    accounts_services.mute_person(muter=bob, muted=alice)
    send(alice, thread, "are you ignoring me?")
    assert Participant.objects.get(thread=thread, user=bob).last_read_seq == 0


def test_the_badge_rule_in_sql_agrees_with_the_orm_with_mutes_blocks_and_requests(
    make_thread, make_user, alice, bob, carol, dave, pushes, django_capture_on_commit_callbacks
):
    """inbox.models.member_states spells the badge rule in SQL for speed; it must say what unread_total says."""
    group = make_thread(alice, bob, carol, dave)
    for person in (carol, dave):
        services.mark_read(user=person, thread=group)
    send(bob, group, "from bob")
    accounts_services.mute_person(muter=carol, muted=bob)
    block(dave, bob)
    stranger = make_user("stranger")
    send(alice, make_thread(alice, carol), "a real one")
    policy(carol, "requests")
    send(stranger, make_thread(stranger, carol), "a request")
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(bob, group, "again from bob")
    totals = {group_name: frame["total"] for group_name, frame in pushes if frame["type"] == "unread.update"}
    assert totals == {f"user.{alice.pk}": services.unread_total(alice)}
    assert services.unread_total(carol) == 1 and services.unread_total(dave) == 0
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, group, "from alice")
    totals = {group_name: frame["total"] for group_name, frame in pushes if frame["type"] == "unread.update"}
    for person in (bob, carol, dave):
        assert totals[f"user.{person.pk}"] == services.unread_total(person)


# --- The new-conversation limit -------------------------------------------------------------------


@pytest.fixture
def hourly_limit(settings):
    settings.NEW_CONVERSATIONS_PER_HOUR = 2


def test_new_conversations_with_people_who_dont_follow_me_stop_at_the_hourly_limit(hourly_limit, alice, bob, carol,
                                                                                  dave, erin):
    services.start_thread(creator=alice, recipients=[bob])
    services.start_thread(creator=alice, recipients=[carol])
    refusal = refusal_of(services.start_thread, creator=alice, recipients=[dave])
    assert refusal.code == "rate_limited" and refusal.http_status == 429 and refusal.retry_after > 0
    assert Thread.objects.count() == 2
    # Reopening an existing 1:1 is no new conversation, and people who follow alice don't count.
    services.start_thread(creator=alice, recipients=[bob])
    accounts_services.follow(follower=erin, followed=alice)
    services.start_thread(creator=alice, recipients=[erin])
    assert Thread.objects.count() == 3


def test_the_new_message_form_answers_429_with_a_retry_hint(client, hourly_limit, alice, bob, carol, dave):
    login(client, alice)
    for person in ("bob", "carol"):
        assert client.post("/inbox/new/", {"recipients": person, "body": "hi"}).status_code == 302
    response = client.post("/inbox/new/", {"recipients": "dave", "body": "hi"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Try again in" in text(response)
    assert not Thread.objects.filter(participants__user__username="dave").exists()


# --- Query counts ---------------------------------------------------------------------------------


def test_a_one_to_one_send_checks_the_route_in_one_query_and_a_group_send_in_none(make_thread, alice, bob, carol,
                                                                                  no_rate_limit):
    direct = make_thread(alice, bob)
    group = make_thread(alice, bob, carol)
    with CaptureQueriesContext(connection) as direct_queries:
        send(alice, direct, "one")
    with CaptureQueriesContext(connection) as group_queries:
        send(alice, group, "two")
    assert len(direct_queries) == len(group_queries) + 1
