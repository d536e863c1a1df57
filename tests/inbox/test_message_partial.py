"""The message partial's shortcuts (inbox_tags.message_times, message_author, Message.files, the
hand-written INSERT) give exactly what the plain template tags and the ORM give."""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.template import engines
from django.utils import timezone, translation

from accounts.models import Profile
from inbox import events, services
from inbox.models import Message, Thread
from inbox.templatetags.inbox_tags import message_times
from media import services as media_services


def send(sender, thread, body="hello", **kwargs):
    return services.send_message(sender=sender, thread=thread, body=body, **kwargs)[0]


def reloaded(message):
    return (
        Message.objects.select_related("sender__profile").prefetch_related(media_services.attachments_prefetch())
        .get(pk=message.pk)
    )


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kolkata"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_message_times_say_what_the_date_filters_say(zone, language):
    template = engines["django"].from_string(
        "{{ moment|date:'c' }}|{{ moment|date:'j F Y, H:i' }}|{{ moment|time:'H:i' }}"
    )
    moments = [
        datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=dt_timezone.utc),
        datetime(2026, 3, 29, 0, 30, 5, tzinfo=dt_timezone.utc),  # the night Paris moves its clocks
        datetime(2027, 1, 1, 0, 0, tzinfo=dt_timezone.utc),
    ]
    with timezone.override(zone), translation.override(language):
        for moment in moments:
            times = message_times(moment)
            assert f"{times.iso}|{times.title}|{times.clock}" == template.render({"moment": moment})


def test_a_pushed_message_shows_the_senders_new_name_and_picture(make_thread, alice, bob, pushes,
                                                                 django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, thread, "before")
    before = next(frame["html"] for _group, frame in pushes if frame["type"] == "message.new")
    assert "Alice Martin" in before and "<img" not in before

    Profile.objects.filter(user=alice).update(display_name="Alicia Keyes", avatar="avatars/0123456789abcdef0123.webp")
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(alice, thread, "after")
    after = next(frame["html"] for _group, frame in pushes if frame["type"] == "message.new")
    assert "Alicia Keyes" in after and "Alice Martin" not in after
    assert '<img class="avatar avatar-small" src="/u/alice/avatar/?v=9abcdef0123.webp"' in after


def test_the_pushed_html_is_what_the_page_renders(make_thread, alice, bob, pushes,
                                                  django_capture_on_commit_callbacks):
    thread = make_thread(alice, bob)
    Profile.objects.filter(user=alice).update(avatar="avatars/feedfacefeedface.webp")
    with django_capture_on_commit_callbacks(execute=True):
        message = send(alice, thread, "one\ntwo & <three>", client_id="c-1")
    pushed = next(frame["html"] for _group, frame in pushes if frame["type"] == "message.new")
    assert pushed == events.render_message_html(reloaded(message))


def test_an_inserted_message_reads_back_as_stored(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    message = send(alice, thread, "  trimmed  ", client_id="abc")
    stored = Message.objects.get(pk=message.pk)
    for field in Message._meta.concrete_fields:
        assert getattr(message, field.attname) == getattr(stored, field.attname), field.name
    assert (stored.body, stored.kind, stored.removed_at) == ("trimmed", Message.Kind.TEXT, None)
    thread = Thread.objects.get(pk=thread.pk)
    assert thread.last_message_id == message.pk and thread.last_message_at == stored.created


def test_files_come_from_the_prefetch_without_a_query(make_thread, alice, bob, django_assert_num_queries):
    thread = make_thread(alice, bob)
    message = send(alice, thread)
    with django_assert_num_queries(0):
        assert message.files == []  # the send path left them
    with django_assert_num_queries(2):
        loaded = reloaded(message)
    with django_assert_num_queries(0):
        assert loaded.files == []
    plain = Message.objects.get(pk=message.pk)
    with django_assert_num_queries(1):
        assert plain.files == []
