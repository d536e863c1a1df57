"""Races, with real threads and one database connection each (SQLite file or PostgreSQL, whichever runs).

Seqs come from the thread row locked inside the send transaction: whatever the interleaving, a
conversation's seqs are 1..N with no gap and no duplicate, and every message is pushed once.
"""

import threading

import pytest
from django.db import connections

from inbox import events, services
from inbox.models import Message, Participant, Thread
from inbox.services import Refused

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 6


def run_together(count, work):
    """Run work(0) .. work(count - 1) in threads released at the same instant; return their results."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def runner(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.fixture
def pushed(monkeypatch):
    """The message ids each push announced (collected from every thread)."""
    ids, lock = [], threading.Lock()

    def collect(batch):
        with lock:
            ids.extend({frame["message"]["id"] for _group, frame in batch if frame["type"] == "message.new"})

    monkeypatch.setattr(events, "dispatch", collect)
    return ids


def test_concurrent_sends_get_contiguous_seqs_without_duplicates(make_thread, alice, bob, carol, no_rate_limit, pushed):
    thread = make_thread(alice, bob, carol)  # seq 1 is the system line
    people = [alice, bob, carol]
    per_worker = 15

    def send_many(index):
        return [
            services.send_message(sender=people[index % 3], thread=thread.pk, body=f"w{index} m{n}")[0].seq
            for n in range(per_worker)
        ]

    seqs = sorted(seq for batch in run_together(WORKERS, send_many) for seq in batch)
    total = WORKERS * per_worker + 1
    assert seqs == list(range(2, total + 1))
    stored = list(Message.objects.filter(thread=thread).order_by("seq").values_list("seq", flat=True))
    assert stored == list(range(1, total + 1))
    thread.refresh_from_db()
    assert thread.last_seq == total
    assert thread.last_message.seq == total
    # Each worker's own messages kept their order: seq follows commit order.
    for index in range(WORKERS):
        mine = list(Message.objects.filter(thread=thread, body__startswith=f"w{index} ").order_by("seq"))
        assert [m.body for m in mine] == [f"w{index} m{n}" for n in range(per_worker)]
    # Every message (the system line included) was pushed, once.
    assert sorted(pushed) == sorted(Message.objects.filter(thread=thread).values_list("pk", flat=True))
    # Read marks: each sender's mark is at least their own newest message.
    for person in people:
        newest = Message.objects.filter(thread=thread, sender=person).order_by("-seq").first()
        assert Participant.objects.get(thread=thread, user=person).last_read_seq >= newest.seq


def test_concurrent_retries_of_one_client_id_store_one_message(make_thread, alice, bob, no_rate_limit, pushed):
    thread = make_thread(alice, bob)

    def retry(_index):
        message, created = services.send_message(sender=alice, thread=thread, body="only once", client_id="same-id")
        return message.pk, created

    results = run_together(WORKERS, retry)
    assert len({pk for pk, _created in results}) == 1
    assert sorted(created for _pk, created in results) == [False] * (WORKERS - 1) + [True]
    assert Message.objects.filter(thread=thread).count() == 1
    thread.refresh_from_db()
    assert thread.last_seq == 1
    assert len(pushed) == 1


def test_concurrent_starts_for_one_pair_make_one_thread(alice, bob):
    def start(index):
        creator, other = (alice, bob) if index % 2 else (bob, alice)
        thread, created = services.start_thread(creator=creator, recipients=[other])
        return thread.pk, created

    results = run_together(WORKERS, start)
    assert len({pk for pk, _created in results}) == 1
    assert [created for _pk, created in results].count(True) == 1
    assert Thread.objects.count() == 1
    assert Participant.objects.count() == 2


def test_a_member_removed_during_a_burst_of_sends_gets_nothing_in_afterwards(make_thread, alice, bob, carol,
                                                                            no_rate_limit, pushed):
    thread = make_thread(alice, bob, carol)

    def work(index):
        if index == 0:
            services.remove_participant(user=alice, thread=thread, member=carol)
            return "removed"
        sent = 0
        for n in range(40):
            try:
                services.send_message(sender=carol, thread=thread, body=f"carol {index}.{n}")
                sent += 1
            except Refused as refusal:
                assert refusal.code == "not_found"
                return sent
        return sent

    run_together(4, work)
    removal = Message.objects.get(thread=thread, body="alice removed carol")
    assert not Message.objects.filter(thread=thread, sender=carol, seq__gt=removal.seq).exists()
    seqs = list(Message.objects.filter(thread=thread).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
