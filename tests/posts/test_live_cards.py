"""When what a card quotes goes (a post deleted, a comment deleted, a story expired), the open
conversations hear it at once: "message.updated" with the card now "no longer available"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from posts import services
from posts.models import Story


@pytest.fixture
def pushes(monkeypatch):
    from inbox import events

    sent = []
    monkeypatch.setattr(events, "dispatch", lambda batch: sent.extend(batch))
    return sent


def updates(pushes):
    return [(group, frame) for group, frame in pushes if frame["type"] == "message.updated"]


def test_a_deleted_post_or_comment_tells_the_conversations_quoting_it(alice, bob, make_post, pushes,
                                                                      django_capture_on_commit_callbacks):
    post = make_post(alice, "Lake loop")
    comment = services.add_comment(author=bob, post=post, body="Which trail?")
    _thread, reply = services.reply_to_post(sender=bob, post=post, body="Can I join?")
    _thread, answer = services.reply_to_comment(sender=alice, comment=comment, body="The north one")
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_post(user=alice, post=post)
    frames = {frame["message"]["id"]: frame for _group, frame in updates(pushes)}
    assert set(frames) == {reply.pk, answer.pk}
    assert {group for group, _frame in updates(pushes)} == {f"user.{alice.pk}", f"user.{bob.pk}"}
    assert "This post is no longer available" in frames[reply.pk]["html"]
    assert "This comment is no longer available" in frames[answer.pk]["html"]


def test_an_expired_story_tells_the_conversations_quoting_it(alice, bob, carol, make_story, follows, pushes,
                                                              django_capture_on_commit_callbacks):
    follows(carol, bob)
    story = make_story(bob)
    _thread, reply = services.reply_to_story(sender=carol, story=story, body="Lovely")
    Story.objects.filter(pk=story.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.prune_stories()[0] == 1
    frames = [frame for _group, frame in updates(pushes)]
    assert len(frames) == 2 and {frame["message"]["id"] for frame in frames} == {reply.pk}
    assert "This story is no longer available" in frames[0]["html"]
    assert frames[0]["message"]["card"]["thumbnail_url"] == ""
