from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The attribute where media.services.attachments_prefetch() leaves a message's attachments, in upload
# order (inbox.models.Message.files reads it).
PREFETCHED_FILES = "prefetched_files"


class Attachment(models.Model):
    """One uploaded file: a photo, video, voice note or document.

    Before it is sent it belongs to its owner alone; once attached to a message, every current
    participant of that message's thread may fetch it (the inbox's access rule, asked by
    media.services.get_attachment_for).
    The stored file's key is random; original_name is display text and never touches storage.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        AUDIO = "audio", "Audio"
        DOCUMENT = "document", "Document"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments")
    # attachments/<yyyy>/<mm>/<uuid4 hex>.<extension of the detected type>
    file = models.FileField(max_length=200)
    # Images larger than the thumbnail box only; smaller images are their own thumbnail.
    thumbnail = models.FileField(max_length=200, blank=True)
    original_name = models.CharField(max_length=150)
    # Decided from the bytes by media.kinds, never taken from the client.
    content_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.PositiveBigIntegerField()
    # SHA-256 (hex) of the stored file's bytes, kept by copies: the GIF picker lists one file once
    # however often it was sent again. Blank for files stored before it existed.
    content_digest = models.CharField(max_length=64, blank=True, default="")
    # Images only: the page reserves the box before the picture arrives.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta:
        constraints = [
            # An attachment's size is what was stored: an empty file is refused before a row exists.
            models.CheckConstraint(condition=Q(size__gte=1), name="attachment_size_positive"),
            # Width and height come together (images) or not at all.
            models.CheckConstraint(
                condition=Q(width__isnull=True, height__isnull=True) | Q(width__gte=1, height__gte=1),
                name="attachment_dimensions_together",
            ),
        ]
        indexes = [
            # The per-user daily volume check sums the owner's recent uploads.
            models.Index(fields=["owner", "created"], name="attachment_owner_created"),
            # prune_unsent_uploads: unsent uploads older than the cut-off.
            models.Index(fields=["created"], name="attachment_unsent_created", condition=Q(message__isnull=True)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk} ({self.content_type}, {self.size} bytes)"

    @property
    def is_sent(self):
        return self.message_id is not None

    @property
    def is_gif(self):
        """An animated GIF: a still one is stored as a PNG (media.attachment_images), so the type says it."""
        return self.content_type == "image/gif"

    @property
    def extension_label(self):
        """"PDF", "DOCX": the badge on a document card (the display name's extension always matches the bytes)."""
        return self.original_name.rpartition(".")[2].upper()[:4]
