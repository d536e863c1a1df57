from django.contrib import admin

from common.admin import ReadOnlyAdmin
from media.images import describe_bytes
from media.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Metadata only. DMs are private: no file contents, previews, links or even the sender's file name
    (reports are the one way staff see reported content). Read-only: files come
    and go only through media.services, which keeps rows and stored files together."""

    list_display = ("id", "kind", "content_type", "size_column", "dimensions", "owner", "sent_column", "created")
    list_filter = ("kind", "created", ("message", admin.EmptyFieldListFilter))
    list_select_related = ("owner", "message")
    search_fields = ("owner__username",)
    date_hierarchy = "created"
    ordering = ("-created",)
    fields = ("id", "owner", "kind", "content_type", "size_column", "dimensions", "created", "message_column",
              "thread_column")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Size", ordering="size")
    def size_column(self, attachment):
        return describe_bytes(attachment.size)

    @admin.display(description="Pixels")
    def dimensions(self, attachment):
        return f"{attachment.width} × {attachment.height}" if attachment.width else "—"

    @admin.display(description="Sent", boolean=True, ordering="message")
    def sent_column(self, attachment):
        return attachment.message_id is not None

    @admin.display(description="Message")
    def message_column(self, attachment):
        return f"#{attachment.message.seq} (id {attachment.message_id})" if attachment.message_id else "Not sent"

    @admin.display(description="Conversation")
    def thread_column(self, attachment):
        return f"Conversation {attachment.message.thread_id}" if attachment.message_id else "—"
