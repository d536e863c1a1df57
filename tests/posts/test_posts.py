"""Posts: publishing with pictures, the feed and its cursor, profiles, deleting, and who sees what."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from accounts import services as accounts_services
from common.errors import Refused
from media.models import Attachment
from posts import services
from posts.models import Post, PostPicture
from tests.posts.conftest import picture


def test_a_post_stores_text_and_up_to_four_pictures_without_exif(alice, make_post, stored_files):
    post = make_post(alice, "Lake loop\nthis morning", [picture(gps=True), picture("b.jpg")])
    assert post.body == "Lake loop\nthis morning"
    pictures = list(PostPicture.objects.filter(post=post).order_by("position").select_related("attachment"))
    assert [p.position for p in pictures] == [0, 1]
    with pictures[0].attachment.file.open("rb") as stored:
        image = Image.open(stored)
        assert not image.getexif()
    assert len(stored_files()) == 2


def test_a_fifth_picture_or_an_overlong_post_is_refused_and_stores_nothing(alice, make_post, stored_files):
    with pytest.raises(Refused) as refused:
        make_post(alice, "Too many", [picture(f"{n}.jpg") for n in range(5)])
    assert refused.value.code == "too_many_files"
    with pytest.raises(Refused) as refused:
        make_post(alice, "x" * 2201)
    assert refused.value.code == "too_long"
    assert make_post(alice, "x" * 2200).body == "x" * 2200
    assert Post.objects.count() == 1 and stored_files() == [] and Attachment.objects.count() == 0


def test_a_file_that_is_not_a_picture_refuses_the_whole_post(alice, stored_files, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.media import samples

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        services.create_post(author=alice, body="Notes", uploaded_files=[
            picture(), SimpleUploadedFile("notes.pdf", samples.pdf(), content_type="application/pdf"),
        ])
    assert Post.objects.count() == 0 and Attachment.objects.count() == 0 and stored_files() == []


def test_post_pictures_are_not_pruned_as_unsent_uploads_nor_attachable_to_a_message(alice, bob, make_post):
    from inbox.services import send_message, start_thread
    from media import services as media_services

    post = make_post(alice, "Kept", [picture()])
    attachment = post.pictures.get().attachment
    Attachment.objects.filter(pk=attachment.pk).update(created=timezone.now() - timedelta(days=3))
    assert media_services.prune_unsent_uploads() == []
    thread, _ = start_thread(creator=alice, recipients=[bob])
    with pytest.raises(Refused) as refused:
        send_message(sender=alice, thread=thread, body="look", attachment_ids=[attachment.pk])
    assert refused.value.code == "attachment_not_found"
    assert Attachment.objects.filter(pk=attachment.pk, message__isnull=True).exists()


def test_post_pictures_are_public_except_to_people_with_a_block(client, alice, bob, carol, make_post):
    post = make_post(alice, "Public", [picture()])
    attachment = post.pictures.get().attachment
    assert client.get(f"/media/{attachment.pk}/thumbnail/").status_code == 200  # logged out
    client.force_login(carol)
    assert client.get(f"/media/{attachment.pk}/").status_code == 200
    accounts_services.block(blocker=alice, blocked=carol)
    assert client.get(f"/media/{attachment.pk}/").status_code == 404


def test_text_is_escaped_with_line_breaks(client, alice, make_post):
    post = make_post(alice, "<script>alert(1)</script>\nsecond line")
    html = client.get(f"/p/{post.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in html


# --- Feed ------------------------------------------------------------------------------------


def test_logged_out_home_keeps_redirecting_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_feed_shows_my_posts_and_those_i_follow_newest_first(client, alice, bob, carol, make_post, follows):
    follows(alice, bob)
    make_post(alice, "Mine first")
    make_post(bob, "Bob's news")
    make_post(carol, "Carol is not followed")
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert "Carol is not followed" not in html
    assert html.index("Bob&#x27;s news") < html.index("Mine first")
    assert 'for="id_body">Write a post</label>' in html
    assert re.search(r'<button type="submit" class="button button-primary">Post</button>', html)


def _bulk_posts(author, count):
    now = timezone.now()
    Post.objects.bulk_create(
        [Post(author=author, body=f"Post number {n}", created=now - timedelta(seconds=n)) for n in range(count)]
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_feed_profile_and_post_pages_keep_their_query_counts(
    count, client, alice, bob, make_post, follows, make_story, django_assert_num_queries
):
    follows(alice, bob)
    make_post(bob, "With a picture", [picture()])
    _bulk_posts(bob, count)
    make_story(bob)
    client.force_login(alice)
    post = Post.objects.filter(author=bob).order_by("-created").first()
    # session, user, feed posts with authors and comment counts, their pictures, the stories row,
    # the "Inbox" badge
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200
    # session, user, person, relationship, posts, their pictures, pinned FAQ, badge, and the
    # business app's part (whether they are a business)
    with django_assert_num_queries(9):
        assert client.get("/u/bob/").status_code == 200
    # session, user, the post with author and count, its pictures, its comments, badge
    with django_assert_num_queries(6):
        assert client.get(f"/p/{post.pk}/").status_code == 200


def test_feed_cursor_neither_repeats_nor_skips_while_new_posts_arrive(alice, bob, follows, make_post):
    follows(alice, bob)
    _bulk_posts(bob, 45)
    seen = []
    posts, cursor = services.feed_page(viewer=alice)
    seen += [post.pk for post in posts]
    pages = 1
    while cursor:
        # Someone posts between every two pages: the next page starts right where the last one ended.
        make_post(bob, f"Arrived during page {pages}")
        posts, cursor = services.feed_page(viewer=alice, before=cursor)
        seen += [post.pk for post in posts]
        pages += 1
    old = list(Post.objects.filter(body__startswith="Post number").values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 45
    assert set(seen) == set(old)
    assert pages == 3
    assert services.newer_in_feed(viewer=alice, after=services.encode_cursor(Post.objects.get(pk=seen[0]))) == 2


def test_feed_cursor_orders_equal_times_by_id(alice, follows):
    moment = timezone.now()
    Post.objects.bulk_create([Post(author=alice, body=str(n), created=moment) for n in range(5)])
    first, cursor = services.feed_page(viewer=alice, limit=2)
    second, cursor = services.feed_page(viewer=alice, before=cursor, limit=2)
    third, cursor = services.feed_page(viewer=alice, before=cursor, limit=2)
    ids = [p.pk for p in first + second + third]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5 and cursor is None


def test_a_bad_cursor_is_refused(alice):
    for cursor in ("nonsense", "-1-2", "12-0", "99999999999999999999999-1"):
        with pytest.raises(Refused):
            services.feed_page(viewer=alice, before=cursor)


def test_new_posts_poll_answers_the_count(client, alice, bob, follows, make_post):
    follows(alice, bob)
    first = make_post(bob, "Old")
    client.force_login(alice)
    cursor = services.encode_cursor(first)
    assert client.get(f"/feed/new-posts/?after={cursor}").json() == {"count": 0}
    make_post(bob, "New")
    assert client.get(f"/feed/new-posts/?after={cursor}").json() == {"count": 1}
    assert client.get("/feed/new-posts/?after=bad").status_code == 400


# --- Profiles, post pages, blocks --------------------------------------------------------------


def test_profile_lists_posts_for_logged_out_visitors(client, alice, make_post):
    make_post(alice, "Hello visitors")
    html = client.get("/u/alice/").content.decode()
    assert "Hello visitors" in html
    assert "Write a post" not in html


def test_post_page_is_readable_logged_out(client, alice, make_post):
    post = make_post(alice, "Open to all")
    response = client.get(f"/p/{post.pk}/")
    assert response.status_code == 200 and "Open to all" in response.content.decode()
    assert "Log in</a> to comment" in response.content.decode()


def test_a_blocked_person_sees_the_blockers_posts_as_unavailable(client, alice, bob, make_post):
    post = make_post(alice, "Not for bob")
    accounts_services.block(blocker=alice, blocked=bob)
    client.force_login(bob)
    response = client.get(f"/p/{post.pk}/")
    assert response.status_code == 404
    assert "This post is unavailable" in response.content.decode()
    assert "Not for bob" not in response.content.decode()
    assert "Not for bob" not in client.get("/u/alice/").content.decode()
    with pytest.raises(Refused):
        services.get_post_for(bob, post.pk)


def test_only_the_author_deletes_a_post(client, alice, bob, make_post):
    post = make_post(alice, "Mine")
    client.force_login(bob)
    client.post(f"/p/{post.pk}/delete/")
    assert Post.objects.filter(pk=post.pk).exists()
    client.force_login(alice)
    client.post(f"/p/{post.pk}/delete/")
    assert not Post.objects.filter(pk=post.pk).exists()


def test_creating_a_post_through_the_form(client, alice):
    client.force_login(alice)
    response = client.post("/posts/new/", {"body": "From the form", "next": "/", "pictures": [picture()]})
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.body == "From the form" and post.pictures.count() == 1


def test_pinned_faq_at_most_three_shown_on_the_profile(client, alice, make_post):
    posts = [make_post(alice, f"Question {n}?") for n in range(4)]
    for post in posts[:3]:
        services.pin_post(user=alice, post=post, pinned=True)
    with pytest.raises(Refused) as refused:
        services.pin_post(user=alice, post=posts[3], pinned=True)
    assert refused.value.code == "too_many_pinned"
    html = client.get("/u/alice/").content.decode()
    faq = html[html.index('id="faq-title"'):html.index("</section>", html.index('id="faq-title"'))]
    assert "Question 0?" in faq and "Question 2?" in faq and "Question 3?" not in faq


def test_deleting_from_the_feed_comes_back_to_the_feed(client, alice, make_post):
    post = make_post(alice)
    client.force_login(alice)
    response = client.post(f"/p/{post.pk}/delete/", {"next": "/"})
    assert response["Location"] == "/"
    assert not Post.objects.exists()
