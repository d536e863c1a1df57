"""Removing a message for everyone (moderation, after a report): the row keeps its place, the words
and files go, every participant's open pages are told, and every later view says it was removed."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from inbox import events, services
from inbox.models import Message
from media import services as media_services
from media.models import Attachment
from tests.media import samples


pytestmark = pytest.mark.django_db

REMOVED = "This message was removed"


@pytest.fixture
def staff(db):
    return User.objects.create_user("mod", "mod@example.com", "x-long-password", is_staff=True)


@pytest.fixture
def direct(make_thread, alice, bob):
    return make_thread(alice, bob)


def sent(sender, thread, body="you will regret this", files=()):
    ids = [media_services.store_upload(owner=sender, uploaded_file=SimpleUploadedFile(name, data)).pk
           for name, data in files]
    return services.send_message(sender=sender, thread=thread, body=body, attachment_ids=ids)[0]


def test_removing_keeps_the_row_in_its_place_and_blanks_it(direct, alice, bob, staff):
    before = sent(alice, direct, "hello")
    message = sent(alice, direct, files=[("beach.jpg", samples.jpeg())])
    after = sent(bob, direct, "what?")

    removed = services.remove_message(message=message, removed_by=staff)

    message.refresh_from_db()
    assert (message.seq, message.body, message.removed_by, message.is_removed) == (2, "", staff, True)
    assert removed.pk == message.pk and message.removed_at is not None
    assert not Attachment.objects.filter(message=message).exists()
    assert [m.pk for m in services.messages_page(thread=direct)] == [before.pk, message.pk, after.pk]
    direct.refresh_from_db()
    assert direct.last_seq == 3


def test_every_participant_hears_message_removed_with_the_new_html_after_commit(
    make_thread, alice, bob, carol, staff, pushes, django_capture_on_commit_callbacks
):
    group = make_thread(alice, bob, carol, name="Trip")
    message = sent(bob, group, files=[("plan.pdf", samples.pdf())])
    outsider_thread = make_thread(carol, staff)
    pushes.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        services.remove_message(message=message, removed_by=staff)
    assert pushes == []  # nobody hears of it before the commit
    for callback in callbacks:
        callback()

    frames = [(group_name, frame) for group_name, frame in pushes if frame["type"] == "message.removed"]
    assert sorted(group_name for group_name, _frame in frames) == sorted(f"user.{u.pk}" for u in (alice, bob, carol))
    frame = frames[0][1]
    assert json.loads(json.dumps(frame)) == frame
    assert {key: frame[key] for key in ("type", "thread", "message")} == {
        "type": "message.removed", "thread": group.pk, "message": {"id": message.pk, "seq": message.seq},
    }
    assert REMOVED in frame["html"] and "you will regret this" not in frame["html"]
    assert "plan.pdf" not in frame["html"] and "Report" not in frame["html"]
    assert f'id="message-{message.pk}"' in frame["html"] and 'data-sender="bob"' in frame["html"]
    assert f"user.{staff.pk}" not in {group_name for group_name, _frame in pushes} and outsider_thread


def test_removing_deletes_the_files_after_commit(direct, alice, staff, isolated_storage,
                                                 django_capture_on_commit_callbacks):
    message = sent(alice, direct, files=[("wide.jpg", samples.jpeg(size=(1600, 900))), ("plan.pdf", samples.pdf())])
    stored = [path for path in isolated_storage.rglob("*") if path.is_file()]
    assert len(stored) == 3

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_message(message=message, removed_by=staff)

    assert [path for path in isolated_storage.rglob("*") if path.is_file()] == []


def test_a_rolled_back_removal_changes_nothing(direct, alice, staff, isolated_storage, pushes,
                                               django_capture_on_commit_callbacks):
    from django.db import transaction

    message = sent(alice, direct, files=[("plan.pdf", samples.pdf())])
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.remove_message(message=message, removed_by=staff)
        raise RuntimeError("the report could not be resolved")

    message.refresh_from_db()
    assert message.body == "you will regret this" and message.removed_at is None
    assert message.attachments.count() == 1 and len([p for p in isolated_storage.rglob("*") if p.is_file()]) == 1
    assert pushes == []


def test_a_message_is_removed_once_and_system_lines_never(make_thread, alice, bob, carol, staff):
    group = make_thread(alice, bob, carol)
    message = sent(alice, group)
    services.remove_message(message=message, removed_by=staff)

    with pytest.raises(services.Refused) as again:
        services.remove_message(message=message, removed_by=staff)
    system_line = Message.objects.get(thread=group, seq=1)
    with pytest.raises(services.Refused) as system:
        services.remove_message(message=system_line, removed_by=staff)
    gone = Message(pk=999_999)
    with pytest.raises(services.Refused) as missing:
        services.remove_message(message=gone, removed_by=staff)

    assert (again.value.code, system.value.code, missing.value.code) == ("already_removed", "not_allowed", "not_found")
    system_line.refresh_from_db()
    assert system_line.body == "alice created the group"


def test_the_page_the_sync_and_the_inbox_row_all_say_removed(direct, alice, bob, staff, client):
    sent(alice, direct, "hello")
    message = sent(alice, direct, files=[("beach.jpg", samples.jpeg())])
    services.remove_message(message=message, removed_by=staff)
    client.force_login(bob)

    page = client.get(f"/inbox/{direct.pk}/").content.decode()
    assert REMOVED in page and "you will regret this" not in page and "beach.jpg" not in page
    assert page.count('message-report"') == 1  # only on the message still there
    assert REMOVED in client.get("/inbox/").content.decode()

    (missed,) = services.messages_after(user=bob, thread=direct, after_seq=1)
    frame = events.message_frame(missed)
    assert frame["message"]["body"] == "" and frame["message"]["attachments"] == []
    assert REMOVED in frame["html"] and "data-removed" in frame["html"]


def test_removal_costs_a_fixed_number_of_queries(direct, alice, staff, django_assert_num_queries,
                                                django_capture_on_commit_callbacks):
    message = sent(alice, direct, files=[(f"{n}.txt", b"notes\n") for n in range(5)])

    # savepoint; the thread's change number; blank and mark the row; the files' names; delete the
    # attachment rows; delete its reactions; the message with sender and profile for the new html; release
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(8):
        services.remove_message(message=message, removed_by=staff)
    # after commit: the members for the push (the files' deletion touches storage only)
    with django_assert_num_queries(1):
        for callback in callbacks:
            callback()
