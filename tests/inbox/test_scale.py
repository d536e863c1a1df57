"""`seed_demo --scale`: the benchmark's big database, built at 1/100 of its size."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Min, Q

from accounts.models import User
from inbox import scale, services
from inbox.models import Message, Participant, Thread
from search.services import search_messages

FACTOR = 0.01


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", scale=FACTOR, verbosity=0)
    return User.objects.get(username=scale.SCALE_USERNAME)


def scale_threads():
    crowd = Participant.objects.filter(user__username__startswith="crowd").values("thread_id")
    return Thread.objects.filter(pk__in=crowd)


def test_the_counts_are_the_factor_of_a_big_site(seeded):
    sizes = scale.counts_for(FACTOR)
    assert sizes == {"messages": 10_000, "threads": 200, "person_threads": 20, "long_thread": 1_000}
    threads = scale_threads()
    assert threads.count() == 200
    assert Message.objects.filter(thread__in=threads).count() == 10_000
    assert Participant.objects.filter(user=seeded).count() == 20
    assert threads.aggregate(longest=Max("last_seq"))["longest"] == 1_000
    assert Thread.objects.for_user(seeded).filter(last_seq=1_000).exists()


def test_every_thread_has_gapless_seqs_and_points_at_its_newest_message(seeded):
    threads = scale_threads().annotate(
        count=Count("messages"), low=Min("messages__seq"), high=Max("messages__seq"), newest=Max("messages__created"),
    ).select_related("last_message")
    for thread in threads:
        # Seqs are unique per thread, so 1..N with N rows means no gap.
        assert (thread.low, thread.high, thread.count) == (1, thread.last_seq, thread.last_seq)
        assert thread.last_message.seq == thread.last_seq
        assert thread.last_message_at == thread.newest == thread.last_message.created


def test_read_marks_never_fall_behind_a_members_own_messages(seeded):
    members = Participant.objects.filter(thread__in=scale_threads()).annotate(
        own_newest=Max("thread__messages__seq", filter=Q(thread__messages__sender_id=F("user_id"))),
    )
    for member in members.select_related("thread"):
        assert member.last_read_seq <= member.thread.last_seq
        assert member.own_newest is None or member.last_read_seq >= member.own_newest


def test_the_person_has_unread_conversations_and_a_few_requests(seeded):
    counts = services.inbox_counts(seeded)
    assert counts["unread"] > 0
    assert 1 <= counts["requests"] < 20 // 3
    requests = list(services.inbox_page(user=seeded, box="requests"))
    assert len(requests) == counts["requests"]
    # A request is written by the other person only, and nothing of it has been read.
    for request in requests:
        assert request.last_read_seq == 0
        assert not Message.objects.filter(thread_id=request.thread_id, sender=seeded).exists()
    unread = list(services.inbox_page(user=seeded, box="unread"))
    assert len(unread) == counts["unread"]


def test_search_finds_the_seeded_word_in_the_persons_conversations(seeded):
    results, _more = search_messages(user=seeded, query=scale.SEEDED_WORD)
    assert results
    mine = set(Thread.objects.for_user(seeded).values_list("pk", flat=True))
    assert all(result.message.thread_id in mine and scale.SEEDED_WORD in result.message.body.lower()
               for result in results)


def test_the_person_logs_in_with_the_demo_password(seeded, client):
    from accounts.demo import DEMO_PASSWORD

    assert client.login(username=scale.SCALE_USERNAME, password=DEMO_PASSWORD)
    response = client.get("/inbox/")
    assert response.status_code == 200


def test_seeding_again_adds_nothing(seeded):
    before = Message.objects.count(), Thread.objects.count(), User.objects.count()
    call_command("seed_demo", scale=FACTOR, verbosity=0)
    assert (Message.objects.count(), Thread.objects.count(), User.objects.count()) == before


def test_new_messages_after_the_load_get_the_next_seq_and_id(seeded):
    thread = Thread.objects.for_user(seeded).get(last_seq=1_000)
    message, created = services.send_message(sender=seeded, thread=thread, body="After the load")
    assert created and message.seq == 1_001
    assert message.pk > Message.objects.exclude(pk=message.pk).aggregate(top=Max("pk"))["top"]


@pytest.mark.parametrize("factor", ["0", "2", "-1", "lots"])
def test_a_factor_outside_0_to_1_is_refused(db, settings, factor):
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", factor, verbosity=0)
    assert not User.objects.filter(username=scale.SCALE_USERNAME).exists()


def test_ids_follow_time_across_the_whole_site(seeded):
    """As the send path gives them: one conversation's messages interleave with everyone else's."""
    created = list(Message.objects.filter(thread__in=scale_threads()).order_by("pk").values_list("created", flat=True))
    assert created == sorted(created)
    long_thread = Thread.objects.for_user(seeded).get(last_seq=1_000)
    ids = list(Message.objects.filter(thread=long_thread).order_by("seq").values_list("pk", flat=True))
    assert ids == sorted(ids) and ids[-1] - ids[0] > len(ids)
