"""Searching messages: only my conversations, never removed words, the same answers on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inbox import services as inbox
from inbox.models import Message
from media import services as media_services
from search import services
from tests.inbox.conftest import dave, make_thread, make_user, no_rate_limit  # noqa: F401  (fixtures)
from tests.media import samples

pytestmark = pytest.mark.django_db


def texts(results):
    return [result.message.body for result in results]


def find(user, query, **filters):
    results, _more = services.search_messages(user=user, query=query, **filters)
    return texts(results)


@pytest.fixture
def world(make_thread, alice, bob, carol, no_rate_limit):
    """alice and bob talk about a ride; bob and carol have their own conversation alice is not in."""
    ours = make_thread(alice, bob)
    theirs = make_thread(bob, carol)
    lines = [
        (ours, alice, "Are you riding to the lake on Saturday?"),
        (ours, bob, "I ride there every weekend, the lake loop is lovely."),
        (theirs, carol, "Bob, the lake ride is a secret from Alice!"),
        (ours, alice, "Bring the spare tube this time."),
        (ours, bob, "Spare tube packed. Coffee after the ride?"),
        (ours, alice, "Coffee at the bakery, then home."),
        (ours, bob, "The bakery's croissants are better than coffee."),
    ]
    for thread, sender, body in lines:
        inbox.send_message(sender=sender, thread=thread, body=body)
    return {"ours": ours, "theirs": theirs}


# One fixed data set, one expected answer: this test runs on SQLite and on PostgreSQL (CI's second
# pass), so both engines give exactly these results, newest first.
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ride", ["Spare tube packed. Coffee after the ride?", "I ride there every weekend, the lake loop is lovely.",
                  "Are you riding to the lake on Saturday?"]),
        ("RIDING lake", ["I ride there every weekend, the lake loop is lovely.", "Are you riding to the lake on Saturday?"]),
        ('"spare tube"', ["Spare tube packed. Coffee after the ride?", "Bring the spare tube this time."]),
        ('"tube spare"', []),
        ("coffee -bakery", ["Spare tube packed. Coffee after the ride?"]),
        ('coffee -"the bakery"', ["Spare tube packed. Coffee after the ride?"]),
        ("croissant", ["The bakery's croissants are better than coffee."]),
        ("secret", []),
        ("the", []),
        ("-coffee", []),
        ("", []),
    ],
)
def test_words_phrases_and_exclusions_find_the_same_messages_on_every_engine(world, alice, query, expected):
    assert find(alice, query) == expected


def test_nobody_finds_words_of_a_conversation_they_are_not_in(world, alice, bob, carol, dave):
    assert find(bob, "secret") == ["Bob, the lake ride is a secret from Alice!"]
    assert find(carol, "secret") == ["Bob, the lake ride is a secret from Alice!"]
    assert find(carol, "croissant") == []
    assert find(dave, "lake") == []
    assert services.search_messages(user=type("Anonymous", (), {"is_authenticated": False})(), query="lake") == ([], False)


def test_a_member_removed_from_a_group_no_longer_finds_its_messages(make_thread, alice, bob, carol, no_rate_limit):
    group = make_thread(alice, bob, carol, name="Riders")
    inbox.send_message(sender=alice, thread=group, body="Meet at the velodrome")
    assert find(carol, "velodrome") == ["Meet at the velodrome"]
    inbox.remove_participant(user=alice, thread=group, member=carol)
    assert find(carol, "velodrome") == []


def test_removed_and_emptied_messages_are_never_found(world, alice, bob, make_user):
    croissants = Message.objects.get(body__contains="croissants")
    inbox.remove_message(message=croissants, removed_by=make_user("staff", is_staff=True))
    assert find(alice, "croissant") == []
    # Any change of words moves the index with them: emptied words are gone, new ones found.
    tube = Message.objects.get(body="Bring the spare tube this time.")
    Message.objects.filter(pk=tube.pk).update(body="Bring the pump this time.")
    assert find(alice, '"spare tube"') == ["Spare tube packed. Coffee after the ride?"]
    assert find(alice, "pump") == ["Bring the pump this time."]
    Message.objects.filter(pk=tube.pk).update(body="")
    assert find(alice, "pump") == []
    Message.objects.filter(pk=tube.pk).delete()
    assert find(alice, "this") == []


def test_filters_one_conversation_one_sender_and_with_files(world, make_thread, alice, bob, carol, isolated_storage):
    elsewhere = make_thread(alice, carol)
    inbox.send_message(sender=carol, thread=elsewhere, body="The lake was cold")
    assert find(alice, "lake") == ["The lake was cold", "I ride there every weekend, the lake loop is lovely.",
                                   "Are you riding to the lake on Saturday?"]
    assert find(alice, "lake", thread_id=world["ours"].pk) == [
        "I ride there every weekend, the lake loop is lovely.", "Are you riding to the lake on Saturday?"]
    assert find(alice, "lake", sender_id=bob.pk) == ["I ride there every weekend, the lake loop is lovely."]
    photo = media_services.store_upload(owner=bob, uploaded_file=SimpleUploadedFile("lake.jpg", samples.jpeg()))
    inbox.send_message(sender=bob, thread=world["ours"], body="The lake at dawn", attachment_ids=[photo.pk])
    assert find(alice, "lake", with_files=True) == ["The lake at dawn"]
    # Another person's conversation as a filter finds nothing, as if it did not exist.
    assert find(alice, "secret", thread_id=world["theirs"].pk) == []


def test_results_come_newest_first_in_pages(make_thread, alice, bob, no_rate_limit):
    thread = make_thread(alice, bob)
    for number in range(25):
        inbox.send_message(sender=bob, thread=thread, body=f"Puncture number {number}")
    first, more = services.search_messages(user=alice, query="puncture", limit=10)
    assert more and texts(first)[0] == "Puncture number 24"
    second, _ = services.search_messages(user=alice, query="puncture", limit=10, before_id=first[-1].message.pk)
    assert texts(second)[0] == "Puncture number 14"
    everything = [result.message.pk for result in first + second]
    assert everything == sorted(everything, reverse=True) and len(set(everything)) == 20


def test_the_snippet_marks_the_match_and_escapes_the_words(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    inbox.send_message(sender=bob, thread=thread, body="<script>alert(1)</script> riding & coasting")
    [result], _ = services.search_messages(user=alice, query="ride")
    # SQLite's snippet keeps the tag as text (escaped here); PostgreSQL's headline drops it: never markup.
    assert "<script>" not in result.snippet and "</script>" not in result.snippet
    assert "<mark>riding</mark>" in result.snippet and "&amp;" in result.snippet


@pytest.mark.parametrize("query", ['"', '"""', "NEAR(a b)", "a:b", "^start", "foo*", "AND", "OR NOT", "(lake", "col:lake",
                                   "'; DROP TABLE inbox_message; --", "lake\x00", "🚲 lake"])
def test_search_syntax_from_a_person_never_breaks_the_query(world, alice, query):
    results, _more = services.search_messages(user=alice, query=query)
    assert all(result.message.thread_id == world["ours"].pk for result in results)


def test_a_very_long_query_is_refused_clearly(alice):
    with pytest.raises(services.Refused) as refusal:
        services.search_messages(user=alice, query="lake " * 100)
    assert refusal.value.code == "bad_request" and "at most 200" in refusal.value.detail


def grow(thread, sender, count):
    """count more messages saying "lake" in thread, in one insert (their seqs follow on)."""
    last = thread.messages.order_by("-seq").values_list("seq", flat=True).first() or 0
    Message.objects.bulk_create(
        Message(thread=thread, sender=sender, body=f"Lake note {n}", seq=last + 1 + n) for n in range(count)
    )
    type(thread).objects.filter(pk=thread.pk).update(last_seq=last + count)


@pytest.mark.parametrize("size", [3, 300])
def test_the_search_page_runs_the_same_queries_whatever_the_number_of_messages(make_thread, alice, bob, carol, client,
                                                                               django_assert_num_queries, size):
    for other in (bob, carol):
        grow(make_thread(alice, other), other, size)
    client.force_login(alice)
    # session, user, the matching ids with snippets, the messages, their conversations' members,
    # the navigation's badge counts
    with django_assert_num_queries(6):
        page = client.get("/search/", {"q": "lake"})
    assert page.status_code == 200
    assert page.content.decode().count('class="search-result"') == min(2 * size, services.PAGE_SIZE)


def test_the_page_works_without_javascript_and_jumps_into_the_conversation(make_thread, alice, bob, client,
                                                                          no_rate_limit):
    thread = make_thread(alice, bob)
    grow(thread, bob, 120)
    old = Message.objects.get(thread=thread, body="Lake note 10")
    inbox.send_message(sender=bob, thread=thread, body="Lighthouse at seq 121")
    Message.objects.filter(pk=old.pk).update(body="The old lighthouse story")
    client.force_login(alice)
    inbox_page = client.get(f"/inbox/{thread.pk}/").content.decode()
    assert 'action="/search/"' in inbox_page and '<label for="inbox-search" class="visually-hidden">Search</label>' in inbox_page
    assert 'type="search" id="inbox-search" name="q"' in inbox_page

    page = client.get("/search/", {"q": "lighthouse"}).content.decode()
    jump = f"/inbox/{thread.pk}/?at={old.seq}#message-{old.pk}"
    assert jump.replace("&", "&amp;") in page or jump in page
    assert "<mark>lighthouse</mark>" in page
    conversation = client.get(f"/inbox/{thread.pk}/", {"at": old.seq}).content.decode()
    assert f'id="message-{old.pk}"' in conversation and "The old lighthouse story" in conversation
    assert "Jump to the latest messages" in conversation
    # The newest messages need no older page: the jump shows the latest one as usual.
    newest = Message.objects.get(thread=thread, seq=121)
    latest = client.get(f"/inbox/{thread.pk}/", {"at": newest.seq}).content.decode()
    assert "Lighthouse at seq 121" in latest and "Jump to the latest messages" not in latest


def test_the_page_asks_to_log_in_and_explains_bad_filters(client, alice):
    assert client.get("/search/", {"q": "lake"})["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    nobody = client.get("/search/", {"q": "lake", "from": "nobody-here"})
    assert nobody.status_code == 400 and "There is nobody called @nobody-here on Parley." in nobody.content.decode()
    assert client.get("/search/", {"q": "lake", "thread": "999999"}).status_code == 404
    empty = client.get("/search/", {"q": "zeppelin"}).content.decode()
    assert "No messages match “zeppelin”." in empty


def test_unsent_edited_and_deleted_for_me_messages_are_found_as_they_are_now(world, alice, bob, settings):
    settings.CHANGE_RATE_PER_MINUTE = 0
    tube = Message.objects.get(body="Bring the spare tube this time.")
    inbox.edit_message(user=tube.sender, thread=tube.thread_id, seq=tube.seq, body="Bring the floor pump this time.")
    assert find(alice, "floor pump") == ["Bring the floor pump this time."]
    assert "Bring the spare tube this time." not in find(alice, "tube")
    inbox.unsend_message(user=tube.sender, thread=tube.thread_id, seq=tube.seq)
    assert find(alice, "pump") == []
    croissants = Message.objects.get(body__contains="croissants")
    member = next(person for person in (alice, bob) if person.pk != croissants.sender_id)
    found_before = find(member, "croissant")
    assert found_before
    inbox.hide_message(user=member, thread=croissants.thread_id, seq=croissants.seq)
    assert find(member, "croissant") == []
    assert find(croissants.sender, "croissant") == found_before
