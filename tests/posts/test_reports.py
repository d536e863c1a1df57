"""Reports of posts, comments and stories: through the moderation queue, with a snapshot and the access log."""

import pytest
from django.test import Client

from accounts import services as accounts_services
from common.errors import Refused
from inbox.models import Message
from moderation import services as moderation
from moderation.models import Report, StaffAccessLog
from posts import services
from posts.models import Comment, Post
from tests.moderation.test_admin import make_moderator
from tests.posts.conftest import picture

CHOICE = {"reason": "spam", "text": ""}


def test_reporting_a_post_keeps_a_copy_for_the_moderators(client, alice, bob, make_post):
    post = make_post(alice, "Buy followers here!", [picture()])
    client.force_login(bob)
    page = client.get(f"/p/{post.pk}/report/").content.decode()
    assert "Report a post" in page and "Buy followers here!" in page
    response = client.post(f"/p/{post.pk}/report/", {"reason": "spam", "details": ""})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.kind, report.content_ref, report.reported_user) == ("post", str(post.pk), alice)
    assert report.snapshot[0]["body"] == "Buy followers here!" and len(report.snapshot[0]["attachments"]) == 1
    again, created = services.report_post(reporter=bob, post=post, **CHOICE)
    assert not created and again.pk == report.pk


def test_one_cannot_report_ones_own_post_nor_one_behind_a_block(alice, bob, make_post):
    post = make_post(alice)
    with pytest.raises(Refused) as refused:
        services.report_post(reporter=alice, post=post, **CHOICE)
    assert refused.value.code == "not_allowed"
    accounts_services.block(blocker=alice, blocked=bob)
    with pytest.raises(Refused) as refused:
        services.report_post(reporter=bob, post=post, **CHOICE)
    assert refused.value.code == "not_found"
    assert Report.objects.count() == 0


def test_a_moderator_removes_a_reported_comment_and_its_cards_say_so(alice, bob, carol, make_post):
    post = make_post(alice)
    comment = services.add_comment(author=bob, post=post, body="Rude words")
    services.reply_to_comment(sender=alice, comment=comment, body="Please stop")
    report, _ = services.report_comment(reporter=carol, comment=comment, **CHOICE)
    moderator = make_moderator()
    assert Report.Resolution.CONTENT_REMOVED in moderation.available_actions(report)
    moderation.remove_reported_content(report=report, staff=moderator)
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert Message.objects.get(card_key=f"comment:{comment.pk}").card["unavailable"] is True
    report.refresh_from_db()
    assert report.resolution == Report.Resolution.CONTENT_REMOVED
    assert report.snapshot[0]["body"] == "Rude words"


def test_the_report_page_in_the_admin_shows_the_copy_and_logs_the_view(alice, bob, make_post, make_story, follows):
    post = make_post(alice, "Suspicious offer")
    report, _ = services.report_post(reporter=bob, post=post, **CHOICE)
    moderator = make_moderator()
    staff = Client()
    staff.force_login(moderator)
    page = staff.get(f"/admin/moderation/report/{report.pk}/change/").content.decode()
    assert "Suspicious offer" in page and "Remove it for everyone" in page
    assert StaffAccessLog.objects.filter(report=report, staff=moderator).exists()
    response = staff.post(f"/admin/moderation/report/{report.pk}/moderate/remove-content/")
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_a_story_can_be_reported_by_a_follower(alice, bob, make_story, follows):
    follows(bob, alice)
    story = make_story(alice, "Odd caption")
    report, created = services.report_story(reporter=bob, story=story, **CHOICE)
    assert created and report.kind == "story" and report.snapshot[0]["body"] == "Odd caption"


def test_staff_see_posts_comments_and_stories_in_the_admin_read_only(alice, bob, make_post, make_story, follows):
    from accounts.models import User

    post = make_post(alice, "Seen by staff", [picture()])
    comment = services.add_comment(author=bob, post=post, body="A comment")
    story = make_story(alice)
    root = User.objects.create_superuser("root", "root@example.com", "x-long-password")
    staff = Client()
    staff.force_login(root)
    for url in ("/admin/posts/post/", f"/admin/posts/post/{post.pk}/change/", "/admin/posts/comment/",
                f"/admin/posts/comment/{comment.pk}/change/", "/admin/posts/story/",
                f"/admin/posts/story/{story.pk}/change/", "/admin/posts/storyview/"):
        assert staff.get(url).status_code == 200, url
    assert "Seen by staff" in staff.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
    assert staff.get("/admin/posts/post/add/").status_code == 403
    assert staff.post(f"/admin/posts/post/{post.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()
