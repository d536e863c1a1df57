from django.core.management import call_command

from inbox import services
from inbox.demo import DEMO_CONVERSATIONS
from inbox.models import Message, Thread


def test_seed_demo_creates_the_demo_conversations_once(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    threads, messages = Thread.objects.count(), Message.objects.count()
    assert threads == len(DEMO_CONVERSATIONS)
    # Every line of every conversation, plus the group's "created the group" line (cards come
    # from the demo data of the apps above the inbox).
    written = Message.objects.filter(card_key__isnull=True).count()
    assert written == sum(len(lines) for _, _, lines in DEMO_CONVERSATIONS) + 1

    call_command("seed_demo", verbosity=0)
    assert (Thread.objects.count(), Message.objects.count()) == (threads, messages)


def test_the_demo_opens_with_something_unread_for_alice(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    from accounts.models import User

    alice = User.objects.get(username="alice")
    assert services.unread_total(alice) >= 1
    newest_first = [entry.thread.last_message_at for entry in services.inbox_page(user=alice)]
    assert newest_first == sorted(newest_first, reverse=True)


def test_the_demo_has_a_message_request_waiting_for_alice(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    from accounts.models import User

    alice = User.objects.get(username="alice")
    assert services.inbox_counts(alice)["requests"] == 1
    (request,) = services.inbox_page(user=alice, box="requests")
    assert request.thread.last_message.sender.username == "erin"
    # It is a request, not an inbox conversation: Erin is no one Alice follows.
    assert request.thread_id not in {entry.thread_id for entry in services.inbox_page(user=alice, box="all")}
