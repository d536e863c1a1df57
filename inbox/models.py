from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ThreadQuerySet(models.QuerySet):
    def for_user(self, user):
        """Threads the user is a current participant of (removed and departed members are not)."""
        return self.filter(participants__user=user)


class ParticipantQuerySet(models.QuerySet):
    def unread(self):
        """Memberships with something unread: messages past the read mark, or marked unread by hand."""
        return self.filter(Q(thread__last_seq__gt=F("last_read_seq")) | Q(marked_unread=True))

    def counted_in_badge(self):
        """The unread memberships the "Inbox" badge counts: muted and archived threads stay quiet."""
        return self.unread().filter(archived=False, muted=False)


class Thread(models.Model):
    """A conversation: a 1:1 between two people, or a group of 3 to 64."""

    class Kind(models.TextChoices):
        DIRECT = "direct", "Direct"
        GROUP = "group", "Group"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=80, blank=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_threads"
    )
    # "<smaller user id>:<larger user id>" for a 1:1, null for groups.
    direct_key = models.CharField(max_length=41, null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    # The seq of the newest message; bumped inside the send transaction, which serialises senders.
    last_seq = models.PositiveIntegerField(default=0)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        constraints = [
            # Exactly one 1:1 per pair of people, even when both start it at the same moment.
            models.UniqueConstraint(fields=["direct_key"], name="thread_unique_direct_key",
                                    condition=Q(direct_key__isnull=False)),
            # A 1:1 has a key; a group never does.
            models.CheckConstraint(
                condition=(Q(kind="direct", direct_key__isnull=False) | Q(kind="group", direct_key__isnull=True)),
                name="thread_direct_key_matches_kind",
            ),
        ]

    def __str__(self):
        return self.name or f"{self.get_kind_display()} conversation {self.pk}"

    @property
    def is_group(self):
        return self.kind == self.Kind.GROUP


class Participant(models.Model):
    """One person's membership of a thread and their own view of it."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    joined = models.DateTimeField(default=timezone.now)
    # Everything up to and including this seq has been seen; unread = thread.last_seq - last_read_seq,
    # because sending a message moves the sender's own mark to it.
    last_read_seq = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)
    muted = models.BooleanField(default=False)
    marked_unread = models.BooleanField(default=False)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        constraints = [
            # One membership per person per thread.
            models.UniqueConstraint(fields=["thread", "user"], name="participant_unique_thread_user"),
        ]
        indexes = [
            # The inbox page: my threads, filtered by archive state.
            models.Index(fields=["user", "archived"], name="participant_user_archived"),
        ]

    def __str__(self):
        return f"{self.user} in {self.thread_id}"

    @property
    def unread_count(self):
        """Messages past the read mark; a thread marked unread by hand with nothing new counts as 1."""
        return max(self.thread.last_seq - self.last_read_seq, 0) or int(self.marked_unread)

    @property
    def others(self):
        """The other current members, from the prefetched thread.participants (see services.inbox_page)."""
        return [member for member in self.thread.participants.all() if member.user_id != self.user_id]


class Message(models.Model):
    """A line in a thread: something a person wrote, or a system line ("alice added bob")."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        SYSTEM = "system", "System"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    # Null for system lines.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField()
    # 1, 2, 3, … per thread with no gaps, in commit order.
    seq = models.PositiveIntegerField()
    client_id = models.CharField(max_length=64, null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # seq is the thread's log position; its index also serves "latest 50" and "older than seq N": never two messages at one place.
            models.UniqueConstraint(fields=["thread", "seq"], name="message_unique_thread_seq"),
            # One message per client retry: resending the same client_id must not duplicate.
            models.UniqueConstraint(fields=["sender", "client_id"], name="message_unique_client_id",
                                    condition=Q(client_id__isnull=False)),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
        ]

    def __str__(self):
        return f"#{self.seq} in {self.thread_id}"

    @property
    def is_system(self):
        return self.kind == self.Kind.SYSTEM

