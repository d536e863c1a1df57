"""E-mails about unread messages: who gets one, what it says, at most once, and unsubscribing."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import services as accounts_services
from inbox import services as inbox
from inbox.models import Message
from notifications import services
from notifications.models import EmailSettings
from tests.inbox.conftest import make_thread, make_user  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=20)


@pytest.fixture(autouse=True)
def site(settings, no_limits):
    settings.PARLEY_SITE_URL = "https://parley.example"


@pytest.fixture
def emailed(make_user):
    """make_user with an e-mail address."""
    def make(username, **extra):
        user = make_user(username, **extra)
        user.email = f"{username}@example.com"
        user.save(update_fields=["email"])
        return user
    return make


@pytest.fixture
def people(emailed):
    return emailed("alice", display_name="Alice Martin"), emailed("bob", display_name="Bob Okafor"), emailed("carol")


def say(sender, thread, body="hello"):
    return inbox.send_message(sender=sender, thread=thread, body=body)[0]


def run(now=None):
    return services.send_unread_emails(now=now or timezone.now() + LATER)


def test_an_unread_message_is_emailed_once_after_the_delay_naming_sender_not_words(people, make_thread):
    alice, bob, _carol = people
    thread = make_thread(bob, alice)
    say(bob, thread, "the surprise party is on Friday")
    assert services.send_unread_emails(now=timezone.now()) == 0  # not yet: the delay has not passed
    assert run() == 1
    (email,) = mail.outbox
    assert email.to == ["alice@example.com"] and email.subject == "Bob Okafor sent you a message"
    assert "Bob Okafor sent you a message on Parley." in email.body
    assert "surprise party" not in email.body
    assert f"https://parley.example/inbox/{thread.pk}/" in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.extra_headers["List-Unsubscribe"].startswith("<https://parley.example/email/unsubscribe/")
    assert run() == 0  # each message once
    say(bob, thread, "and bring snacks")
    assert run() == 1 and "2 messages" in mail.outbox[1].body


def test_the_text_comes_only_when_the_person_chose_it(people, make_thread):
    alice, bob, _carol = people
    services.save_email_settings(user=alice, mode="each", include_text=True)
    say(bob, make_thread(bob, alice), "the surprise party is on Friday")
    run()
    assert "“the surprise party is on Friday”" in mail.outbox[0].body


def test_nothing_for_read_muted_requests_blocked_off_or_own_messages(people, make_thread, emailed):
    alice, bob, carol = people
    read = make_thread(bob, alice)
    say(bob, read)
    inbox.mark_read(user=alice, thread=read)
    muted = make_thread(carol, alice)
    say(carol, muted)
    inbox.set_muted(user=alice, thread=muted, muted=True)
    dave = emailed("dave")
    accounts_services.block(blocker=alice, blocked=dave)
    group = make_thread(bob, alice, carol)
    inbox.mark_read(user=alice, thread=group)
    inbox.mark_read(user=carol, thread=group)
    services.save_email_settings(user=carol, mode="off", include_text=False)
    say(bob, group, "group news")  # alice: e-mailed; carol: off; bob: his own
    assert run() == 1
    assert [email.to for email in mail.outbox] == [["alice@example.com"]]
    assert mail.outbox[0].subject.startswith("New messages in")


def test_a_message_request_sends_nothing(people, make_thread):
    from accounts.models import Profile

    alice, bob, _carol = people
    Profile.objects.filter(user=alice).update(message_policy=Profile.MessagePolicy.REQUESTS)
    say(bob, make_thread(bob, alice), "hi stranger")
    assert run() == 0


def test_a_daily_digest_lists_the_conversations_once_a_day(people, make_thread):
    alice, bob, carol = people
    services.save_email_settings(user=alice, mode="daily", include_text=False)
    say(bob, make_thread(bob, alice), "one")
    say(carol, make_thread(carol, alice), "two")
    now = timezone.now() + LATER
    assert services.send_unread_emails(now=now) == 1
    (digest,) = mail.outbox
    assert digest.subject == "2 conversations with unread messages"
    assert "Bob Okafor: 1 unread" in digest.body and "carol: 1 unread" in digest.body
    say(bob, make_thread(bob, alice), "three")
    assert services.send_unread_emails(now=now + timedelta(minutes=30)) == 0  # one digest a day


def test_the_command_and_the_unsubscribe_link(people, make_thread):
    alice, bob, _carol = people
    say(bob, make_thread(bob, alice))
    Message.objects.update(created=timezone.now() - LATER)
    call_command("send_unread_emails")
    (email,) = mail.outbox
    url = email.extra_headers["List-Unsubscribe"].strip("<>").replace("https://parley.example", "")
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.get(url).status_code == 200
    assert EmailSettings.objects.filter(user=alice).count() == 0
    assert anonymous.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert EmailSettings.objects.get(user=alice).mode == "off"
    assert anonymous.post(url[:-5] + "xxxx/").status_code == 404


def test_the_settings_page(people, client):
    alice, _bob, _carol = people
    client.force_login(alice)
    page = client.get("/settings/email/").content.decode()
    assert "A daily digest" in page and "Include the message text in e-mails" in page
    client.post("/settings/email/", {"mode": "daily", "include_text": "on"})
    assert (EmailSettings.objects.get(user=alice).mode, EmailSettings.objects.get(user=alice).include_text) == ("daily", True)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_each_email_once(people, make_thread):
    if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]).startswith("file:memorydb"):
        pytest.skip("needs a database that threads share")
    alice, bob, carol = people
    for sender in (bob, carol):
        say(sender, make_thread(sender, alice))
    now = timezone.now() + LATER
    start = threading.Barrier(2)
    counts = []

    def worker():
        from django.db import connections

        start.wait()
        try:
            counts.append(services.send_unread_emails(now=now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(counts) == 2 and len(mail.outbox) == 2
    assert sorted(email.subject for email in mail.outbox) == ["Bob Okafor sent you a message", "carol sent you a message"]


def test_the_worker_sends_them_every_minute_once_scheduled(people, make_thread):
    from io import StringIO

    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from notifications import tasks

    out = StringIO()
    call_command("schedule_background_jobs", stdout=out)
    call_command("schedule_background_jobs", stdout=out)
    assert "Unread e-mails: scheduled" in out.getvalue() and "Unread e-mails: already scheduled" in out.getvalue()
    waiting = DBTaskResult.objects.filter(task_path=tasks.send_unread_emails_task.module_path, status=TaskResultStatus.READY)
    assert waiting.count() == 1
    alice, bob, _carol = people
    say(bob, make_thread(bob, alice))
    Message.objects.update(created=timezone.now() - LATER)
    waiting.delete()
    assert tasks.send_unread_emails_task.call() == {"sent": 1}
    (next_run,) = DBTaskResult.objects.filter(task_path=tasks.send_unread_emails_task.module_path, status=TaskResultStatus.READY)
    assert next_run.run_after > timezone.now()
