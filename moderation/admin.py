"""Reports in the admin: the moderators' queue, one report's evidence and decisions, the access log.

Staff see message content only here, on one report's page, and every view of it is written to
StaffAccessLog. The list of reports shows metadata only and searches usernames only. Reports
change only through moderation.services (Dismiss, Remove the message for everyone, Suspend the
account): the admin's own save, add and delete are switched off.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html

from common.admin import ReadOnlyAdmin, SuperuserOnlyAdmin
from common.errors import Refused
from media.images import describe_bytes

from . import services as moderation
from .models import ModerationAction, Report, StaffAccessLog

# URL word for each decision, and what the admin says once it is done.
MODERATION_URL_ACTIONS = {
    "dismiss": Report.Resolution.DISMISSED,
    "remove-message": Report.Resolution.MESSAGE_REMOVED,
    "suspend": Report.Resolution.ACCOUNT_SUSPENDED,
    "remove-content": Report.Resolution.CONTENT_REMOVED,
}
MODERATION_BUTTONS = {
    Report.Resolution.DISMISSED: ("dismiss", "Dismiss", "No action against anyone; the report is closed."),
    Report.Resolution.MESSAGE_REMOVED: (
        "remove-message", "Remove the message for everyone",
        "Blanks the message in the conversation for every participant, at once. The report keeps a copy.",
    ),
    Report.Resolution.ACCOUNT_SUSPENDED: (
        "suspend", "Suspend the account",
        "Deactivates the account: it is logged out everywhere and its open pages disconnect at once.",
    ),
}
MODERATION_BUTTONS[Report.Resolution.CONTENT_REMOVED] = (
    "remove-content", "Remove it for everyone",
    "Deletes the post, comment or story and its files; cards quoting it in conversations say it is gone. "
    "The report keeps a copy.",
)
MODERATION_DONE = {
    Report.Resolution.CONTENT_REMOVED: "What report {pk} is about is removed for everyone.",
    Report.Resolution.DISMISSED: "Report {pk} dismissed.",
    Report.Resolution.MESSAGE_REMOVED: "The message of report {pk} is removed for everyone.",
    Report.Resolution.ACCOUNT_SUSPENDED: "The account of report {pk} is suspended; its sessions and sockets are closed.",
}


def evidence_rows(records, highlight_id=None):
    """Stored message records, ready for the evidence template: dates parsed, the reported one marked."""
    rows = []
    for record in records:
        rows.append({
            **record,
            "created": parse_datetime(record.get("created") or ""),
            "reported": highlight_id is not None and record.get("id") == highlight_id,
            "attachments": [
                {**attachment, "size_text": describe_bytes(attachment.get("size") or 0)}
                for attachment in record.get("attachments", [])
            ],
        })
    return rows


def evidence_summary(report):
    """What a view of this report shows, in words, for the access log."""
    count = len(report.context)
    if report.kind == Report.Kind.MESSAGE:
        return f"Reported message and {count} message{pluralize(count)} of context"
    if report.kind == Report.Kind.CONVERSATION:
        return f"Latest {count} message{pluralize(count)} of the reported conversation"
    if report.kind in moderation.CONTENT_KINDS:
        return f"Reported {report.kind} and the author's profile"
    if count:
        return f"Reported profile and {count} message{pluralize(count)} of the 1:1 with the reporter"
    return "Reported profile"


def user_admin_link(user):
    if user is None:
        return "—"
    return format_html(
        '<a href="{}">@{}</a>{}', reverse("admin:accounts_user_change", args=[user.pk]), user.username,
        "" if user.is_active else " (deactivated)",
    )


class ReadOnlyInline(admin.TabularInline):
    """A report's audit rows on its page: written by moderation.services only."""

    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("staff")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ModerationActionInline(ReadOnlyInline):
    model = ModerationAction
    verbose_name = "action taken"
    verbose_name_plural = "Actions taken"
    fields = ("created", "staff", "action", "note")
    readonly_fields = fields
    ordering = ("created", "pk")

    def has_view_permission(self, request, obj=None):
        # Whoever may open the report sees what was decided on it.
        return request.user.is_active and request.user.is_staff


class StaffAccessInline(ReadOnlyInline):
    """Who looked at this report's content: superusers only (get_inlines)."""

    model = StaffAccessLog
    verbose_name = "view of this report"
    verbose_name_plural = "Viewed by"
    fields = ("viewed_at", "staff", "what")
    readonly_fields = fields
    ordering = ("-viewed_at", "-pk")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("created_column", "kind", "reason", "status_column", "reporter", "reported_user")
    list_display_links = ("created_column",)
    list_filter = ("status", "reason", "kind", "resolution")
    list_select_related = ("reporter", "reported_user")
    search_fields = ("reporter__username", "reported_user__username")
    # "open" sorts before "resolved": the queue starts with what still needs someone.
    ordering = ("status", "-created")
    date_hierarchy = "created"
    list_per_page = 50
    actions = ["dismiss_selected"]
    fieldsets = (
        ("Report", {"fields": ("created", "kind", "reason", "text", "reporter_column", "reported_column", "target")}),
        ("Decision", {"fields": ("status", "resolution", "resolved_by", "resolved_at")}),
    )
    readonly_fields = (
        "created", "kind", "reason", "text", "reporter_column", "reported_column", "target",
        "status", "resolution", "resolved_by", "resolved_at",
    )
    inlines = [ModerationActionInline]

    class Media:
        css = {"all": ["css/moderation.css"]}

    def get_inlines(self, request, obj):
        if request.user.is_superuser:
            return [ModerationActionInline, StaffAccessInline]
        return [ModerationActionInline]

    def get_queryset(self, request):
        # The message row for its removal state only (never its body: the evidence comes from the snapshot).
        return (
            super().get_queryset(request)
            .select_related("reporter", "reported_user__profile", "resolved_by", "message__removed_by")
            .defer("message__body")
        )

    # Read-only: only the moderation services change a report (the buttons below, moderate_view).
    def has_moderate_permission(self, request):
        return moderation.may_moderate(request.user)

    @admin.display(description="Created", ordering="created")
    def created_column(self, report):
        # Short, so the six columns fit beside the admin's sidebar and filters.
        return date_format(timezone.localtime(report.created), "j M Y, H:i")

    @admin.display(description="Status", ordering="status")
    def status_column(self, report):
        return report.get_resolution_display() if report.resolution else report.get_status_display()

    @admin.display(description="Reporter")
    def reporter_column(self, report):
        return user_admin_link(report.reporter)

    @admin.display(description="Reported person")
    def reported_column(self, report):
        if report.reported_user is None:
            return "Nobody in particular (a group conversation)" if report.kind == Report.Kind.CONVERSATION else "—"
        total, still_open = moderation.other_reports_about(report)
        if not total:
            return user_admin_link(report.reported_user)
        return format_html(
            '{} · <a href="{}?reported_user__id__exact={}">{} other report{} about them</a> ({} open)',
            user_admin_link(report.reported_user), reverse("admin:moderation_report_changelist"),
            report.reported_user_id, total, pluralize(total), still_open,
        )

    @admin.display(description="Reported")
    def target(self, report):
        if report.kind in moderation.CONTENT_KINDS:
            url = (report.snapshot[0].get("url") if report.snapshot else "") or ""
            if url:
                return format_html('{} {} (<a href="{}">its public page</a>, while it exists)',
                                   report.get_kind_display(), report.content_ref, url)
            return f"{report.get_kind_display()} {report.content_ref}"
        if report.kind == Report.Kind.MESSAGE:
            if report.message is None:
                return "A message that has since been deleted (the copy below is what was reported)"
            removed = ""
            if report.message.is_removed:
                removed = format_html(
                    " · removed for everyone on {} by {}",
                    date_format(timezone.localtime(report.message.removed_at), "j M Y, H:i"),
                    report.message.removed_by or "a former staff member",
                )
            return format_html(
                'Message {} in <a href="{}">conversation {}</a>{}', report.message_id,
                reverse("admin:inbox_thread_change", args=[report.message.thread_id]), report.message.thread_id,
                removed,
            )
        if report.thread_id is not None:
            return format_html(
                '<a href="{}">Conversation {}</a>', reverse("admin:inbox_thread_change", args=[report.thread_id]),
                report.thread_id,
            )
        if report.kind == Report.Kind.CONVERSATION:
            return "A conversation that has since been deleted"
        return "The person's profile"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/moderate/<str:action>/",
                self.admin_site.admin_view(self.moderate_view),
                name="moderation_report_moderate",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Reports", **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if report is not None and self.has_view_permission(request, report):
            # Every time the evidence is rendered for a staff member, it is written to the audit trail.
            moderation.log_staff_view(staff=request.user, report=report, what=evidence_summary(report))
            highlight = report.snapshot[0]["id"] if report.snapshot else None
            allowed = moderation.available_actions(report) if self.has_moderate_permission(request) else []
            extra_context.update(
                snapshot=evidence_rows(report.snapshot),
                context_rows=evidence_rows(report.context, highlight_id=highlight),
                person_snapshot=report.person_snapshot,
                person_joined=parse_datetime(report.person_snapshot.get("date_joined") or ""),
                moderation_buttons=[MODERATION_BUTTONS[action] for action in allowed],
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def moderate_view(self, request, object_id, action):
        """POST only: one decision on one report, through moderation.services; back to its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, unquote(object_id))
        if report is None or action not in MODERATION_URL_ACTIONS:
            raise Http404("No such report or action")
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        resolution = MODERATION_URL_ACTIONS[action]
        try:
            moderation.MODERATION_ACTIONS[resolution](
                report=report, staff=request.user, note=request.POST.get("moderation_note", "")
            )
        except Refused as refusal:
            self.message_user(request, refusal.detail, messages.ERROR)
        else:
            self.message_user(request, MODERATION_DONE[resolution].format(pk=report.pk), messages.SUCCESS)
        return redirect("admin:moderation_report_change", report.pk)

    @admin.action(description="Dismiss the selected reports", permissions=["moderate"])
    def dismiss_selected(self, request, queryset):
        dismissed = 0
        for report in queryset.filter(status=Report.Status.OPEN):
            try:
                moderation.dismiss_report(report=report, staff=request.user)
            except Refused:
                continue  # resolved by someone else meanwhile
            dismissed += 1
        self.message_user(request, f"Dismissed {dismissed} report{pluralize(dismissed)}.", messages.SUCCESS)


@admin.register(StaffAccessLog)
class StaffAccessLogAdmin(SuperuserOnlyAdmin):
    """The audit trail of staff views of reported content: superusers only, read-only."""

    list_display = ("viewed_at", "staff", "report_column", "what")
    list_select_related = ("staff", "report")
    search_fields = ("staff__username",)
    date_hierarchy = "viewed_at"
    ordering = ("-viewed_at", "-pk")
    fields = ("viewed_at", "staff", "report_column", "what")
    readonly_fields = fields
    list_per_page = 100

    @admin.display(description="Report")
    def report_column(self, entry):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:moderation_report_change", args=[entry.report_id]), entry.report
        )
