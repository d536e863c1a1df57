"""The public side's rules: who sees a post, a comment or a story, and every change to them.

Views, the demo, the management command and the tests all come through here. A refusal raises
common.errors.Refused(code, detail). Seeing follows two rules: posts and comments are public
(logged-out visitors included) except to someone with a block either way with the author, who
finds them "unavailable"; stories are seen by their author and the author's followers for 24 hours.

Everything that reaches a DM goes through inbox.services (start_thread, send_message with a card),
so blocks, "who can message me" and Requests apply exactly as for any message. When a post,
comment or story goes, every card quoting it is marked unavailable (inbox.services.update_cards)
and its files are deleted once the deletion commits.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block, Follow
from common import ratelimit
from common.errors import Refused
from inbox import services as inbox_services
from media import services as media_services
from media.models import Attachment
from moderation import services as moderation_services

from .models import (
    MAX_CAPTION_LENGTH, MAX_COMMENT_LENGTH, MAX_PICTURES, MAX_PINNED, MAX_POST_LENGTH, MAX_STORY_VIDEO_SECONDS,
    Comment, Post, PostPicture, Story, StoryView,
)

PAGE_SIZE = 20
COMMENTS_SHOWN = 200
STORY_LIFETIME = timedelta(hours=24)
POST_UNAVAILABLE = "This post is unavailable"
POST_GONE = "This post is no longer available"
COMMENT_GONE = "This comment is no longer available"
STORY_GONE = "This story is no longer available"
STORY_UNAVAILABLE = "This story is unavailable"
HOUR = 3600


# --- Who sees what ---------------------------------------------------------------------------


def blocks_with(viewer):
    """Q over a model with author_id: rows whose author has a block either way with viewer."""
    return Q(author_id__in=Block.objects.filter(blocker_id=viewer.pk).values("blocked_id")) | Q(
        author_id__in=Block.objects.filter(blocked_id=viewer.pk).values("blocker_id")
    )


def visible_posts(viewer):
    """Posts viewer may read: all of them, less those of people with a block either way with viewer."""
    posts = Post.objects.all()
    if viewer.is_authenticated:
        posts = posts.exclude(blocks_with(viewer))
    return posts


def followed_ids(viewer):
    """The ids viewer follows, as a subquery."""
    return Follow.objects.filter(follower_id=viewer.pk).values("followed_id")


def live_stories(viewer, *, now=None):
    """Stories viewer may watch now: their own and those of people they follow, not yet expired.

    A block deletes the follows both ways (accounts.services.block), so no blocked author is left.
    """
    if not viewer.is_authenticated:
        return Story.objects.none()
    now = now or timezone.now()
    return Story.objects.filter(Q(author_id=viewer.pk) | Q(author_id__in=followed_ids(viewer)), expires_at__gt=now)


def pictures_visible_to(user):
    """media access rule: a post's pictures are as public as the post (logged-out visitors included)."""
    posts = Post.objects.all()
    if user.is_authenticated:
        posts = posts.exclude(blocks_with(user))
    return Q(pk__in=PostPicture.objects.filter(post__in=posts).values("attachment_id"))


def story_files_visible_to(user):
    """media access rule: a live story's file, for its author and the author's followers only."""
    return Q(pk__in=live_stories(user).values("attachment_id"))


def claimed_uploads():
    """media claim rule: post pictures and story files are in use although no message carries them."""
    return Q(pk__in=PostPicture.objects.values("attachment_id")) | Q(pk__in=Story.objects.values("attachment_id"))


# --- Reading posts ---------------------------------------------------------------------------


def with_display(posts):
    """What the post partial shows: author and profile, pictures in order, the comment count.

    Two queries for any number of posts (the posts, then all their pictures).
    """
    pictures = PostPicture.objects.select_related("attachment").order_by("position", "pk")
    return (
        posts.select_related("author__profile")
        .annotate(comment_count=Count("comments"))
        .prefetch_related(Prefetch("pictures", queryset=pictures, to_attr="picture_list"))
    )


def encode_cursor(post):
    """The feed's cursor after `post`: its (created, id), as text ("1733575200123456-42")."""
    return f"{_micros(post.created)}-{post.pk}"


def _micros(moment):
    """Whole microseconds since 1970 (exact, unlike float timestamps)."""
    epoch = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
    delta = moment - epoch
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def decode_cursor(cursor):
    """(created, id) from encode_cursor's text; Refused("bad_request") for anything else."""
    try:
        micros, pk = (int(part) for part in str(cursor).split("-", 1))
        if micros < 0 or not 1 <= pk <= media_services.MAX_ID:
            raise ValueError
        moment = datetime(1970, 1, 1, tzinfo=dt_timezone.utc) + timedelta(microseconds=micros)
    except (TypeError, ValueError, OverflowError):
        raise Refused("bad_request", "This page link is not valid.") from None
    return moment, pk


def _page(posts, *, before=None, limit=PAGE_SIZE):
    """One keyset page, newest first by (created, id): (posts, cursor of the next page or None).

    Keyset, not OFFSET: a post published while someone reads shifts nothing, so the next page
    neither repeats nor skips a post. One more row than asked tells whether another page exists.
    """
    if before:
        created, pk = decode_cursor(before)
        posts = posts.filter(Q(created__lt=created) | Q(created=created, pk__lt=pk))
    rows = list(with_display(posts).order_by("-created", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


def feed_posts(viewer):
    """The home feed's posts: viewer's own and those of the people viewer follows."""
    return visible_posts(viewer).filter(Q(author_id=viewer.pk) | Q(author_id__in=followed_ids(viewer)))


def feed_page(*, viewer, before=None, limit=PAGE_SIZE):
    """One page of viewer's home feed, newest first: (posts, next cursor). Two queries."""
    return _page(feed_posts(viewer), before=before, limit=limit)


def newer_in_feed(*, viewer, after):
    """How many feed posts are newer than the cursor `after` (the "New posts" poll). One query."""
    created, pk = decode_cursor(after)
    return feed_posts(viewer).filter(Q(created__gt=created) | Q(created=created, pk__gt=pk)).count()


def newest_cursor(posts):
    return encode_cursor(posts[0]) if posts else f"{_micros(timezone.now())}-{media_services.MAX_ID}"


def profile_page(*, viewer, author, before=None, limit=PAGE_SIZE):
    """One page of author's posts as viewer sees them: (posts, next cursor); none across a block."""
    return _page(visible_posts(viewer).filter(author=author), before=before, limit=limit)


def pinned_posts(*, viewer, author):
    """author's pinned FAQ posts (at most three), first pinned first; none across a block."""
    return list(with_display(visible_posts(viewer).filter(author=author, pinned_at__isnull=False)).order_by("pinned_at"))


def get_post_for(viewer, pk):
    """The post, if viewer may read it; Refused("not_found", "This post is unavailable") otherwise.

    A missing post and one behind a block are refused alike.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Refused("not_found", POST_UNAVAILABLE) from None
    post = with_display(visible_posts(viewer).filter(pk=pk)).first() if 1 <= pk <= media_services.MAX_ID else None
    if post is None:
        raise Refused("not_found", POST_UNAVAILABLE)
    return post


def post_comments(post, *, viewer=None, limit=COMMENTS_SHOWN):
    """The post's comments, oldest first, with authors and profiles (one query).

    With a logged-in viewer, comments by people with a block either way with them are left out.
    """
    comments = post.comments.all()
    if viewer is not None and viewer.is_authenticated:
        comments = comments.exclude(blocks_with(viewer))
    return list(comments.select_related("author__profile").order_by("created", "pk")[:limit])


def get_comment_for(viewer, post, pk):
    comment = Comment.objects.select_related("author__profile", "post").filter(post=post, pk=pk).first()
    if comment is None:
        raise Refused("not_found", "This comment is no longer available.")
    return comment


# --- Writing posts ---------------------------------------------------------------------------


def clean_text(text, *, limit, what, allow_empty=False):
    if not isinstance(text, str):
        raise Refused("bad_request", f"The {what} must be text.")
    text = text.strip()
    if not text and not allow_empty:
        raise Refused("empty_body", f"Write something before posting your {what}.")
    if len(text) > limit:
        raise Refused("too_long", f"A {what} can have at most {limit:,} characters ({len(text):,} given).")
    return text


def _check_rate(name, user, limit):
    wait = ratelimit.consume(name, user.pk, limit=limit, window=HOUR)
    if wait:
        raise Refused("rate_limited", "You're doing that too often. Wait a little, then try again.", retry_after=wait)


def create_post(*, author, body, uploaded_files=()):
    """Publish a post: text up to 2,200 characters and up to 4 pictures (returns the Post).

    Pictures go through media.services.store_uploads: re-encoded without EXIF, with thumbnails.
    All or nothing: any refused file (or a file that is not a picture) deletes the others and
    stores no post. Posts per hour are limited (POSTS_PER_HOUR). Call outside a transaction:
    stored files cannot roll back (media.services.store_upload).
    """
    uploaded_files = [upload for upload in uploaded_files if upload]
    body = clean_text(body, limit=MAX_POST_LENGTH, what="post", allow_empty=bool(uploaded_files))
    if len(uploaded_files) > MAX_PICTURES:
        raise Refused("too_many_files", f"A post can have at most {MAX_PICTURES} pictures.")
    _check_rate("post", author, settings.POSTS_PER_HOUR)
    stored = media_services.store_uploads(owner=author, uploaded_files=uploaded_files)
    try:
        if any(attachment.kind != Attachment.Kind.IMAGE for attachment in stored):
            raise Refused("not_a_picture", "A post's files must be pictures.")
        with transaction.atomic():
            post = Post.objects.create(author=author, body=body)
            PostPicture.objects.bulk_create(
                [PostPicture(post=post, attachment=attachment, position=index) for index, attachment in enumerate(stored)]
            )
    except BaseException:
        media_services.discard_uploads(stored)
        raise
    return post


def _own_post(user, post):
    if not user.is_authenticated or post.author_id != user.pk:
        raise Refused("not_allowed", "Only the post's author can do that.")


def delete_post(*, user, post):
    """The author deletes a post: its comments go with it, its pictures' files after commit, and
    every DM card quoting the post or one of its comments says it is no longer available.

    One transaction. Returns how many cards were marked.
    """
    _own_post(user, post)
    with transaction.atomic():
        marked = len(inbox_services.update_cards(kind="post", ref=post.pk, **_gone(POST_GONE)))
        for comment_id in Comment.objects.filter(post=post).values_list("pk", flat=True):
            marked += len(inbox_services.update_cards(kind="comment", ref=comment_id, **_gone(COMMENT_GONE)))
        attachment_ids = list(PostPicture.objects.filter(post=post).values_list("attachment_id", flat=True))
        media_services.delete_files_of(Attachment.objects.filter(pk__in=attachment_ids))
        Post.objects.filter(pk=post.pk).delete()
        Attachment.objects.filter(pk__in=attachment_ids).delete()
    return marked


def _gone(text):
    return {"unavailable": True, "unavailable_text": text, "excerpt": "", "title": "", "thumbnail_url": ""}


def set_comments_enabled(*, user, post, enabled):
    """The author turns comments on or off (existing comments stay)."""
    _own_post(user, post)
    Post.objects.filter(pk=post.pk).update(comments_enabled=bool(enabled))


def pin_post(*, user, post, pinned):
    """The author pins a post as FAQ (at most three) or unpins it. Refused("too_many_pinned") past three."""
    _own_post(user, post)
    with transaction.atomic():
        if not pinned:
            Post.objects.filter(pk=post.pk).update(pinned_at=None)
            return
        # Serialise one author's pins so two at once cannot make a fourth.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        others = Post.objects.filter(author=user, pinned_at__isnull=False).exclude(pk=post.pk).count()
        if others >= MAX_PINNED:
            raise Refused("too_many_pinned", f"You can pin at most {MAX_PINNED} posts. Unpin one first.")
        Post.objects.filter(pk=post.pk, pinned_at__isnull=True).update(pinned_at=timezone.now())


# --- Comments --------------------------------------------------------------------------------


def add_comment(*, author, post, body):
    """A public comment under a post (returns the Comment).

    Refused: not_found when the commenter may not see the post (a block either way: they cannot
    tell it apart from a deleted post), comments_off when the author turned comments off,
    rate_limited past COMMENTS_PER_HOUR, empty_body / too_long (1,000 characters).
    """
    if not author.is_authenticated:
        raise Refused("not_allowed", "Log in to comment.")
    body = clean_text(body, limit=MAX_COMMENT_LENGTH, what="comment")
    post = get_post_for(author, post.pk)
    if not post.comments_enabled:
        raise Refused("comments_off", "Comments are turned off for this post.")
    _check_rate("comment", author, settings.COMMENTS_PER_HOUR)
    return Comment.objects.create(post=post, author=author, body=body)


def delete_comment(*, user, comment):
    """The commenter, or the post's author, deletes a comment; cards quoting it become unavailable."""
    if not user.is_authenticated or user.pk not in (comment.author_id, comment.post.author_id):
        raise Refused("not_allowed", "Only the comment's author or the post's author can delete it.")
    with transaction.atomic():
        marked = len(inbox_services.update_cards(kind="comment", ref=comment.pk, **_gone(COMMENT_GONE)))
        Comment.objects.filter(pk=comment.pk).delete()
    return marked


# --- Stories ---------------------------------------------------------------------------------


def create_story(*, author, uploaded_file, caption=""):
    """Publish a story: one picture or video with an optional caption, live for 24 hours.

    The file goes through media.services.store_upload (pictures re-encoded without EXIF; a video's
    length read from its header, refused before anything is stored past 60 seconds or when the
    header does not say). Refused for anything but a picture or a video (the file is deleted
    again). Call outside a transaction.
    """
    if not uploaded_file:
        raise Refused("no_file", "Choose a picture or a video for your story.")
    caption = clean_text(caption or "", limit=MAX_CAPTION_LENGTH, what="caption", allow_empty=True)
    _check_rate("story", author, settings.STORIES_PER_HOUR)
    attachment = media_services.store_upload(owner=author, uploaded_file=uploaded_file,
                                             max_video_seconds=MAX_STORY_VIDEO_SECONDS, video_what="story video")
    try:
        if attachment.kind not in (Attachment.Kind.IMAGE, Attachment.Kind.VIDEO):
            raise Refused("not_a_picture", "A story is a picture or a video.")
        now = timezone.now()
        return Story.objects.create(
            author=author, attachment=attachment, caption=caption, created=now, expires_at=now + STORY_LIFETIME
        )
    except BaseException:
        media_services.discard_uploads([attachment])
        raise


def story_rings(viewer):
    """The rings row: [(author, [stories oldest first], all_seen)], unseen rings first, then newest.

    The viewer's own ring comes first when they have one. One query.
    """
    seen = Exists(StoryView.objects.filter(story_id=OuterRef("pk"), viewer_id=viewer.pk))
    stories = (
        live_stories(viewer).select_related("author__profile", "attachment").annotate(seen=seen)
        .order_by("author_id", "created", "pk")
    )
    rings = {}
    for story in stories:
        rings.setdefault(story.author_id, []).append(story)
    result = []
    for author_stories in rings.values():
        author = author_stories[0].author
        all_seen = author.pk == viewer.pk or all(story.seen for story in author_stories)
        result.append((author, author_stories, all_seen))
    result.sort(key=lambda ring: (ring[0].pk != viewer.pk, ring[2], -ring[1][-1].created.timestamp()))
    return result


def get_story_for(viewer, pk):
    """A live story viewer may watch; Refused("not_found") for expired, unknown or not followed."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Refused("not_found", STORY_UNAVAILABLE) from None
    story = live_stories(viewer).select_related("author__profile", "attachment").filter(pk=pk).first()
    if story is None:
        raise Refused("not_found", STORY_UNAVAILABLE)
    return story


def story_sequence(viewer, story):
    """(previous, next) stories around this one in the rings order, for the viewer's arrows."""
    ordered = [item for _author, stories, _seen in story_rings(viewer) for item in stories]
    ids = [item.pk for item in ordered]
    if story.pk not in ids:
        return None, None
    index = ids.index(story.pk)
    previous = ordered[index - 1] if index > 0 else None
    following = ordered[index + 1] if index + 1 < len(ordered) else None
    return previous, following


def mark_story_seen(*, viewer, story):
    """Remember that viewer saw the story (never for its author); seeing it again counts nothing."""
    if viewer.pk != story.author_id:
        StoryView.objects.get_or_create(story=story, viewer=viewer)


def story_viewers(*, user, story):
    """Who saw the story, newest first, for its author only (one query)."""
    if story.author_id != user.pk:
        raise Refused("not_allowed", "Only the story's author sees who viewed it.")
    return list(story.views.select_related("viewer__profile").order_by("-created", "-pk"))


def delete_story(*, user, story):
    """The author deletes a story before it expires: as if it had expired now."""
    if story.author_id != user.pk:
        raise Refused("not_allowed", "Only the story's author can delete it.")
    return _remove_stories([story.pk])


def prune_stories(*, now=None):
    """Delete every expired story: (stories, files, cards). Safe to repeat and to run from cron.

    Per story, in one transaction: its cards in DMs become "This story is no longer available"
    (thumbnail cleared), its attachment row goes (and the story with it), and the stored files
    are deleted after commit. A second run finds nothing.
    """
    now = now or timezone.now()
    expired = list(Story.objects.filter(expires_at__lte=now).values_list("pk", flat=True).order_by("pk"))
    stories = files = cards = 0
    for story_id in expired:
        removed_files, marked = _remove_stories([story_id])
        stories += 1
        files += removed_files
        cards += marked
    return stories, files, cards


def _remove_stories(story_ids):
    with transaction.atomic():
        marked = 0
        for story_id in story_ids:
            marked += len(inbox_services.update_cards(kind="story", ref=story_id, **_gone(STORY_GONE)))
        attachment_ids = list(Story.objects.filter(pk__in=story_ids).values_list("attachment_id", flat=True))
        attachments = Attachment.objects.filter(pk__in=attachment_ids)
        files = media_services.delete_files_of(attachments)
        Story.objects.filter(pk__in=story_ids).delete()
        attachments.delete()
    return files, marked


# --- Cards and the hand-off to private -------------------------------------------------------


def _thumbnail_of(attachment):
    if attachment is None or attachment.kind != Attachment.Kind.IMAGE:
        return ""
    return reverse("media:thumbnail", args=[attachment.pk])


def post_card(post, *, label):
    pictures = getattr(post, "picture_list", None)
    if pictures is None:
        pictures = list(post.pictures.select_related("attachment").order_by("position", "pk")[:1])
    return {
        "kind": "post", "ref": post.pk, "label": label, "title": post.author.display_name,
        "excerpt": post.excerpt or "Photo", "url": reverse("posts:post", args=[post.pk]),
        "thumbnail_url": _thumbnail_of(pictures[0].attachment if pictures else None),
        "unavailable_text": POST_GONE,
    }


def comment_card(comment, *, label):
    words = " ".join(comment.body.split())
    post = comment.post
    picture = post.pictures.select_related("attachment").order_by("position", "pk").first()
    return {
        "kind": "comment", "ref": comment.pk, "label": label, "title": f"On {post.author.display_name}’s post",
        "excerpt": words[:300], "url": reverse("posts:post", args=[post.pk]) + f"#comment-{comment.pk}",
        "thumbnail_url": _thumbnail_of(picture.attachment if picture else None),
        "unavailable_text": COMMENT_GONE,
    }


def story_card(story, *, label):
    return {
        "kind": "story", "ref": story.pk, "label": label, "title": story.author.display_name,
        "excerpt": story.caption, "url": reverse("posts:story", args=[story.pk]),
        "thumbnail_url": _thumbnail_of(story.attachment), "unavailable_text": STORY_GONE,
    }


def _send_to(*, sender, recipient, body, card):
    """Open (or reuse) sender's 1:1 with recipient and send body with the card: (thread, message).

    Through inbox.services, so a block or "Only people I follow" refuses it (cannot_message) and a
    message from outside the recipient's circle lands in their Requests. All or nothing: a refused
    message rolls back a conversation started for it.
    """
    if recipient.pk == sender.pk:
        raise Refused("not_allowed", "That's yours: there is no one to reply to.")
    with transaction.atomic():
        thread, _created = inbox_services.start_thread(creator=sender, recipients=[recipient])
        message, _created = inbox_services.send_message(sender=sender, thread=thread, body=body, card=card)
    return thread, message


def reply_to_post(*, sender, post, body):
    """"Reply privately" on a post: a DM to its author with the post's card ("Replied to your post").

    The words are required, as for the comment and story replies: a card alone says nothing.
    """
    post = get_post_for(sender, post.pk)
    body = inbox_services.clean_body(body)
    return _send_to(sender=sender, recipient=post.author, body=body,
                    card=post_card(post, label="Replied to your post"))


def reply_to_comment(*, sender, comment, body):
    """The post's author answers a comment in private: a DM to the commenter with the comment's card.

    Only the post's author may ("Replied to your comment"); blocks and policies apply as for any DM.
    """
    post = get_post_for(sender, comment.post_id)
    if post.author_id != sender.pk:
        raise Refused("not_allowed", "Only the post's author can reply privately to its comments.")
    comment.post = post
    body = inbox_services.clean_body(body)
    return _send_to(sender=sender, recipient=comment.author, body=body,
                    card=comment_card(comment, label="Replied to your comment"))


def reply_to_story(*, sender, story, body):
    """The story's reply box: a DM to its author with the story's card ("Replied to your story").

    The words are required. A reply to someone who does not follow the replier lands in their Requests.
    """
    story = get_story_for(sender, story.pk)
    body = inbox_services.clean_body(body)
    return _send_to(sender=sender, recipient=story.author, body=body,
                    card=story_card(story, label="Replied to your story"))


def share(*, sender, thread_ids, body="", post=None, story=None):
    """"Send": share a post or a story into some of sender's conversations as a card. Returns the messages.

    Each conversation goes through inbox.services.send_message (membership, blocks, rate limit);
    all or nothing. Members who may not see the post find the card "unavailable" (cards templates).
    """
    if post is not None:
        post = get_post_for(sender, post.pk)
        card = post_card(post, label="Shared a post")
    else:
        story = get_story_for(sender, story.pk)
        card = story_card(story, label="Shared a story")
    thread_ids = _ids(thread_ids)
    if not thread_ids:
        raise Refused("bad_request", "Choose at least one conversation.")
    if len(thread_ids) > 20:
        raise Refused("bad_request", "Choose at most 20 conversations.")
    sent = []
    with transaction.atomic():
        for thread_id in thread_ids:
            thread = inbox_services.get_thread_for(sender, thread_id)
            message, _created = inbox_services.send_message(sender=sender, thread=thread, body=body, card=card)
            sent.append(message)
    return sent


class CardVisibility:
    """Whether one viewer may open what a post or story card shows (templates/cards/, through posts'
    context processor): post cards whose author has a block with the viewer, and story cards the viewer
    may not watch, read "unavailable". One small query each, and only on pages that show such a card."""

    def __init__(self, viewer):
        self.viewer = viewer
        self._posts = None
        self._stories = None

    def post_hidden(self, ref):
        if not self.viewer.is_authenticated:
            return False
        if self._posts is None:
            self._posts = set(Post.objects.filter(blocks_with(self.viewer)).values_list("pk", flat=True))
        return _int(ref) in self._posts

    def story_hidden(self, ref):
        if self._stories is None:
            self._stories = set(live_stories(self.viewer).values_list("pk", flat=True))
        return _int(ref) not in self._stories


def _ids(values):
    """Conversation ids from a form (strings or ints), deduplicated in order; bad_request otherwise."""
    ids = []
    for value in values or ():
        pk = _int(value) if not isinstance(value, bool) else None
        if pk is None or not 1 <= pk <= media_services.MAX_ID:
            raise Refused("bad_request", "Choose conversations from the list.")
        if pk not in ids:
            ids.append(pk)
    return ids


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Reports (through moderation) ------------------------------------------------------------


def _record(*, kind, pk, author, body, created, url, attachments=()):
    """What a report keeps of a post, comment or story: moderation.services.message_record's shape."""
    return {
        "id": pk, "seq": None, "kind": kind, "sender": author.username, "sender_name": author.display_name,
        "body": body, "created": created.isoformat(), "removed": False, "url": url,
        "attachments": [
            {"name": attachment.original_name, "kind": attachment.kind,
             "content_type": attachment.content_type, "size": attachment.size}
            for attachment in attachments
        ],
    }


def report_post(*, reporter, post, **choices):
    """Report a post reporter may see to the moderators (moderation.services.report_content)."""
    post = get_post_for(reporter, post.pk)
    record = _record(kind="post", pk=post.pk, author=post.author, body=post.body, created=post.created,
                     url=reverse("posts:post", args=[post.pk]),
                     attachments=[picture.attachment for picture in post.picture_list])
    return moderation_services.report_content(reporter=reporter, kind="post", ref=post.pk, author=post.author,
                                              record=record, **choices)


def report_comment(*, reporter, comment, **choices):
    """Report a comment under a post reporter may see."""
    post = get_post_for(reporter, comment.post_id)
    record = _record(kind="comment", pk=comment.pk, author=comment.author, body=comment.body, created=comment.created,
                     url=reverse("posts:post", args=[post.pk]) + f"#comment-{comment.pk}")
    return moderation_services.report_content(reporter=reporter, kind="comment", ref=comment.pk,
                                              author=comment.author, record=record, **choices)


def report_story(*, reporter, story, **choices):
    """Report a live story reporter may watch."""
    story = get_story_for(reporter, story.pk)
    record = _record(kind="story", pk=story.pk, author=story.author, body=story.caption, created=story.created,
                     url=reverse("posts:story", args=[story.pk]), attachments=[story.attachment])
    return moderation_services.report_content(reporter=reporter, kind="story", ref=story.pk, author=story.author,
                                              record=record, **choices)


def remove_reported_post(*, ref, removed_by):
    """Staff remove a reported post (moderation's remover for "post"): as its author deleting it."""
    post = Post.objects.filter(pk=_int(ref)).first()
    if post is not None:
        delete_post(user=post.author, post=post)


def remove_reported_comment(*, ref, removed_by):
    comment = Comment.objects.select_related("post").filter(pk=_int(ref)).first()
    if comment is not None:
        delete_comment(user=comment.author, comment=comment)


def remove_reported_story(*, ref, removed_by):
    if Story.objects.filter(pk=_int(ref)).exists():
        _remove_stories([_int(ref)])
