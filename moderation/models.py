"""Reports and what staff did about them; moderation.services holds the rules.

These tables were made when reports lived in accounts, and keep their names (accounts_report,
accounts_moderationaction, accounts_staffaccesslog): moving the models here moved no data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

User = settings.AUTH_USER_MODEL



class Report(models.Model):
    """Someone reported a message, a conversation or a person to Parley's staff.

    The reported words are copied into `snapshot` and `context` when the report is made, so the
    evidence survives the sender unsending, a moderator removing the message, or the conversation
    being deleted. Staff read them only through the report's admin page, which logs every view
    (StaffAccessLog).
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        CONVERSATION = "conversation", "Conversation"
        PERSON = "person", "Person"
        # The public side's things (reported through moderation.services.report_content).
        POST = "post", "Post"
        COMMENT = "comment", "Comment"
        STORY = "story", "Story"

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        HARASSMENT = "harassment", "Harassment"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        DISMISSED = "dismissed", "Dismissed"
        MESSAGE_REMOVED = "message_removed", "Message removed"
        ACCOUNT_SUSPENDED = "account_suspended", "Account suspended"
        CONTENT_REMOVED = "content_removed", "Content removed"

    TEXT_MAX_LENGTH = 1000

    # People are SET_NULL, never CASCADE: a report and its evidence outlive deleting either account.
    reporter = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_made"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    text = models.TextField("details", max_length=TEXT_MAX_LENGTH, blank=True)
    # The person concerned: a message's sender, the other person of a 1:1, the reported person;
    # null for a group conversation.
    reported_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_received",
        verbose_name="reported person",
    )
    # SET_NULL so the report survives the message or conversation being deleted; snapshot keeps the words.
    message = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    thread = models.ForeignKey(
        "inbox.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports",
        verbose_name="conversation",
    )
    # A reported post, comment or story: its id in the app that owns it (the row may be gone since;
    # snapshot keeps what it said).
    content_ref = models.CharField(max_length=40, blank=True)
    # Lists of messages as moderation.services.message_record builds them: id, seq, sender, body,
    # created, kind, attachments. snapshot: the reported message; context: the 10 around it, or the
    # latest 10 of a reported conversation (or of the 1:1 with a reported person).
    snapshot = models.JSONField(default=list, blank=True)
    context = models.JSONField(default=list, blank=True)
    # The reported person's public profile when reported (a name or bio can be the abuse).
    person_snapshot = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="reports_resolved"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    class Meta:
        db_table = "accounts_report"
        constraints = [
            # "Other" says nothing by itself: the reporter must explain (the form and service say so first).
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(text=""), name="report_other_has_text"),
            # Open means untouched; resolved always says how, when and by whom (the moderation services set all four).
            models.CheckConstraint(
                condition=(
                    Q(status="open", resolution="", resolved_at__isnull=True, resolved_by__isnull=True)
                    | (Q(status="resolved", resolved_at__isnull=False) & ~Q(resolution=""))
                ),
                name="report_resolution_matches_status",
            ),
            # Reporting the same message twice while the first report is open adds nothing:
            # report_message returns the open one instead (a double-submitted form stores once).
            models.UniqueConstraint(
                fields=["reporter", "message"], name="report_unique_open_message",
                condition=Q(status="open", kind="message", message__isnull=False),
            ),
            # The same for a conversation ...
            models.UniqueConstraint(
                fields=["reporter", "thread"], name="report_unique_open_conversation",
                condition=Q(status="open", kind="conversation", thread__isnull=False),
            ),
            # ... and for a person.
            models.UniqueConstraint(
                fields=["reporter", "reported_user"], name="report_unique_open_person",
                condition=Q(status="open", kind="person", reported_user__isnull=False),
            ),
            # ... and for a post, a comment or a story.
            models.UniqueConstraint(
                fields=["reporter", "kind", "content_ref"], name="report_unique_open_content",
                condition=Q(status="open") & ~Q(content_ref=""),
            ),
        ]
        indexes = [
            # The admin queue: open reports first, newest first (the status filter and default order).
            models.Index(fields=["status", "-created"], name="report_status_created"),
            # "Other reports about this person" on a report's page, newest first.
            models.Index(fields=["reported_user", "-created"], name="report_reported_user_created"),
        ]

    def __str__(self):
        # Metadata only: the admin shows this in titles, messages and history, never the reported words.
        return f"Report {self.pk}: {self.get_kind_display().lower()}, {self.get_reason_display().lower()}"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class ModerationAction(models.Model):
    """One decision a staff member took on a report, and when (the moderation audit trail)."""

    # PROTECT: the audit trail must not vanish with a report or a staff account (deactivate staff instead).
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="actions")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="moderation_actions")
    action = models.CharField(max_length=20, choices=Report.Resolution.choices)
    created = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=1000, blank=True)

    class Meta:
        db_table = "accounts_moderationaction"
        indexes = [
            # A report's history in order (the report page); the report FK's own index has no order.
            models.Index(fields=["report", "created"], name="moderation_action_report"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.staff} (report {self.report_id})"


class StaffAccessLog(models.Model):
    """A staff member looked at a report's reported content: who, which report, when, what.

    Written every time the report page renders the evidence; superusers read it, nobody edits it.
    """

    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="staff_access_logs")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="access_logs")
    viewed_at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=200)

    class Meta:
        db_table = "accounts_staffaccesslog"
        indexes = [
            # The audit list, newest first.
            models.Index(fields=["-viewed_at"], name="staff_access_viewed_at"),
            # "What did this staff member look at?" (the staff filter), newest first.
            models.Index(fields=["staff", "-viewed_at"], name="staff_access_staff_viewed_at"),
            # "Who looked at this report?", newest first.
            models.Index(fields=["report", "-viewed_at"], name="staff_access_report_viewed_at"),
        ]

    def __str__(self):
        return f"{self.staff} viewed report {self.report_id}"
