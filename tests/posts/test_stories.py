"""Stories: followers only, 24 hours, the viewer, replies into DMs (and Requests), pruning, file privacy."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts import services as accounts_services
from common.errors import Refused
from inbox.models import Message, Participant
from media.models import Attachment
from posts import services
from posts.models import Story, StoryView
from tests.media import samples


def expire(story):
    Story.objects.filter(pk=story.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_followers_see_the_ring_and_the_story_others_do_not(client, alice, bob, carol, make_story, follows):
    follows(carol, bob)
    story = make_story(bob, "Morning ride")
    client.force_login(carol)
    feed = client.get("/").content.decode()
    assert f'href="/stories/{story.pk}/" data-story-ring="bob"' in feed
    page = client.get(f"/stories/{story.pk}/").content.decode()
    assert "Morning ride" in page
    assert '<label for="id_body" class="visually-hidden">Reply to bob…</label>' in page
    client.force_login(alice)  # does not follow bob
    assert 'data-story-ring="bob"' not in client.get("/").content.decode()
    assert client.get(f"/stories/{story.pk}/").status_code == 404


def test_story_files_are_private_to_followers(client, alice, bob, carol, make_story, follows):
    follows(carol, bob)
    story = make_story(bob)
    url = f"/media/{story.attachment_id}/"
    assert client.get(url).status_code == 404  # logged out
    client.force_login(alice)  # not a follower
    assert client.get(url).status_code == 404
    client.force_login(carol)
    assert client.get(url).status_code == 200
    client.force_login(bob)
    assert client.get(url).status_code == 200
    expire(story)
    client.force_login(carol)
    assert client.get(url).status_code == 404


def test_the_author_sees_who_viewed(client, alice, bob, carol, make_story, follows):
    follows(carol, bob)
    follows(alice, bob)
    story = make_story(bob)
    client.force_login(carol)
    client.get(f"/stories/{story.pk}/")
    client.get(f"/stories/{story.pk}/")
    assert StoryView.objects.filter(story=story).count() == 1
    client.force_login(bob)
    page = client.get(f"/stories/{story.pk}/").content.decode()
    assert "Seen by 1" in page and "Carol Diaz" in page
    assert StoryView.objects.filter(story=story).count() == 1  # the author's own look counts nothing
    with pytest.raises(Refused):
        services.story_viewers(user=carol, story=story)


def test_next_and_previous_follow_the_rings(client, alice, bob, carol, make_story, follows):
    follows(alice, bob)
    follows(alice, carol)
    first = make_story(bob, "one")
    second = make_story(bob, "two")
    client.force_login(alice)
    page = client.get(f"/stories/{first.pk}/").content.decode()
    assert f'href="/stories/{second.pk}/" rel="next"' in page and 'rel="prev"' not in page
    page = client.get(f"/stories/{second.pk}/").content.decode()
    assert f'href="/stories/{first.pk}/" rel="prev"' in page


def test_a_story_reply_to_someone_who_does_not_follow_back_lands_in_their_requests(client, bob, carol, make_story, follows):
    follows(carol, bob)  # bob does not follow carol
    story = make_story(bob, "Lake at dawn")
    client.force_login(carol)
    response = client.post(f"/stories/{story.pk}/reply/", {"body": "Gorgeous!"})
    assert response.status_code == 302
    message = Message.objects.get(kind=Message.Kind.TEXT)
    assert message.card["label"] == "Replied to your story"
    assert message.card["thumbnail_url"] == f"/media/{story.attachment_id}/thumbnail/"
    bobs = Participant.objects.get(thread=message.thread, user=bob)
    assert bobs.state == Participant.State.REQUEST


def test_a_story_reply_to_a_follower_lands_in_the_inbox(bob, carol, make_story, follows):
    follows(carol, bob)
    follows(bob, carol)
    story = make_story(bob)
    _thread, message = services.reply_to_story(sender=carol, story=story, body="Nice")
    assert Participant.objects.get(thread=message.thread, user=bob).state == Participant.State.ACCEPTED


def test_blocked_people_cannot_reply_to_a_story(bob, carol, make_story, follows):
    follows(carol, bob)
    story = make_story(bob)
    accounts_services.block(blocker=bob, blocked=carol)  # the block also ends carol's follow
    with pytest.raises(Refused):
        services.reply_to_story(sender=carol, story=story, body="Hey")
    assert Message.objects.count() == 0


def test_an_expired_story_disappears_and_prune_marks_its_cards_and_deletes_its_files(
    client, bob, carol, make_story, follows, stored_files, django_capture_on_commit_callbacks
):
    follows(carol, bob)
    story = make_story(bob, "Sunset")
    services.reply_to_story(sender=carol, story=story, body="Wow")
    assert stored_files()
    expire(story)
    client.force_login(carol)
    assert 'data-story-ring="bob"' not in client.get("/").content.decode()
    assert client.get(f"/stories/{story.pk}/").status_code == 404

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("prune_stories", stdout=out)
    assert out.getvalue().strip() == "Pruned 1 expired story: 1 file deleted, 1 card marked no longer available."
    assert stored_files() == [] and Attachment.objects.count() == 0 and Story.objects.count() == 0
    card = Message.objects.get(kind=Message.Kind.TEXT).card
    assert card["unavailable"] is True and card["thumbnail_url"] == ""
    client.force_login(bob)
    html = client.get(f"/inbox/{Message.objects.get(kind=Message.Kind.TEXT).thread_id}/").content.decode()
    assert "This story is no longer available" in html and "Sunset" not in html

    again = StringIO()
    call_command("prune_stories", stdout=again)
    assert again.getvalue().strip() == "Pruned 0 expired stories: 0 files deleted, 0 cards marked no longer available."


def test_a_live_story_is_not_pruned(bob, make_story):
    make_story(bob)
    assert services.prune_stories() == (0, 0, 0)
    assert Story.objects.count() == 1


def test_a_shared_story_is_unavailable_to_members_who_do_not_follow(client, alice, bob, carol, make_story, follows):
    from inbox.services import start_thread

    follows(alice, bob)
    story = make_story(bob, "Only for followers")
    group, _ = start_thread(creator=alice, recipients=[bob, carol], name="Riders")
    services.share(sender=alice, thread_ids=[group.pk], story=story)
    client.force_login(carol)
    html = client.get(f"/inbox/{group.pk}/").content.decode()
    assert "This story is unavailable" in html and "Only for followers" not in html
    client.force_login(alice)
    assert "Only for followers" in client.get(f"/inbox/{group.pk}/").content.decode()


def test_a_story_must_be_a_picture_or_a_video(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.media import samples

    with pytest.raises(Refused):
        services.create_story(author=alice, uploaded_file=SimpleUploadedFile("a.pdf", samples.pdf()))
    assert Story.objects.count() == 0


def test_a_video_story_plays_in_the_viewer_and_its_card_has_no_thumbnail(client, bob, carol, follows):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.media import samples

    follows(carol, bob)
    story = services.create_story(author=bob, uploaded_file=SimpleUploadedFile("ride.mp4", samples.movie(15)))
    assert story.is_video
    client.force_login(carol)
    page = client.get(f"/stories/{story.pk}/").content.decode()
    assert f'<video class="story-media" src="/media/{story.attachment_id}/"' in page
    _thread, message = services.reply_to_story(sender=carol, story=story, body="Fast!")
    assert message.card["thumbnail_url"] == ""


@pytest.mark.parametrize(
    "name, data",
    [
        ("ride.mp4", samples.movie(125, timescale=90_000, moov_at_end=True)),
        ("IMG_0001.MOV", samples.movie(125, brand=b"qt  ", version=1)),
        ("ride.webm", samples.webm_with_duration(125)),
    ],
    ids=["mp4, moov at the end", "quicktime, version 1 header", "webm"],
)
def test_a_story_video_over_a_minute_is_refused_and_nothing_is_kept(client, alice, name, data, stored_files):
    client.force_login(alice)
    response = client.post("/stories/new/", {"file": SimpleUploadedFile(name, data), "caption": "Long ride"})
    assert response.status_code == 400
    assert "A story video can be at most 60 seconds long (this one is 2 min 5 s)." in response.content.decode()
    assert not Story.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == []


def test_a_story_video_of_a_minute_is_fine_and_one_that_does_not_say_its_length_is_refused(alice, stored_files):
    story = services.create_story(author=alice, uploaded_file=SimpleUploadedFile("a.mp4", samples.movie(60.4)))
    assert story.is_video
    with pytest.raises(Refused) as refused:
        services.create_story(author=alice, uploaded_file=SimpleUploadedFile("b.mp4", samples.movie(60.6)))
    assert refused.value.detail == "A story video can be at most 60 seconds long (this one is 1 min 1 s)."
    with pytest.raises(Refused) as refused:
        services.create_story(author=alice, uploaded_file=SimpleUploadedFile("c.mp4", samples.iso_media()))
    assert refused.value.code == "video_length_unknown"
    assert Story.objects.count() == Attachment.objects.count() == 1
    assert len(stored_files()) == 1


def test_videos_sent_in_messages_have_no_length_limit(alice):
    from media import services as media_services

    attachment = media_services.store_upload(owner=alice, uploaded_file=SimpleUploadedFile("talk.mp4", samples.movie(3600)))
    assert attachment.kind == "video"
