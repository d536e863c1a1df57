"""Comments, "Reply privately" on posts and comments, "Send", and cards that outlive what they quote."""

import pytest
from django.core.cache import cache

from accounts import services as accounts_services
from accounts.models import Profile
from common.errors import Refused
from inbox.models import Message, Participant
from media.models import Attachment
from posts import services
from posts.models import Comment
from tests.posts.conftest import picture


def set_policy(user, policy):
    Profile.objects.filter(user=user).update(message_policy=policy)


# --- Comments --------------------------------------------------------------------------------


def test_comment_form_has_its_label_and_button(client, alice, bob, make_post):
    post = make_post(alice)
    client.force_login(bob)
    html = client.get(f"/p/{post.pk}/").content.decode()
    assert '<label for="id_body">Add a comment</label>' in html
    assert '<button type="submit" class="button button-primary">Comment</button>' in html
    response = client.post(f"/p/{post.pk}/comments/", {"body": "Nice <b>view</b>"})
    assert response.status_code == 302
    html = client.get(f"/p/{post.pk}/").content.decode()
    assert "Nice &lt;b&gt;view&lt;/b&gt;" in html


def test_blocked_people_cannot_comment_either_way(client, alice, bob, carol, make_post):
    post = make_post(alice)
    accounts_services.block(blocker=alice, blocked=bob)
    with pytest.raises(Refused) as refused:
        services.add_comment(author=bob, post=post, body="Let me in")
    assert refused.value.code == "not_found"
    client.force_login(bob)
    assert client.post(f"/p/{post.pk}/comments/", {"body": "Let me in"}).status_code == 404
    # And the other way: bob blocked carol, carol's post cannot get bob's comments.
    carols = make_post(carol)
    accounts_services.block(blocker=bob, blocked=carol)
    with pytest.raises(Refused):
        services.add_comment(author=bob, post=carols, body="Hi")
    assert Comment.objects.count() == 0


def test_the_author_turns_comments_off(client, alice, bob, make_post):
    post = make_post(alice)
    client.force_login(alice)
    client.post(f"/p/{post.pk}/comments/toggle/", {"enabled": "0"})
    with pytest.raises(Refused) as refused:
        services.add_comment(author=bob, post=post, body="Too late")
    assert refused.value.code == "comments_off"
    client.force_login(bob)
    html = client.get(f"/p/{post.pk}/").content.decode()
    assert "Comments are turned off for this post." in html and "Add a comment" not in html


def test_comments_are_rate_limited(settings, alice, bob, make_post):
    settings.COMMENTS_PER_HOUR = 3
    post = make_post(alice)
    for n in range(3):
        services.add_comment(author=bob, post=post, body=f"Comment {n}")
    with pytest.raises(Refused) as refused:
        services.add_comment(author=bob, post=post, body="One more")
    assert refused.value.code == "rate_limited" and refused.value.retry_after
    assert Comment.objects.count() == 3


def test_post_author_deletes_any_comment_commenter_only_their_own(alice, bob, carol, make_post):
    post = make_post(alice)
    bobs = services.add_comment(author=bob, post=post, body="Bob's")
    carols = services.add_comment(author=carol, post=post, body="Carol's")
    with pytest.raises(Refused):
        services.delete_comment(user=carol, comment=Comment.objects.select_related("post").get(pk=bobs.pk))
    services.delete_comment(user=carol, comment=Comment.objects.select_related("post").get(pk=carols.pk))
    services.delete_comment(user=alice, comment=Comment.objects.select_related("post").get(pk=bobs.pk))
    assert Comment.objects.count() == 0


# --- Reply privately -------------------------------------------------------------------------


def test_reply_privately_on_a_post_sends_a_dm_with_the_posts_card(client, alice, bob, make_post):
    post = make_post(alice, "Roasting day tomorrow", [picture()])
    client.force_login(bob)
    form = client.get(f"/p/{post.pk}/reply/").content.decode()
    assert "Roasting day tomorrow" in form and '<button type="submit" class="button button-primary">Send</button>' in form
    response = client.post(f"/p/{post.pk}/reply/", {"body": "Is the Guji back?"})
    assert response.status_code == 302
    message = Message.objects.get(kind=Message.Kind.TEXT)
    assert response["Location"] == f"/inbox/{message.thread_id}/"
    assert message.body == "Is the Guji back?"
    assert message.card["label"] == "Replied to your post"
    assert message.card["url"] == f"/p/{post.pk}/"
    assert message.card["thumbnail_url"] == f"/media/{post.pictures.get().attachment_id}/thumbnail/"
    client.force_login(alice)
    html = client.get(f"/inbox/{message.thread_id}/").content.decode()
    assert "Replied to your post" in html and "Roasting day tomorrow" in html


def test_blocked_people_cannot_reply_privately(client, alice, bob, make_post):
    post = make_post(alice)
    accounts_services.block(blocker=alice, blocked=bob)
    with pytest.raises(Refused):
        services.reply_to_post(sender=bob, post=post, body="Hello?")
    client.force_login(bob)
    assert client.post(f"/p/{post.pk}/reply/", {"body": "Hello?"}).status_code == 404
    assert Message.objects.count() == 0


def test_reply_privately_respects_only_people_i_follow(alice, bob, make_post):
    post = make_post(alice)
    set_policy(alice, Profile.MessagePolicy.FOLLOWED)
    with pytest.raises(Refused) as refused:
        services.reply_to_post(sender=bob, post=post, body="Hi")
    assert refused.value.code == "cannot_message"
    assert Message.objects.count() == 0 and Participant.objects.count() == 0


def test_only_the_posts_author_replies_privately_to_a_comment(client, alice, bob, carol, make_post):
    post = make_post(alice, "New opening hours")
    comment = services.add_comment(author=bob, post=post, body="Open on Sundays too?")
    client.force_login(alice)
    page = client.get(f"/p/{post.pk}/").content.decode()
    assert f'href="/p/{post.pk}/comments/{comment.pk}/reply/">Reply privately</a>' in page
    client.force_login(carol)
    assert "Reply privately</a>" not in client.get(f"/p/{post.pk}/").content.decode().split('id="comments"')[1]
    assert client.get(f"/p/{post.pk}/comments/{comment.pk}/reply/").status_code == 404
    with pytest.raises(Refused):
        services.reply_to_comment(sender=carol, comment=comment, body="Not mine")

    client.force_login(alice)
    response = client.post(f"/p/{post.pk}/comments/{comment.pk}/reply/", {"body": "Not on Sundays, sorry!"})
    assert response.status_code == 302
    message = Message.objects.get(kind=Message.Kind.TEXT)
    assert message.sender == alice and message.body == "Not on Sundays, sorry!"
    assert message.card["kind"] == "comment" and message.card["label"] == "Replied to your comment"
    assert message.card["excerpt"] == "Open on Sundays too?"
    assert {p.user_id for p in Participant.objects.filter(thread=message.thread)} == {alice.pk, bob.pk}


# --- Send (share) ----------------------------------------------------------------------------


def test_send_shares_a_post_into_several_conversations(client, alice, bob, carol, make_post):
    from inbox.services import send_message, start_thread

    post = make_post(carol, "Worth sharing")
    with_bob, _ = start_thread(creator=alice, recipients=[bob])
    group, _ = start_thread(creator=alice, recipients=[bob, carol], name="Lake")
    send_message(sender=alice, thread=with_bob, body="hi")
    client.force_login(alice)
    assert "Send to" in client.get(f"/p/{post.pk}/send/").content.decode()
    response = client.post(f"/p/{post.pk}/send/", {"threads": [with_bob.pk, group.pk]})
    assert response.status_code == 302
    cards = Message.objects.filter(card_key=f"post:{post.pk}")
    assert {m.thread_id for m in cards} == {with_bob.pk, group.pk}
    assert all(m.card["label"] == "Shared a post" for m in cards)


def test_send_into_someone_elses_conversation_is_refused(client, alice, bob, carol, make_post):
    from inbox.services import start_thread

    post = make_post(alice)
    theirs, _ = start_thread(creator=bob, recipients=[carol])
    with pytest.raises(Refused):
        services.share(sender=alice, thread_ids=[theirs.pk], post=post)
    assert not Message.objects.filter(card_key__isnull=False).exists()


def test_a_member_with_a_block_sees_a_shared_post_as_unavailable(client, alice, bob, carol, make_post):
    from inbox.services import start_thread

    post = make_post(carol, "Carol's secret recipe")
    group, _ = start_thread(creator=alice, recipients=[bob, carol], name="Cooks")
    services.share(sender=alice, thread_ids=[group.pk], post=post)
    accounts_services.block(blocker=carol, blocked=bob)
    client.force_login(bob)
    html = client.get(f"/inbox/{group.pk}/").content.decode()
    assert "This post is unavailable" in html and "Carol&#x27;s secret recipe" not in html
    client.force_login(alice)
    html = client.get(f"/inbox/{group.pk}/").content.decode()
    assert "Carol&#x27;s secret recipe" in html and "This post is unavailable" not in html


# --- Deleting what a card quotes ---------------------------------------------------------------


def test_deleting_a_post_marks_its_cards_and_its_comments_cards_and_removes_its_files(
    client, alice, bob, make_post, stored_files, django_capture_on_commit_callbacks
):
    post = make_post(alice, "Soon gone", [picture(), picture("b.jpg")])
    comment = services.add_comment(author=bob, post=post, body="Lovely")
    services.reply_to_post(sender=bob, post=post, body="About your post")
    services.reply_to_comment(sender=alice, comment=comment, body="Thanks!")
    assert len(stored_files()) == 2  # small pictures are their own thumbnails
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delete_post(user=alice, post=post) == 2
    assert stored_files() == [] and Attachment.objects.count() == 0
    for message in Message.objects.filter(card_key__isnull=False):
        assert message.card["unavailable"] is True and message.card["thumbnail_url"] == ""
    client.force_login(bob)
    html = client.get(f"/inbox/{Message.objects.filter(card_key__isnull=False).first().thread_id}/").content.decode()
    assert "This post is no longer available" in html and "This comment is no longer available" in html
    assert "Soon gone" not in html and "Lovely" not in html


def test_deleting_a_comment_marks_its_cards(alice, bob, make_post):
    post = make_post(alice)
    comment = services.add_comment(author=bob, post=post, body="Gone soon")
    services.reply_to_comment(sender=alice, comment=comment, body="Replying")
    services.delete_comment(user=bob, comment=Comment.objects.select_related("post").get(pk=comment.pk))
    card = Message.objects.get(card_key=f"comment:{comment.pk}").card
    assert card["unavailable"] is True and card["unavailable_text"] == "This comment is no longer available"
    assert card["excerpt"] == ""


def test_a_private_reply_needs_words(client, alice, bob, make_post):
    post = make_post(alice)
    with pytest.raises(Refused) as refused:
        services.reply_to_post(sender=bob, post=post, body="  ")
    assert refused.value.code == "empty_body"
    client.force_login(bob)
    assert client.post(f"/p/{post.pk}/reply/", {"body": ""}).status_code == 400
    assert Message.objects.count() == 0


def test_deleting_an_account_takes_its_posts_pictures_and_stories(alice, bob, make_post, make_story, follows):
    from django.db import connection, transaction

    post = make_post(alice, "Mine", [picture()])
    services.add_comment(author=bob, post=post, body="Nice")
    make_story(alice)
    with transaction.atomic():
        alice.delete()
    # Picture and story rows point at attachments without a cascade from them: none may be left dangling.
    connection.check_constraints()
    assert Attachment.objects.count() == 0 and Comment.objects.count() == 0


def test_comments_of_people_i_blocked_are_left_out_for_me(client, alice, bob, carol, make_post):
    post = make_post(alice)
    services.add_comment(author=bob, post=post, body="Bob was here")
    accounts_services.block(blocker=carol, blocked=bob)
    client.force_login(carol)
    assert "Bob was here" not in client.get(f"/p/{post.pk}/").content.decode()
    client.force_login(alice)
    assert "Bob was here" in client.get(f"/p/{post.pk}/").content.decode()


def test_sending_to_a_made_up_conversation_id_is_a_bad_request(alice, make_post):
    post = make_post(alice)
    for ids in (["abc"], [0], [True], []):
        with pytest.raises(Refused) as refused:
            services.share(sender=alice, thread_ids=ids, post=post)
        assert refused.value.code == "bad_request"
