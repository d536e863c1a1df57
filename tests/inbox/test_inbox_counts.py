"""The inbox's counts skip the muted-and-blocked count for people who silence nobody, and stay exact.

inbox.services counts unheard messages (from people the viewer muted or blocked) only when the
viewer mutes or blocks someone; ParticipantQuerySet.with_unheard counts them always. Both must give
the same badge, unread rows and unread counts, with and without mutes and blocks.
"""

import pytest

from accounts import services as accounts_services
from inbox import services
from inbox.models import Participant


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def conversations(alice, bob, carol, dave):
    """alice talks with bob, carol and dave, and in a group with all three; each wrote her twice."""
    threads = {}
    for other in (bob, carol, dave):
        thread, _ = services.start_thread(creator=alice, recipients=[other])
        services.send_message(sender=alice, thread=thread, body="Hello")
        for number in range(2):
            services.send_message(sender=other, thread=thread, body=f"Reply {number}")
        threads[other.username] = thread
    group, _ = services.start_thread(creator=alice, recipients=[bob, carol, dave], name="All of us")
    for other in (bob, carol, dave):
        services.send_message(sender=other, thread=group, body="In the group")
    threads["group"] = group
    return threads


def reference(user):
    """The counts as the model's querysets give them (with_unheard for every membership)."""
    mine = Participant.objects.filter(user=user)
    return {
        "badge": mine.counted_in_badge().count(),
        "unread_rows": sorted(mine.filter(archived=False, state=Participant.State.ACCEPTED).unread()
                              .values_list("thread_id", flat=True)),
        "counts": sorted((member.thread_id, member.unread_count)
                         for member in mine.with_unheard().select_related("thread")),
    }


def served(user):
    return {
        "badge": services.inbox_counts(user)["unread"],
        "unread_rows": sorted(member.thread_id for member in services.inbox_page(user=user, box="unread")),
        "counts": sorted((member.thread_id, member.unread_count)
                         for member in services.inbox_page(user=user, box="all")),
    }


def test_someone_who_silences_nobody_gets_the_full_counts(alice, conversations):
    expected = reference(alice)
    assert expected["badge"] == 4
    assert dict(expected["counts"])[conversations["group"].pk] == 3
    assert served(alice) == expected
    assert services.unread_total(alice) == 4


def test_a_muted_persons_messages_stop_counting_as_before(alice, dave, conversations):
    accounts_services.mute_person(muter=alice, muted=dave)

    expected = reference(alice)
    counts = dict(expected["counts"])
    assert counts[conversations["dave"].pk] == 0 and counts[conversations["group"].pk] == 2
    assert expected["badge"] == 3
    assert served(alice) == expected
    assert services.unread_total(alice) == 3


def test_a_blocked_persons_messages_stop_counting_as_before(alice, carol, dave, conversations):
    accounts_services.mute_person(muter=alice, muted=dave)
    accounts_services.block(blocker=alice, blocked=carol)

    expected = reference(alice)
    assert dict(expected["counts"])[conversations["group"].pk] == 1
    assert served(alice) == expected


def test_the_counts_stay_one_query(alice, conversations, django_assert_num_queries):
    # The badge and the requests count together, whether or not anyone is muted.
    with django_assert_num_queries(1):
        services.inbox_counts(alice)
    accounts_services.mute_person(muter=alice, muted=conversations["dave"].participants.exclude(user=alice).get().user)
    with django_assert_num_queries(1):
        services.inbox_counts(alice)
