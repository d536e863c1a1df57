"""An account deleted takes its posts, comments and stories with it (accounts.services.delete_account)."""

import pytest

from accounts import services as accounts_services
from posts import services
from posts.models import Comment, Post, Story

pytestmark = pytest.mark.django_db


def test_their_posts_comments_and_stories_go_and_others_stay(alice, bob, make_post, make_story):
    bobs_post = make_post(bob, "bob's thoughts")
    alices_post = make_post(alice, "alice's news")
    services.add_comment(author=bob, post=alices_post, body="nice!")
    make_story(bob)
    accounts_services.delete_account(user=bob)
    assert not Post.objects.filter(pk=bobs_post.pk).exists() and Post.objects.filter(pk=alices_post.pk).exists()
    assert not Comment.objects.filter(author=bob).exists() and not Story.objects.filter(author=bob).exists()
