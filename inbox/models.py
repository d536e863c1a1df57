import functools
from typing import Any, NamedTuple

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.services import blocked_ids_subquery, muted_ids_subquery
from common.errors import Refused
from media.models import PREFETCHED_FILES

from .stickers import get_sticker

# Where inbox.services.message_extras leaves a message's reactions (with their users), like message.files.
PREFETCHED_REACTIONS = "prefetched_reactions"

# The reactions Parley offers, in the order the picker shows them.
REACTION_EMOJI = ("❤️", "😂", "😮", "😢", "😡", "👍")

# Database ids and seqs are signed 64-bit at most; a larger number from a client is simply unknown.
MAX_ID = 2**63 - 1

NOT_FOUND = "This conversation does not exist, or you are not in it."


def thread_id_of(thread):
    """The id of a Thread or of an id as given by a URL or a frame; anything else is not_found."""
    if isinstance(thread, Thread):
        return thread.pk
    if isinstance(thread, str) and thread.isdigit():
        thread = int(thread)
    if type(thread) is not int or not 1 <= thread <= MAX_ID:
        raise Refused("not_found", NOT_FOUND)
    return thread


def direct_key(first_user_id, second_user_id):
    """Thread.direct_key of the two people's 1:1: their ids sorted and joined ("12:47")."""
    low, high = sorted((first_user_id, second_user_id))
    return f"{low}:{high}"


class ThreadQuerySet(models.QuerySet):
    def for_user(self, user):
        """Threads the user is a current participant of (removed and departed members are not)."""
        return self.filter(participants__user=user)


class ParticipantQuerySet(models.QuerySet):
    def with_unheard(self):
        """Annotate `unheard`: messages past each member's read mark from people that member muted or blocked.

        Those do not count as unread (a muted person's messages stop counting in the
        badge; a blocked one's are not even shown in groups). A correlated subquery per row, in the same
        query, served by the (thread, seq) index over the unread part of the thread only. The
        read mark itself never moves for them, so "Seen" tells the muted person nothing.
        """
        if "unheard" in self.query.annotations:
            return self
        member = OuterRef(OuterRef("user_id"))
        silenced = Message.objects.filter(thread_id=OuterRef("thread_id"), seq__gt=OuterRef("last_read_seq")).filter(
            Q(sender_id__in=muted_ids_subquery(member)) | Q(sender_id__in=blocked_ids_subquery(member))
        )
        counted = silenced.order_by().values("thread_id").annotate(count=Count("pk")).values("count")
        return self.annotate(unheard=Coalesce(Subquery(counted), 0))

    def unread(self):
        """Memberships with something unread: messages past the read mark (other than unheard ones), or marked unread by hand."""
        return self.with_unheard().filter(
            Q(thread__last_seq__gt=F("last_read_seq") + F("unheard")) | Q(marked_unread=True)
        )

    def counted_in_badge(self):
        """The unread memberships the "Inbox" badge counts: muted and archived threads and requests stay quiet."""
        return self.unread().filter(archived=False, muted=False, state=Participant.State.ACCEPTED)

    def pending_requests(self):
        """Message requests waiting for an answer; an empty 1:1 is no request yet."""
        return self.filter(state=Participant.State.REQUEST, thread__last_seq__gt=0)


class MemberState(NamedTuple):
    """One member's counts for the pushes about a thread (see member_states)."""

    user_id: int
    last_read_seq: int
    marked_unread: bool
    last_seq: int
    badge_total: int
    profile: Any  # accounts.Profile, or None when the person has none yet
    state: str  # Participant.State: in the inbox, a message request, or a deleted request
    unheard: int  # messages past the read mark from people this member muted or blocked
    blocked_sender: bool  # this member blocked the sender asked about: hide the message from them
    muted_sender: bool  # this member muted the sender asked about: no badge bump
    requests: int  # this member's pending message requests (counted only for a member in a request)

    @property
    def unread(self):
        return unread_count(
            last_seq=self.last_seq, last_read_seq=self.last_read_seq, marked_unread=self.marked_unread,
            unheard=self.unheard,
        )


def unread_count(*, last_seq, last_read_seq, marked_unread, unheard=0):
    """Messages past the read mark (less the unheard ones); a thread marked unread by hand with nothing new counts as 1."""
    return max(last_seq - last_read_seq - unheard, 0) or int(marked_unread)


def hand_written_sql(template):
    """A hand-written statement of the send path, its {table} names filled in once per process.

    Tables: {thread}, {member}, {message} and accounts' {profile}, {follow}, {block}. Write its
    parameters named, %(name)s, and pass a dict: Django turns positional "%s" into SQLite's "?"
    with a regular expression on every execution, which cost as much as running the short
    statements themselves; named ones are converted by plain string formatting.
    """
    return _filled_sql(connection.vendor, template)


@functools.cache
def _filled_sql(vendor, template):
    # vendor is only part of the key: quote_name differs between databases.
    models_by_name = {
        "thread": Thread, "member": Participant, "message": Message, "profile": apps.get_model("accounts", "Profile"),
        "follow": apps.get_model("accounts", "Follow"), "block": apps.get_model("accounts", "Block"),
    }
    return template.format(**{name: connection.ops.quote_name(model._meta.db_table) for name, model in models_by_name.items()})


def member_states(thread_id, *, user_id=None, sender_id=None):
    """The thread's current members (or just user_id) with read marks, "Inbox" badge totals and profiles.

    With sender_id, also whether each member blocked or muted that sender. Runs on every
    push of a new message, so it is one hand-written statement: the ORM spelling of the same query
    took 30 times longer here, nearly all of it building the SQL. The badge and unheard rules are
    ParticipantQuerySet.counted_in_badge's and with_unheard's, in SQL; tests/inbox/test_services.py
    and test_social_rules.py check they agree.
    """
    profile_fields, sql = _member_states_sql(connection.vendor, one_member=user_id is not None)
    params = {
        "thread": thread_id, "sender": sender_id, "no": False, "yes": True,
        "accepted": Participant.State.ACCEPTED.value, "request": Participant.State.REQUEST.value,
    }
    if user_id is not None:
        params["user"] = user_id
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    profile_model = apps.get_model("accounts", "Profile")
    states = []
    for row in rows:
        person_profile = None
        if row[10] is not None:
            person_profile = profile_model.from_db(connection.alias, profile_fields, row[10:])
        states.append(MemberState(
            row[0], row[1], bool(row[2]), row[3], row[4], person_profile,
            row[5], row[6], bool(row[7]), bool(row[8]), row[9],
        ))
    return states


@functools.cache
def _member_states_sql(vendor, *, one_member):
    """member_states' statement, written once per process: (profile field names, SQL).

    Named parameters, as in hand_written_sql: the regular expression for "%s" took a third of this
    query's time.
    """
    profile_model = apps.get_model("accounts", "Profile")
    block_model, mute_model = apps.get_model("accounts", "Block"), apps.get_model("accounts", "PersonMute")
    quote = connection.ops.quote_name
    member, thread, profile = (
        quote(Participant._meta.db_table), quote(Thread._meta.db_table), quote(profile_model._meta.db_table)
    )
    message, block, mute = (
        quote(Message._meta.db_table), quote(block_model._meta.db_table), quote(mute_model._meta.db_table)
    )
    profile_fields = [field.attname for field in profile_model._meta.concrete_fields]
    profile_columns = ", ".join(f"pr.{quote(field.column)}" for field in profile_model._meta.concrete_fields)

    def unheard(row):
        # The count scans every unread message of the thread, so only people who mute or block
        # someone pay for it (the unique pair indexes answer the EXISTS); everyone else's is 0 at once.
        return (
            f"(CASE WHEN EXISTS (SELECT 1 FROM {mute} WHERE muter_id = {row}.user_id) "
            f"OR EXISTS (SELECT 1 FROM {block} WHERE blocker_id = {row}.user_id) "
            f"THEN (SELECT COUNT(*) FROM {message} x WHERE x.thread_id = {row}.thread_id AND x.seq > {row}.last_read_seq "
            f"AND x.sender_id IN (SELECT muted_id FROM {mute} WHERE muter_id = {row}.user_id "
            f"UNION ALL SELECT blocked_id FROM {block} WHERE blocker_id = {row}.user_id)) ELSE 0 END)"
        )

    sql = (
        f"SELECT m.user_id, m.last_read_seq, m.marked_unread, t.last_seq, "
        f"(SELECT COUNT(*) FROM {member} o JOIN {thread} ot ON ot.id = o.thread_id "
        f"WHERE o.user_id = m.user_id AND o.archived = %(no)s AND o.muted = %(no)s AND o.state = %(accepted)s "
        f"AND (ot.last_seq > o.last_read_seq + {unheard('o')} OR o.marked_unread = %(yes)s)), "
        f"m.state, {unheard('m')}, "
        f"EXISTS (SELECT 1 FROM {block} b WHERE b.blocker_id = m.user_id AND b.blocked_id = %(sender)s), "
        f"EXISTS (SELECT 1 FROM {mute} pm WHERE pm.muter_id = m.user_id AND pm.muted_id = %(sender)s), "
        f"CASE WHEN m.state = %(request)s THEN (SELECT COUNT(*) FROM {member} r JOIN {thread} rt ON rt.id = r.thread_id "
        f"WHERE r.user_id = m.user_id AND r.state = %(request)s AND rt.last_seq > 0) ELSE 0 END, "
        f"{profile_columns} "
        f"FROM {member} m JOIN {thread} t ON t.id = m.thread_id LEFT JOIN {profile} pr ON pr.user_id = m.user_id "
        f"WHERE m.thread_id = %(thread)s"
    )
    if one_member:
        sql += " AND m.user_id = %(user)s"
    return profile_fields, sql


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
    # The thread's change counter: every change to a message already sent (an edit, an unsend, a
    # reaction, a removal, a card update, someone's "delete for me") takes the next value, stored on
    # what changed, so a reconnecting tab asks for "changes after N" (sync) and misses nothing.
    last_change = models.PositiveBigIntegerField(default=0)

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

    class State(models.TextChoices):
        ACCEPTED = "accepted", "In the inbox"
        REQUEST = "request", "Message request"
        DELETED = "deleted", "Deleted request"

    # Where this person sees the conversation: in the inbox; among their message requests
    # (someone outside the circle they chose wrote first: no read receipts, no badge, until they
    # accept); or nowhere (they deleted the request). Their own conversations are always accepted.
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACCEPTED)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        constraints = [
            # One membership per person per thread.
            models.UniqueConstraint(fields=["thread", "user"], name="participant_unique_thread_user"),
        ]
        indexes = [
            # The inbox page: my threads, filtered by archive state.
            models.Index(fields=["user", "archived"], name="participant_user_archived"),
            # The Requests tab and its count: my memberships in one state.
            models.Index(fields=["user", "state"], name="participant_user_state"),
        ]

    def __str__(self):
        return f"{self.user} in {self.thread_id}"

    @property
    def unread_count(self):
        """Messages past the read mark, less unheard ones when annotated (ParticipantQuerySet.with_unheard);
        a thread marked unread by hand with nothing new counts as 1."""
        return unread_count(
            last_seq=self.thread.last_seq, last_read_seq=self.last_read_seq, marked_unread=self.marked_unread,
            unheard=getattr(self, "unheard", 0),
        )

    @property
    def others(self):
        """The other current members, from the prefetched thread.participants (see services.inbox_page)."""
        return [member for member in self.thread.participants.all() if member.user_id != self.user_id]


class Message(models.Model):
    """A line in a thread: something a person wrote, or a system line ("alice added bob")."""

    REACTION_CHOICES = REACTION_EMOJI

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        SYSTEM = "system", "System"
        STICKER = "sticker", "Sticker"

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
    # Set when staff removed the message after a report (inbox.services.remove_message): the row
    # keeps its seq, the body is emptied and the files deleted; everyone sees "This message was removed".
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the message answers or shares, as the app that owns it describes it (a post, a story, a
    # comment, a rating request): {"kind", "ref", "label", "title", "excerpt", "url", "thumbnail_url",
    # "unavailable"}. The inbox stores and shows it without knowing what it is (inbox.services.clean_card).
    card = models.JSONField(null=True, blank=True)
    # "<kind>:<ref>" of the card, so its owner finds every message quoting one thing (update_cards).
    card_key = models.CharField(max_length=80, null=True, blank=True)
    # The id of a sticker Parley ships (inbox.stickers) for a sticker message; blank otherwise.
    sticker = models.CharField(max_length=40, blank=True, default="")
    # The message this one answers, in the same thread; its quote is drawn from the original as
    # it is now, so an edit shows and an unsend shows "Original message unavailable".
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    forwarded = models.BooleanField(default=False)
    # When the sender last edited the text (only the latest text is kept).
    edited_at = models.DateTimeField(null=True, blank=True)
    # When the sender unsent it: like a removal, the row keeps its seq with the body wiped and the files gone.
    unsent_at = models.DateTimeField(null=True, blank=True)
    # The thread's change counter (Thread.last_change) at this message's latest change; 0 if never changed.
    change = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            # seq is the thread's log position; its index also serves "latest 50" and "older than seq N": never two messages at one place.
            models.UniqueConstraint(fields=["thread", "seq"], name="message_unique_thread_seq"),
            # One message per client retry: resending the same client_id must not duplicate.
            models.UniqueConstraint(fields=["sender", "client_id"], name="message_unique_client_id",
                                    condition=Q(client_id__isnull=False)),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
        ]
        indexes = [
            # update_cards: the messages quoting one post, story or comment when it goes away.
            models.Index(fields=["card_key"], name="message_card_key", condition=Q(card_key__isnull=False)),
            # sync: the messages of a thread changed after a client's change cursor.
            models.Index(fields=["thread", "change"], name="message_thread_change", condition=Q(change__gt=0)),
        ]

    def __str__(self):
        return f"#{self.seq} in {self.thread_id}"

    @property
    def card_templates(self):
        """The card's own partial (templates/cards/_<kind>.html, from the app that owns the kind)
        if there is one, else the inbox's plain card: {% include %} takes the first that exists."""
        return (f"cards/_{self.card['kind']}.html", "inbox/_card.html")

    @property
    def is_system(self):
        return self.kind == self.Kind.SYSTEM

    @property
    def is_removed(self):
        return self.removed_at is not None

    @property
    def is_unsent(self):
        return self.unsent_at is not None

    @property
    def is_gone(self):
        """Unsent by its sender or removed by staff: nothing of it is left to show, quote or act on."""
        return self.unsent_at is not None or self.removed_at is not None

    @property
    def is_sticker(self):
        return self.kind == self.Kind.STICKER

    @property
    def sticker_art(self):
        return get_sticker(self.sticker) if self.sticker else None

    @property
    def excerpt(self):
        """A few words saying what the message is, for a reply's quote: the start of its text, or its kind."""
        if self.is_gone:
            return ""
        if self.body:
            words = " ".join(self.body.split())
            return words if len(words) <= 80 else words[:79].rstrip() + "…"
        if self.is_sticker:
            return "Sticker"
        files = self.files
        if files:
            first = files[0]
            if getattr(first, "is_gif", first.content_type == "image/gif"):
                return "GIF"
            return {"image": "Photo", "video": "Video", "audio": "Audio"}.get(first.kind, "File")
        if self.card:
            return self.card.get("title") or self.card.get("label") or "Shared"
        return ""

    @property
    def reaction_summary(self):
        """[{"emoji", "count", "users"}] in the order the emoji were first chosen, from the
        prefetched reactions (inbox.services.REACTIONS_PREFETCH) or one query."""
        reactions = self.__dict__.get(PREFETCHED_REACTIONS)
        if reactions is None:
            reactions = self.reactions.select_related("user").order_by("pk")
        groups = {}
        for reaction in reactions:
            groups.setdefault(reaction.emoji, []).append(reaction.user.username)
        return [{"emoji": emoji, "count": len(users), "users": users} for emoji, users in groups.items()]

    @property
    def action_url(self):
        """Where the message's own forms post: /inbox/<thread>/messages/<seq>/ + react/, edit/, unsend/, hide/, forward/."""
        return reverse("inbox:message_actions", args=[self.thread_id, self.seq])

    @property
    def quote_url(self):
        """The conversation opened around the message this one replies to (inbox.views.thread's ?at=)."""
        original = self.reply_to
        return f"{reverse('inbox:thread', args=[self.thread_id])}?at={original.seq}#message-{original.pk}"

    @property
    def report_url(self):
        # What {% url %} in the message partial would give, at a third of its cost on the push's hot path.
        return reverse("moderation:report_message", args=[self.pk])

    @property
    def files(self):
        """The message's attachments in upload order, as a list.

        Loaded with the message by media.services.attachments_prefetch() (or left by the send path,
        which has them in hand), they cost nothing here; otherwise this is one query.
        """
        files = self.__dict__.get(PREFETCHED_FILES)
        if files is None:
            files = list(self.attachments.order_by("pk"))
        return files



class Reaction(models.Model):
    """One person's reaction to a message: at most one each, choosing another replaces it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=8)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="reaction_unique_message_user"),
        ]

    def __str__(self):
        return f"{self.emoji} by {self.user_id} on {self.message_id}"


class HiddenMessage(models.Model):
    """A message someone deleted for themselves only: their pages and sockets no longer show it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    # Thread.last_change when it was hidden, so that person's reconnecting tabs drop it too (sync).
    change = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="hidden_message_unique_message_user"),
        ]
        indexes = [models.Index(fields=["user", "thread", "change"], name="hidden_user_thread_change")]
