"""Conversations in the admin: metadata only.

Direct messages are private, so no message body appears anywhere here and Message has no admin
of its own (reports are the one way staff see reported content: moderation.admin). Staff see
who talks, how much and when; conversations are only changed through inbox.services, never here.
"""

from django.contrib import admin
from django.db.models import Count, Prefetch

from common.admin import ReadOnlyAdmin

from .models import Participant, Thread


class ParticipantInline(admin.TabularInline):
    model = Participant
    fields = ("user", "joined", "last_read_seq", "archived", "muted", "marked_unread")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").order_by("joined", "pk")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "kind", "people", "member_count", "message_count", "created", "last_message_at")
    list_display_links = ("id", "title")
    list_filter = ("kind", "created", "last_message_at")
    search_fields = ("name", "participants__user__username")
    ordering = ("-last_message_at",)
    date_hierarchy = "last_message_at"
    # last_message is left out on purpose: it would lead to a message, and messages stay private.
    fields = ("kind", "name", "creator", "created", "last_message_at", "message_count")
    readonly_fields = fields
    inlines = [ParticipantInline]
    list_per_page = 50

    def get_queryset(self, request):
        # Bounded for any page size: the rows with their member counts, then one query for all members.
        members = Participant.objects.select_related("user").order_by("joined", "pk")
        return (
            super().get_queryset(request)
            .select_related("creator")
            .annotate(member_total=Count("participants", distinct=True))
            .prefetch_related(Prefetch("participants", queryset=members, to_attr="members"))
        )

    @admin.display(description="Conversation")
    def title(self, thread):
        return thread.name or ("1:1" if thread.kind == Thread.Kind.DIRECT else "Unnamed group")

    @admin.display(description="Participants")
    def people(self, thread):
        return ", ".join(member.user.username for member in thread.members)

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, thread):
        return thread.member_total

    # Seqs run 1, 2, 3 … with no gaps, so the newest seq is the number of messages: no count query.
    @admin.display(description="Messages", ordering="last_seq")
    def message_count(self, thread):
        return thread.last_seq
