"""The inbox pages and their form posts: /inbox/, /inbox/new/, /inbox/<id>/ and its actions."""

import re

import pytest
from django.contrib.messages import get_messages

from inbox import services
from inbox.models import Message, Participant, Thread

pytestmark = pytest.mark.django_db

# A django_db test runs inside a transaction, so each atomic() in a service adds SAVEPOINT + RELEASE.
SAVEPOINT = 2


def send(sender, thread, body="hello"):
    return services.send_message(sender=sender, thread=thread, body=body)[0]


def membership(thread, user):
    return Participant.objects.get(thread=thread, user=user)


def flash(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def carol_client(client, carol):
    client.force_login(carol)
    return client


@pytest.fixture
def direct(make_thread, alice, bob):
    return make_thread(alice, bob)


@pytest.fixture
def group(make_thread, alice, bob, carol):
    return make_thread(alice, bob, carol, name="Weekend trip")


# --- /inbox/ -----------------------------------------------------------------------------------


def test_inbox_needs_a_login(client):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_inbox_lists_conversations_newest_activity_first_with_preview(alice_client, alice, bob, carol, make_thread):
    with_bob = make_thread(alice, bob)
    with_carol = make_thread(alice, carol)
    send(bob, with_bob, "Lunch at noon?")
    send(carol, with_carol, "The slides are ready")
    html = alice_client.get("/inbox/").content.decode()
    assert html.index("Carol Diaz") < html.index("Bob Okafor")
    assert "The slides are ready" in html and "Lunch at noon?" in html
    assert f'href="/inbox/{with_bob.pk}/"' in html


def test_inbox_row_shows_unread_count_and_my_own_last_message_as_you(alice_client, alice, bob, direct):
    send(bob, direct, "one")
    send(bob, direct, "two")
    html = alice_client.get("/inbox/").content.decode()
    assert re.search(r'class="thread-row is-unread[^"]*" data-thread-row="%d"' % direct.pk, html)
    assert re.search(r"Unread messages: </span><span data-count>2</span>", html)
    send(alice, direct, "on my way")
    html = alice_client.get("/inbox/").content.decode()
    assert "You: on my way" in html
    assert "is-unread" not in html


def test_group_row_shows_group_name_and_sender_of_last_message(alice_client, bob, group):
    send(bob, group, "Tickets booked")
    html = alice_client.get("/inbox/").content.decode()
    assert "Weekend trip" in html
    assert "Bob Okafor: Tickets booked" in html


def test_unnamed_group_is_titled_by_the_other_members(alice_client, make_thread, alice, bob, carol):
    make_thread(alice, bob, carol)
    html = alice_client.get("/inbox/").content.decode()
    assert "Bob Okafor and Carol Diaz" in html


def test_unread_filter_shows_only_conversations_with_something_new(alice_client, alice, bob, carol, make_thread):
    quiet = make_thread(alice, carol)
    send(alice, quiet, "sent by me, so read")
    busy = make_thread(alice, bob)
    send(bob, busy, "news")
    html = alice_client.get("/inbox/?box=unread").content.decode()
    assert f'data-thread-row="{busy.pk}"' in html
    assert f'data-thread-row="{quiet.pk}"' not in html


def test_archived_conversations_leave_the_inbox_for_the_archived_filter(alice_client, alice, direct):
    services.set_archived(user=alice, thread=direct, archived=True)
    assert f'data-thread-row="{direct.pk}"' not in alice_client.get("/inbox/").content.decode()
    html = alice_client.get("/inbox/?box=archived").content.decode()
    assert f'data-thread-row="{direct.pk}"' in html
    assert ">Archived</span>" in html


def test_muted_conversation_is_marked_in_its_row(alice_client, alice, direct):
    services.set_muted(user=alice, thread=direct, muted=True)
    assert ">Muted</span>" in alice_client.get("/inbox/").content.decode()


@pytest.mark.parametrize("box, wording", [
    ("all", "No conversations yet"), ("unread", "You’re all caught up"), ("archived", "Nothing archived"),
])
def test_empty_inbox_says_so_and_offers_a_new_message(alice_client, box, wording):
    html = alice_client.get(f"/inbox/?box={box}").content.decode()
    assert wording in html
    assert 'href="/inbox/new/">New message</a>' in html


def test_inbox_is_paginated_thirty_conversations_a_page(alice_client, alice, make_user, make_thread):
    for n in range(31):
        make_thread(alice, make_user(f"person{n}"))
    first = alice_client.get("/inbox/").content.decode()
    assert first.count("data-thread-row=") == 30
    assert "Page 1 of 2" in first and 'href="/inbox/?box=all&amp;page=2"' in first
    assert alice_client.get("/inbox/?page=2").content.decode().count("data-thread-row=") == 1


def test_list_fragment_is_only_the_list(alice_client, bob, direct):
    send(bob, direct, "hi")
    response = alice_client.get("/inbox/?partial=list")
    html = response.content.decode()
    assert "<html" not in html and 'data-thread-list' in html and f'data-thread-row="{direct.pk}"' in html


@pytest.mark.parametrize("threads", [1, 10])
def test_inbox_page_query_count_does_not_grow_with_conversations(
    alice_client, alice, make_user, make_thread, django_assert_num_queries, threads
):
    for n in range(threads):
        other = make_user(f"person{n}")
        thread = make_thread(alice, other)
        send(other, thread, f"hello {n}")
    # session, user, page count, membership rows with thread + last message + sender + profile,
    # the members of those threads with users and profiles (one prefetch), the nav badge total
    with django_assert_num_queries(6):
        response = alice_client.get("/inbox/")
    assert response.content.decode().count("data-thread-row=") == threads


def test_nav_badge_counts_unread_conversations_on_every_page(alice_client, alice, bob, carol, make_thread):
    send(bob, make_thread(alice, bob), "one")
    send(carol, make_thread(alice, carol), "two")
    html = alice_client.get("/settings/").content.decode()
    assert re.search(r"data-unread-badge><span class=\"visually-hidden\">, unread: </span><span data-unread-count>2<", html)


def test_nav_badge_is_hidden_with_nothing_unread(alice_client):
    assert re.search(r"data-unread-badge hidden>", alice_client.get("/inbox/").content.decode())


# --- /inbox/new/ -------------------------------------------------------------------------------


def test_new_message_form_has_to_and_message_fields(alice_client):
    html = alice_client.get("/inbox/new/").content.decode()
    assert re.search(r'<label for="id_recipients">To</label>', html)
    assert re.search(r'<label for="id_body">Message</label>', html)
    assert ">Start conversation</button>" in html


def test_new_message_form_is_prefilled_from_to(alice_client, bob):
    html = alice_client.get("/inbox/new/?to=bob").content.decode()
    assert re.search(r'name="recipients" value="bob"', html)


def test_to_with_an_existing_conversation_goes_straight_to_it(alice_client, direct):
    response = alice_client.get("/inbox/new/?to=bob")
    assert response.status_code == 302
    assert response["Location"] == f"/inbox/{direct.pk}/"


def test_posting_recipients_and_body_redirects_to_the_new_conversation(alice_client, alice, bob):
    response = alice_client.post("/inbox/new/", {"recipients": "bob", "body": "Hello Bob"})
    assert response.status_code == 302
    match = re.fullmatch(r"/inbox/(\d+)/", response["Location"])
    assert match
    thread = Thread.objects.get(pk=int(match.group(1)))
    assert thread.kind == "direct"
    assert [message.body for message in thread.messages.all()] == ["Hello Bob"]
    assert Message.objects.get().sender == alice


def test_one_recipient_reuses_the_existing_conversation(alice_client, direct):
    first = alice_client.post("/inbox/new/", {"recipients": "bob", "body": "again"})
    second = alice_client.post("/inbox/new/", {"recipients": "@bob"})
    assert first["Location"] == second["Location"] == f"/inbox/{direct.pk}/"
    assert Thread.objects.count() == 1


def test_several_recipients_separated_by_commas_or_spaces_start_a_group(alice_client, alice, bob, carol, dave):
    response = alice_client.post("/inbox/new/", {"recipients": "bob, carol dave", "name": "Book club", "body": "Hi all"})
    thread = Thread.objects.get(pk=int(response["Location"].split("/")[2]))
    assert thread.kind == "group" and thread.name == "Book club"
    assert set(thread.participants.values_list("user__username", flat=True)) == {"alice", "bob", "carol", "dave"}


def test_body_is_optional_when_starting(alice_client, bob):
    response = alice_client.post("/inbox/new/", {"recipients": "bob", "body": "   "})
    assert response.status_code == 302
    assert Thread.objects.count() == 1 and Message.objects.count() == 0


@pytest.mark.parametrize("recipients, error", [
    ("nobody", "No one here is called @nobody."),
    ("alice", "You can&#x27;t start a conversation with only yourself."),
    ("", "This field is required."),
])
def test_bad_recipients_are_refused_clearly_and_nothing_is_saved(alice_client, alice, recipients, error):
    response = alice_client.post("/inbox/new/", {"recipients": recipients, "body": "kept text"})
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert "kept text" in html
    assert Thread.objects.count() == 0 and Message.objects.count() == 0


def test_too_many_people_are_refused(alice_client, make_user):
    names = [make_user(f"person{n}").username for n in range(services.MAX_GROUP_SIZE)]
    response = alice_client.post("/inbox/new/", {"recipients": " ".join(names)})
    assert response.status_code == 400
    assert "at most 64 people" in response.content.decode()
    assert Thread.objects.count() == 0


def test_too_long_first_message_creates_nothing(alice_client, bob, carol):
    response = alice_client.post("/inbox/new/", {"recipients": "bob carol", "body": "x" * 5001})
    assert response.status_code == 400
    assert "at most 5,000 characters" in response.content.decode()
    assert Thread.objects.count() == 0 and Message.objects.count() == 0


def test_resubmitting_the_same_new_message_form_sends_once(alice_client, bob):
    form = {"recipients": "bob", "body": "only once", "client_id": "form-1"}
    first = alice_client.post("/inbox/new/", form)
    second = alice_client.post("/inbox/new/", form)
    assert first["Location"] == second["Location"]
    assert Message.objects.count() == 1


# --- /inbox/<id>/ ------------------------------------------------------------------------------


def test_conversation_page_shows_participants_messages_and_composer(alice_client, alice, bob, direct):
    send(bob, direct, "Are we still on\nfor Friday?")
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert '<h1 id="conversation-title">Bob Okafor</h1>' in html
    assert 'href="/u/bob/"' in html
    assert "Are we still on<br>for Friday?" in html
    assert 'data-sender="bob"' in html
    assert re.search(r'<label for="id_body" class="visually-hidden">Message</label>', html)
    assert re.search(r'<textarea name="body"[^>]*id="id_body"', html)
    assert ">Send</button>" in html


def test_message_bodies_are_escaped(alice_client, bob, direct):
    send(bob, direct, "<script>alert(1)</script>")
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_system_lines_are_shown_in_groups(alice_client, group):
    html = alice_client.get(f"/inbox/{group.pk}/").content.decode()
    assert "message-system" in html and "alice created the group" in html


def test_conversation_shows_the_latest_fifty_and_a_load_older_link(alice_client, bob, direct, no_rate_limit):
    for n in range(1, 61):
        send(bob, direct, f"message number {n}")
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert html.count('<li class="message"') == 50
    assert "message number 11<" in html and "message number 10<" not in html
    assert f'href="/inbox/{direct.pk}/?before=11"' in html and "Load older messages" in html


def test_load_older_works_without_javascript(alice_client, bob, direct, no_rate_limit):
    for n in range(1, 61):
        send(bob, direct, f"message number {n}")
    html = alice_client.get(f"/inbox/{direct.pk}/?before=11").content.decode()
    assert html.count('<li class="message"') == 10
    assert "message number 1<" in html and "message number 11<" not in html
    assert "This is the beginning of the conversation." in html
    assert "Jump to the latest messages" in html


def test_older_messages_fragment_is_only_the_history(alice_client, bob, direct, no_rate_limit):
    for n in range(1, 56):
        send(bob, direct, f"message number {n}")
    html = alice_client.get(f"/inbox/{direct.pk}/?before=6&partial=messages").content.decode()
    assert "<html" not in html and "composer" not in html
    assert html.count('<li class="message"') == 5


def test_header_fragment_is_only_the_header_and_marks_nothing_read(alice_client, alice, bob, group):
    send(bob, group, "hi")
    before = membership(group, alice).last_read_seq
    html = alice_client.get(f"/inbox/{group.pk}/?partial=head").content.decode()
    assert "<html" not in html and 'class="conversation-head"' in html and "Weekend trip" in html
    assert membership(group, alice).last_read_seq == before < group.messages.count()


def test_opening_a_conversation_marks_it_read(alice_client, alice, bob, direct):
    send(bob, direct, "one")
    send(bob, direct, "two")
    alice_client.get(f"/inbox/{direct.pk}/")
    assert membership(direct, alice).last_read_seq == 2


def test_badge_on_the_opened_conversation_page_already_counts_it_read(alice_client, bob, direct):
    send(bob, direct, "news")
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert re.search(r"data-unread-badge hidden>", html)
    assert not re.search(r'class="thread-row is-unread', html)


def test_opening_older_messages_does_not_mark_read(alice_client, alice, bob, direct, no_rate_limit):
    for n in range(55):
        send(bob, direct, f"m{n}")
    alice_client.get(f"/inbox/{direct.pk}/?before=5")
    assert membership(direct, alice).last_read_seq == 0


def test_my_last_message_says_sent_until_the_other_person_reads_it(alice_client, alice, bob, direct):
    send(alice, direct, "Did you get my note?")
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert '<li class="receipt" data-receipt>Sent</li>' in html
    services.mark_read(user=bob, thread=direct)
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert '<li class="receipt" data-receipt>Seen</li>' in html


def test_group_receipt_counts_who_has_seen_my_last_message(alice_client, alice, bob, group):
    send(alice, group, "Who is driving?")
    services.mark_read(user=bob, thread=group)
    html = alice_client.get(f"/inbox/{group.pk}/").content.decode()
    assert '<li class="receipt" data-receipt>Seen by 1</li>' in html
    assert 'data-read-marks="{&quot;bob&quot;: 2, &quot;carol&quot;: 0}"' in html


def test_empty_conversation_invites_a_first_message(alice_client, direct):
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert "This is the beginning of your conversation." in html


@pytest.mark.parametrize("messages", [1, 60])
def test_conversation_page_query_count_does_not_grow_with_history(
    alice_client, bob, direct, no_rate_limit, django_assert_num_queries, messages
):
    for n in range(messages):
        send(bob, direct, f"m{n}")
    # session, user, the thread (participant check), its members with users and profiles, the
    # latest 50 messages with senders and profiles, all their attachments (one query however many
    # files), all their reactions, whether a block froze the 1:1, mark_read (members' marks, then
    # the update in a savepoint), the sidebar list (count, rows, members), the nav badge and requests
    # counts, the composer's GIF picker (recent GIFs, one query)
    with django_assert_num_queries(8 + 2 + SAVEPOINT + 3 + 1 + 1):
        response = alice_client.get(f"/inbox/{direct.pk}/")
    assert response.content.decode().count('<li class="message"') == min(messages, 50)


@pytest.mark.parametrize("who", ["carol", "nobody"])
def test_outsider_and_missing_conversation_get_the_same_404(carol_client, direct, who):
    url = f"/inbox/{direct.pk}/" if who == "carol" else f"/inbox/{direct.pk + 1000}/"
    response = carol_client.get(url)
    assert response.status_code == 404
    assert "Bob Okafor" not in response.content.decode()


def test_logged_out_visitor_is_sent_to_log_in(client, direct):
    response = client.get(f"/inbox/{direct.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(f"/inbox/{direct.pk}/", {"body": "sneaky"})
    assert response.status_code == 302 and Message.objects.count() == 0


def test_removed_member_gets_404_and_cannot_post(client, alice, carol, group):
    services.remove_participant(user=alice, thread=group, member=carol)
    client.force_login(carol)
    assert client.get(f"/inbox/{group.pk}/").status_code == 404
    before = Message.objects.count()
    assert client.post(f"/inbox/{group.pk}/", {"body": "still here?"}).status_code == 404
    assert Message.objects.count() == before


# --- Sending without JavaScript --------------------------------------------------------------------


def test_posting_the_composer_sends_and_redirects_back(alice_client, alice, bob, direct):
    response = alice_client.post(f"/inbox/{direct.pk}/", {"body": "  See you at 8  ", "client_id": "abc-1"})
    assert response.status_code == 302 and response["Location"] == f"/inbox/{direct.pk}/"
    message = Message.objects.get()
    assert (message.sender, message.body, message.client_id) == (alice, "See you at 8", "abc-1")


def test_posting_the_same_composer_form_twice_sends_once(alice_client, direct):
    for _ in range(2):
        assert alice_client.post(f"/inbox/{direct.pk}/", {"body": "once", "client_id": "abc-2"}).status_code == 302
    assert Message.objects.count() == 1


@pytest.mark.parametrize("body, status, words", [
    ("   \n ", 400, "Write something before sending."),
    ("y" * 5001, 400, "at most 5,000 characters"),
])
def test_refused_message_keeps_the_text_and_saves_nothing(alice_client, direct, body, status, words):
    response = alice_client.post(f"/inbox/{direct.pk}/", {"body": body})
    assert response.status_code == status
    html = response.content.decode()
    assert words in html
    assert f">\n{body}</textarea>" in html  # Django's textarea starts with a newline
    assert Message.objects.count() == 0


def test_rate_limited_send_says_so_and_keeps_the_text(alice_client, direct, settings):
    settings.SEND_RATE_PER_MINUTE = 1
    alice_client.post(f"/inbox/{direct.pk}/", {"body": "first"})
    response = alice_client.post(f"/inbox/{direct.pk}/", {"body": "second"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60  # the next one-minute window
    assert "too quickly" in response.content.decode() and ">\nsecond</textarea>" in response.content.decode()
    assert Message.objects.count() == 1


def test_outsider_cannot_post(carol_client, direct):
    assert carol_client.post(f"/inbox/{direct.pk}/", {"body": "hi"}).status_code == 404
    assert Message.objects.count() == 0


# --- Actions: archive, mute, mark unread, group management ----------------------------------------


def test_archive_and_unarchive(alice_client, alice, direct):
    response = alice_client.post(f"/inbox/{direct.pk}/archive/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert membership(direct, alice).archived
    assert ">Unarchive</button>" in alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    response = alice_client.post(f"/inbox/{direct.pk}/unarchive/")
    assert response["Location"] == f"/inbox/{direct.pk}/"
    assert not membership(direct, alice).archived


def test_mute_and_unmute(alice_client, alice, direct):
    alice_client.post(f"/inbox/{direct.pk}/mute/")
    assert membership(direct, alice).muted
    assert ">Unmute</button>" in alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    alice_client.post(f"/inbox/{direct.pk}/unmute/")
    assert not membership(direct, alice).muted


def test_mark_as_unread_brings_the_conversation_back_to_unread(alice_client, alice, bob, direct):
    send(bob, direct, "hi")
    alice_client.get(f"/inbox/{direct.pk}/")
    response = alice_client.post(f"/inbox/{direct.pk}/mark-unread/")
    assert response["Location"] == "/inbox/"
    assert f'data-thread-row="{direct.pk}"' in alice_client.get("/inbox/?box=unread").content.decode()


def test_group_panel_offers_rename_add_remove_and_leave_to_the_creator(alice_client, group):
    html = alice_client.get(f"/inbox/{group.pk}/").content.decode()
    for control in ('<label for="group-name">Group name</label>', '<label for="add-people">Add people</label>',
                    ">Rename</button>", ">Add</button>", ">Leave group</button>",
                    'Remove<span class="visually-hidden"> Bob Okafor</span></button>'):
        assert control in html
    for action in ("Mute", "Archive", "Mark as unread"):
        assert f">{action}</button>" in html


def test_only_the_creator_sees_remove_buttons(bob_client, group):
    html = bob_client.get(f"/inbox/{group.pk}/").content.decode()
    assert ">Leave group</button>" in html and "Remove<span" not in html


def test_one_to_one_has_no_group_controls(alice_client, direct):
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()
    assert "Leave group" not in html and "add-people" not in html
    assert ">Archive</button>" in html


def test_rename_group(alice_client, group):
    response = alice_client.post(f"/inbox/{group.pk}/rename/", {"name": "Ski trip"})
    assert response["Location"] == f"/inbox/{group.pk}/"
    group.refresh_from_db()
    assert group.name == "Ski trip"
    assert group.messages.filter(kind="system", body__contains="Ski trip").exists()


def test_renaming_a_one_to_one_is_refused_with_a_message(alice_client, direct):
    response = alice_client.post(f"/inbox/{direct.pk}/rename/", {"name": "Us"}, follow=True)
    assert "Only a group can have a name." in response.content.decode()


def test_add_people_to_a_group(alice_client, group, dave):
    response = alice_client.post(f"/inbox/{group.pk}/add/", {"people": "dave"})
    assert response["Location"] == f"/inbox/{group.pk}/"
    assert group.participants.filter(user=dave).exists()
    assert flash(response) == ["Added Dave Kim."]


def test_adding_unknown_people_says_who(alice_client, group):
    response = alice_client.post(f"/inbox/{group.pk}/add/", {"people": "zed"}, follow=True)
    assert "No one here is called @zed." in response.content.decode()


def test_creator_removes_a_member(alice_client, group, carol):
    response = alice_client.post(f"/inbox/{group.pk}/remove/", {"member": "carol"})
    assert response["Location"] == f"/inbox/{group.pk}/"
    assert not group.participants.filter(user=carol).exists()


def test_non_creator_cannot_remove(bob_client, group, carol):
    response = bob_client.post(f"/inbox/{group.pk}/remove/", {"member": "carol"}, follow=True)
    assert "Only the person who started the group can remove people." in response.content.decode()
    assert group.participants.filter(user=carol).exists()


def test_leaving_a_group_returns_to_the_inbox_and_locks_the_door(bob_client, group):
    response = bob_client.post(f"/inbox/{group.pk}/leave/")
    assert response["Location"] == "/inbox/"
    assert bob_client.get(f"/inbox/{group.pk}/").status_code == 404


ACTIONS = ["archive", "unarchive", "mute", "unmute", "mark-unread", "rename", "add", "remove", "leave"]


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_are_post_only(alice_client, group, action):
    assert alice_client.get(f"/inbox/{group.pk}/{action}/").status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_send_logged_out_visitors_to_log_in(client, group, action):
    response = client.post(f"/inbox/{group.pk}/{action}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_refuse_removed_members_and_outsiders_alike_with_404(client, alice, carol, dave, group, action):
    services.remove_participant(user=alice, thread=group, member=carol)
    before = (Message.objects.count(), list(Participant.objects.values_list("user_id", "archived", "muted", "marked_unread")))
    for person in (carol, dave):
        client.force_login(person)
        response = client.post(f"/inbox/{group.pk}/{action}/", {"name": "x", "people": "dave", "member": "bob"})
        assert response.status_code == 404
    after = (Message.objects.count(), list(Participant.objects.values_list("user_id", "archived", "muted", "marked_unread")))
    assert after == before
