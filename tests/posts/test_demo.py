from django.core.management import call_command

from accounts.models import User
from posts import services
from posts.models import Comment, Post, Story


def test_seed_demo_fills_the_feed_once_with_posts_comments_a_business_faq_and_a_live_story(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    counts = (Post.objects.count(), Comment.objects.count(), Story.objects.count())
    assert counts[0] >= 5 and counts[1] >= 3 and counts[2] == 1
    northwind = User.objects.get(username="northwind")
    assert len(services.pinned_posts(viewer=northwind, author=northwind)) == 3
    alice = User.objects.get(username="alice")
    posts, _cursor = services.feed_page(viewer=alice)
    assert len(posts) >= 5
    assert [author.username for author, _stories, _seen in services.story_rings(alice)] == ["bob"]

    call_command("seed_demo", verbosity=0)
    assert (Post.objects.count(), Comment.objects.count(), Story.objects.count()) == counts
