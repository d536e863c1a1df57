"""The public side: posts with pictures, comments under them, and stories that last a day.

Pictures and story files are media Attachments (the same pipeline as files sent in messages);
posts.services decides who may see them and registers that with media (PostsConfig.ready).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

MAX_POST_LENGTH = 2200
MAX_PICTURES = 4
MAX_COMMENT_LENGTH = 1000
MAX_CAPTION_LENGTH = 200
MAX_PINNED = 3
MAX_STORY_VIDEO_SECONDS = 60


class Post(models.Model):
    """A short public text with up to four pictures, on its author's profile and their followers' feeds."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    body = models.TextField(max_length=MAX_POST_LENGTH, blank=True)
    created = models.DateTimeField(default=timezone.now)
    comments_enabled = models.BooleanField(default=True)
    # Set when the author pins the post as one of their FAQ (at most MAX_PINNED, posts.services.pin_post).
    pinned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The feed and a profile: one author's posts newest first, paged by (created, id).
            models.Index(fields=["author", "-created", "-id"], name="post_author_created"),
            # A profile's pinned FAQ.
            models.Index(fields=["author", "pinned_at"], name="post_author_pinned", condition=Q(pinned_at__isnull=False)),
        ]

    def __str__(self):
        return f"Post {self.pk} by {self.author_id}"

    @property
    def excerpt(self):
        words = " ".join(self.body.split())
        return words if len(words) <= 120 else words[:119].rsplit(" ", 1)[0] + "…"


class PostPicture(models.Model):
    """One of a post's pictures: an Attachment stored by media.services.store_upload."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="pictures")
    # DO_NOTHING: deleting attachments (a message's, by the inbox) then costs no look-up here; a
    # post picture is never a message's, and posts.services deletes the post and its files together.
    attachment = models.OneToOneField("media.Attachment", on_delete=models.DO_NOTHING, related_name="post_picture")
    position = models.PositiveSmallIntegerField(default=0)

    def __str__(self):
        return f"Picture {self.position} of post {self.post_id}"


class Comment(models.Model):
    """A public comment under a post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_comments")
    body = models.TextField(max_length=MAX_COMMENT_LENGTH)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # A post's comments, oldest first.
            models.Index(fields=["post", "created", "id"], name="comment_post_created"),
        ]

    def __str__(self):
        return f"Comment {self.pk} on post {self.post_id}"


class Story(models.Model):
    """A picture or short video with a caption, seen by the author's followers for 24 hours."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories")
    # DO_NOTHING as for PostPicture: posts.services deletes the story with its attachment.
    attachment = models.OneToOneField("media.Attachment", on_delete=models.DO_NOTHING, related_name="story")
    caption = models.CharField(max_length=MAX_CAPTION_LENGTH, blank=True)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            # The rings row: live stories of the people I follow; prune_stories: the expired ones.
            models.Index(fields=["author", "expires_at"], name="story_author_expires"),
            models.Index(fields=["expires_at"], name="story_expires"),
        ]

    def __str__(self):
        return f"Story {self.pk} by {self.author_id}"

    @property
    def is_video(self):
        return self.attachment.kind == "video"


class StoryView(models.Model):
    """viewer saw story: the author sees who did."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_views")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Seen once is seen: opening a story again counts nothing more.
            models.UniqueConstraint(fields=["story", "viewer"], name="story_view_unique"),
        ]

    def __str__(self):
        return f"{self.viewer_id} saw story {self.story_id}"
