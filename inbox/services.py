"""The inbox's rules: who may read and write a conversation, and every change to one.

The HTTP views, the WebSocket consumer, seed_demo and the tests all come through here. A refusal
raises Refused(code, detail); the consumer sends it as an error frame (docs/protocol.md), a view
as a page with Refused.http_status. Nobody hears about a change before it is committed: every
push is sent from transaction.on_commit through inbox.events.

Wherever a service takes `thread`, it accepts a Thread or a thread id, and checks that the user
is a current participant: outsiders, removed members and missing threads are all "not_found".
"""

import functools
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from media import services as media_services
from media.models import PREFETCHED_FILES, Attachment

from accounts.models import Block, PersonMute
from accounts.services import blocked_ids_subquery, muted_ids_subquery
from common.errors import Refused

from . import events, ratelimit, signals, social, stickers
from .models import (
    MAX_ID, NOT_FOUND, PREFETCHED_REACTIONS, REACTION_EMOJI, HiddenMessage, Message, Participant, Reaction, Thread, direct_key, hand_written_sql, thread_id_of,
)

MAX_BODY_LENGTH = 5000
MAX_CLIENT_ID_LENGTH = 64
MAX_GROUP_SIZE = 64
MAX_GROUP_NAME_LENGTH = Thread._meta.get_field("name").max_length
PAGE_SIZE = 50
SYNC_LIMIT = 200
TYPING_THROTTLE_SECONDS = 2
EDIT_WINDOW = timedelta(minutes=15)
MAX_FORWARD_TARGETS = 10
MESSAGE_NOT_FOUND = "This message does not exist, or you are not in its conversation."


# --- Reading --------------------------------------------------------------------------------


def get_thread_for(user, thread_id):
    """The thread, if the user is one of its current participants; otherwise Refused("not_found").

    A missing thread and someone else's thread are refused alike, so ids reveal nothing.
    """
    thread_id = thread_id_of(thread_id)
    if not user.is_authenticated:
        raise Refused("not_found", NOT_FOUND)
    thread = Thread.objects.filter(pk=thread_id, participants__user=user).first()
    if thread is None:
        raise Refused("not_found", NOT_FOUND)
    return thread


def thread_participants(*, thread):
    """The current members with user and profile, longest-standing first (one query)."""
    return list(
        Participant.objects.filter(thread_id=thread_id_of(thread))
        .select_related("user__profile")
        .order_by("joined", "pk")
    )


def message_extras(messages):
    """What drawing a message needs, for a queryset of messages: sender and profile, the quoted
    message with its sender, files (the message's and the quote's) and reactions with who made
    them. A constant number of queries however many messages: the rows, then one per kind of
    related row that occurs (files, quoted files, reactions)."""
    return messages.select_related("sender__profile", "reply_to__sender").prefetch_related(
        media_services.attachments_prefetch(),
        Prefetch("reply_to__attachments", queryset=Attachment.objects.order_by("pk"), to_attr=PREFETCHED_FILES),
        Prefetch("reactions", queryset=Reaction.objects.select_related("user").order_by("pk"), to_attr=PREFETCHED_REACTIONS),
    )


def messages_page(*, thread, before_seq=None, limit=PAGE_SIZE, viewer=None):
    """Up to `limit` messages before seq `before_seq` (default: the newest), oldest first.

    Two queries (one when there are none): the messages with sender and profile, then all their
    attachments. Keyset pagination on the (thread, seq) unique index: the cost does not depend on
    how long the history is. Seqs have no gaps, so older messages exist exactly when the first
    one's seq > 1. The caller has checked access (get_thread_for). Replies, reactions and files
    add one query each when the page has any (message_extras).

    With a viewer, the messages they deleted for themselves are left out, and so are a group's
    messages from people the viewer blocked (in the same query); a 1:1 stays readable to both after a block. Group history starts with a system line
    that is never left out, so "Load older" always ends at the beginning.
    """
    messages = Message.objects.filter(thread_id=thread_id_of(thread))
    if viewer is not None:
        messages = messages.exclude(pk__in=HiddenMessage.objects.filter(user_id=viewer.pk, thread_id=thread_id_of(thread)).values("message_id"))
        if not isinstance(thread, Thread):
            messages = messages.exclude(thread__kind=Thread.Kind.GROUP, sender_id__in=blocked_ids_subquery(viewer.pk))
        elif thread.is_group:
            messages = messages.exclude(sender_id__in=blocked_ids_subquery(viewer.pk))
    if before_seq is not None:
        messages = messages.filter(seq__lt=_seq(before_seq, "before"))
    newest_first = message_extras(messages).order_by("-seq")[:limit]
    return list(reversed(newest_first))


def messages_after(*, user, thread, after_seq, limit=SYNC_LIMIT):
    """The messages with seq > after_seq, oldest first, at most `limit` (what a reconnecting tab missed).

    Two queries when there is something to send: the messages (the participant check rides on
    that query), then their attachments. An empty answer costs a second query instead, to tell
    "nothing new" from "not yours". Messages the user deleted for themselves, and in a group
    messages from someone the user blocked, come with hidden=True: the consumer sends only their
    seq ("message.hidden"), so seqs stay gapless.
    """
    thread_id = thread_id_of(thread)
    after_seq = min(_seq(after_seq, "after"), MAX_ID)
    limit = max(1, min(limit, SYNC_LIMIT))
    messages = list(
        message_extras(Message.objects.filter(thread_id=thread_id, seq__gt=after_seq, thread__participants__user=user))
        .annotate(hidden=_hidden_from(user))
        .order_by("seq")[:limit]
    )
    if not messages:
        get_thread_for(user, thread_id)
    return messages


def _hidden_from(user):
    """Per message: True when the user deleted it for themselves, or blocked its sender in a group."""
    return Case(
        When(Exists(HiddenMessage.objects.filter(user_id=user.pk, message_id=OuterRef("pk"))), then=Value(True)),
        When(Exists(Block.objects.filter(blocker_id=user.pk, blocked_id=OuterRef("sender_id"))),
             thread__kind=Thread.Kind.GROUP, then=Value(True)),
        default=Value(False),
    )


def changes_after(*, user, thread, after_change, up_to_seq, limit=SYNC_LIMIT):
    """What changed in messages a reconnecting tab already holds: (messages, hidden, cursor, more).

    messages: those with seq <= up_to_seq changed after the client's change cursor (edited,
    unsent, removed, reacted to, their card updated), oldest change first, with hidden=True for
    ones the user may not see; hidden: the (id, seq) the user deleted for themselves since then;
    cursor: the change counter to resume from; more: ask again from cursor. Three or four queries:
    the thread's counter (and the participant check), the messages with their extras, the hides.
    The counter is read first, so a change made meanwhile comes again rather than never.
    """
    thread_id = thread_id_of(thread)
    after_change = min(_seq(after_change, "changes_after"), MAX_ID)
    up_to_seq = min(_seq(up_to_seq, "after"), MAX_ID)
    current = Thread.objects.filter(pk=thread_id, participants__user=user).values_list("last_change", flat=True).first()
    if current is None:
        raise Refused("not_found", NOT_FOUND)
    if current <= after_change:
        return [], [], current, False
    changed = list(
        message_extras(Message.objects.filter(thread_id=thread_id, change__gt=after_change, seq__lte=up_to_seq))
        .annotate(hidden=_hidden_from(user))
        .order_by("change")[:limit]
    )
    more = len(changed) == limit
    cursor = changed[-1].change if more else current
    hides = list(
        HiddenMessage.objects.filter(user_id=user.pk, thread_id=thread_id, change__gt=after_change, change__lte=cursor)
        .values_list("message_id", "message__seq")
    )
    return changed, hides, cursor, more


INBOX_BOXES = ("all", "unread", "archived", "requests")


def inbox_page(*, user, box="all"):
    """The user's memberships for the inbox, most recent activity first; paginate it in the view.

    "all" and "unread" leave archived threads out; "archived" holds only those; all three hold only
    conversations in the inbox (accepted). "requests" holds the pending message requests. Each row
    comes with its thread, the thread's last message with sender and profile, its unheard count
    (unread_count leaves out people the user muted or blocked), whether the user blocked the last
    message's sender (last_hidden: the row does not preview it), and the thread's members with
    their users and profiles (prefetched): three queries per page whatever the number of threads
    (count, rows, members).
    """
    memberships = _memberships_of(user)
    accepted = Participant.State.ACCEPTED
    if box == "all":
        memberships = memberships.filter(archived=False, state=accepted)
    elif box == "unread":
        memberships = memberships.filter(archived=False, state=accepted).unread()
    elif box == "archived":
        memberships = memberships.filter(archived=True, state=accepted)
    elif box == "requests":
        memberships = memberships.pending_requests()
    else:
        raise Refused("bad_request", f"Choose one of: {', '.join(INBOX_BOXES)}.")
    members = Participant.objects.select_related("user__profile").order_by("joined", "pk")
    last_hidden = Exists(Block.objects.filter(blocker_id=user.pk, blocked_id=OuterRef("thread__last_message__sender_id")))
    return (
        memberships.with_unheard().annotate(last_hidden=last_hidden)
        .select_related("thread__last_message__sender__profile")
        .prefetch_related(Prefetch("thread__participants", queryset=members))
        .order_by("-thread__last_message_at", "-thread_id")
    )


def _memberships_of(user):
    """The user's memberships, annotated with ParticipantQuerySet.with_unheard's count, paid only by
    someone who mutes or blocks a person.

    For everyone else the count is 0 by definition. with_unheard counts per membership, a correlated
    subquery over each thread's unread messages, which was most of the inbox's counting for a person
    in 2,000 conversations (60 ms on PostgreSQL, docs/performance.md). Here the two EXISTS do not
    depend on the row, so the database answers them once per statement and skips every count when
    both are false, the member_states statement's trick. The same rule as with_unheard, with the
    user known: tests/inbox/test_inbox_counts.py checks that both agree.
    """
    silenced = Message.objects.filter(thread_id=OuterRef("thread_id"), seq__gt=OuterRef("last_read_seq")).filter(
        Q(sender_id__in=muted_ids_subquery(user.pk)) | Q(sender_id__in=blocked_ids_subquery(user.pk))
    )
    counted = silenced.order_by().values("thread_id").annotate(count=Count("pk")).values("count")
    silences = Exists(PersonMute.objects.filter(muter_id=user.pk)) | Exists(Block.objects.filter(blocker_id=user.pk))
    return Participant.objects.filter(user=user).annotate(
        unheard=Case(When(silences, then=Coalesce(Subquery(counted), 0)), default=Value(0))
    )


def unread_total(user):
    """How many conversations have something unread, for the "Inbox" badge (one query).

    Muted and archived conversations do not count; one marked unread by hand does.
    """
    if not user.is_authenticated:
        return 0
    return _memberships_of(user).counted_in_badge().count()


def inbox_counts(user):
    """The navigation's two numbers in one query: {"unread": unread_total, "requests": pending requests}."""
    if not user.is_authenticated:
        return {"unread": 0, "requests": 0}
    mine = Participant.objects.filter(user=user)
    return mine.aggregate(
        unread=Count("pk", filter=Q(pk__in=_memberships_of(user).counted_in_badge().values("pk"))),
        requests=Count("pk", filter=Q(pk__in=mine.pending_requests().values("pk"))),
    )


# --- Starting conversations -----------------------------------------------------------------

RECIPIENT_SEPARATORS = re.compile(r"[\s,;]+")


def resolve_recipients(*, creator, text):
    """The active people named in "bob, carol dave" (an optional @ allowed), in the order given.

    Names match exactly, or else case-insensitively; the creator's own name is ignored. Unknown
    names are all listed in one Refused("unknown_user").
    """
    names = []
    for raw in RECIPIENT_SEPARATORS.split(text or ""):
        name = raw.lstrip("@")
        if name and name.lower() not in {seen.lower() for seen in names}:
            names.append(name)
    if not names:
        raise Refused("bad_request", "Name at least one person to write to.")
    if len(names) > MAX_GROUP_SIZE:
        raise Refused("too_many_people", f"A conversation can have at most {MAX_GROUP_SIZE} people.")
    User = get_user_model()
    named = Q()
    for name in names:
        named |= Q(username__iexact=name)
    candidates = list(User.objects.filter(named, is_active=True))
    exact = {user.username: user for user in candidates}
    by_lower = {}
    for user in candidates:
        by_lower.setdefault(user.username.lower(), []).append(user)
    found, unknown = [], []
    for name in names:
        match = exact.get(name) or (by_lower.get(name.lower()) or [None])[0]
        if match is None:
            unknown.append(name)
        elif match.pk != creator.pk:
            found.append(match)
    if unknown:
        listed = ", ".join(f"@{name}" for name in unknown)
        raise Refused("unknown_user", f"No one here is called {listed}.")
    if not found:
        raise Refused("not_allowed", "You can't start a conversation with only yourself.")
    return found


def start_thread(*, creator, recipients, name=""):
    """The conversation between the creator and the recipients: (thread, created).

    One recipient: the pair's 1:1, reused if it exists. Two people starting it at the same moment
    still get one thread: the unique direct_key refuses the second insert, which then fetches the
    first one's thread. Two to 63 recipients: a new group (3 to 64 people) with an optional name
    and the system line "alice created the group", pushed to everyone after commit.

    Before anything is created every recipient's route (inbox.social.joining_states:
    a block either way or "Only people I follow" refuses the whole conversation with
    cannot_message; someone outside the circle they chose gets it as a message request), then
    the creator's hourly limit on new conversations with people who don't follow them
    (rate_limited, with retry_after). Reopening an existing 1:1 counts nothing; its next message
    is checked by send_message.
    """
    others = _distinct_others(creator, recipients)
    if not others:
        raise Refused("bad_request", "Name at least one person to write to.")
    if len(others) + 1 > MAX_GROUP_SIZE:
        raise Refused("too_many_people", f"A conversation can have at most {MAX_GROUP_SIZE} people.")
    if len(others) == 1:
        return _direct_thread(creator, others[0])
    name = _clean_group_name(name)
    states = social.joining_states(sender=creator, recipients=others)
    social.count_new_conversation(creator=creator, others=others)
    with transaction.atomic():
        thread = Thread.objects.create(kind=Thread.Kind.GROUP, name=name, creator=creator)
        Participant.objects.bulk_create(
            [Participant(thread=thread, user=creator)]
            + [Participant(thread=thread, user=person, state=states[person.pk]) for person in others]
        )
        seq, _kind, _creator_id, _name = _lock_thread(thread.pk, creator.pk)
        line = f"{creator.username} created the group “{name}”" if name else f"{creator.username} created the group"
        _write_line(thread_id=thread.pk, seq=seq, reader_id=creator.pk, kind=Message.Kind.SYSTEM, body=line)
    thread.refresh_from_db()
    return thread, True


def _distinct_others(creator, recipients):
    others, seen = [], {creator.pk}
    for person in recipients:
        if person.pk in seen:
            continue
        if not person.is_active:
            raise Refused("unknown_user", f"No one here is called @{person.username}.")
        seen.add(person.pk)
        others.append(person)
    return others


def _direct_thread(creator, other):
    key = direct_key(creator.pk, other.pk)
    existing = Thread.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    states = social.joining_states(sender=creator, recipients=[other])
    social.count_new_conversation(creator=creator, others=[other])
    try:
        # A savepoint: if the other person's request inserted the pair first, only this part rolls back.
        with transaction.atomic():
            thread = Thread.objects.create(kind=Thread.Kind.DIRECT, direct_key=key, creator=creator)
            Participant.objects.bulk_create([
                Participant(thread=thread, user=creator), Participant(thread=thread, user=other, state=states[other.pk]),
            ])
    except IntegrityError:
        return Thread.objects.get(direct_key=key), False
    return thread, True


def _clean_group_name(name):
    name = " ".join((name or "").split())
    if len(name) > MAX_GROUP_NAME_LENGTH:
        raise Refused("too_long", f"A group name can have at most {MAX_GROUP_NAME_LENGTH} characters.")
    return name


# --- Sending --------------------------------------------------------------------------------


def clean_body(body):
    """The body without surrounding whitespace; Refused when empty or over 5,000 characters."""
    if not isinstance(body, str):
        raise Refused("bad_request", '"body" must be text.')
    body = body.strip()
    if not body:
        raise Refused("empty_body", "Write something before sending.")
    if len(body) > MAX_BODY_LENGTH:
        raise Refused("too_long", f"A message can have at most {MAX_BODY_LENGTH:,} characters ({len(body):,} given).")
    return body


def clean_client_id(client_id):
    """A client id is optional text of at most 64 characters; an empty one counts as none."""
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str):
        raise Refused("bad_request", '"client_id" must be text.')
    if len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise Refused("bad_request", f'"client_id" can have at most {MAX_CLIENT_ID_LENGTH} characters.')
    return client_id


CARD_KIND = re.compile(r"[a-z][a-z_]{0,29}")
CARD_TEXT_FIELDS = {"label": 80, "title": 200, "excerpt": 300, "unavailable_text": 120}
CARD_PATH_FIELDS = ("url", "thumbnail_url")


def clean_card(card):
    """A card as the message keeps it, from the app that builds it (never from a client's frame).

    kind: lower-case letters and "_"; ref: the id of the thing in its app. Texts are cut to their
    length; url and thumbnail_url must be paths on this site ("/p/12/"), so a card never links out.
    Refused("bad_request") for anything else, before the database.
    """
    if card is None:
        return None, None
    if not isinstance(card, dict) or not isinstance(card.get("kind"), str) or not CARD_KIND.fullmatch(card["kind"]):
        raise Refused("bad_request", "A card needs a kind.")
    ref = card.get("ref")
    if isinstance(ref, bool) or not isinstance(ref, (int, str)) or not str(ref) or len(str(ref)) > 40:
        raise Refused("bad_request", "A card needs the id of what it shows.")
    cleaned = {"kind": card["kind"], "ref": ref, "unavailable": bool(card.get("unavailable"))}
    for field, limit in CARD_TEXT_FIELDS.items():
        value = card.get(field) or ""
        if not isinstance(value, str):
            raise Refused("bad_request", f'A card\'s "{field}" must be text.')
        cleaned[field] = value[:limit]
    for field in CARD_PATH_FIELDS:
        value = card.get(field) or ""
        if not isinstance(value, str) or (value and not (value.startswith("/") and not value.startswith("//"))):
            raise Refused("bad_request", f'A card\'s "{field}" must be a path on this site.')
        cleaned[field] = value[:500]
    return cleaned, f"{cleaned['kind']}:{ref}"


def update_cards(*, kind, ref, **changes):
    """Change every stored card of one thing (a post deleted, a story expired): returns the messages
    changed, with their senders; every open tab in those conversations gets "message.updated" after
    commit. Two UPDATEs per message holding it (the message and its thread's change counter).

    changes: card fields (unavailable=True, title="", thumbnail_url="" ...), cleaned as clean_card does.
    """
    key = f"{kind}:{ref}"
    changed = []
    with transaction.atomic():
        for message in message_extras(Message.objects.filter(card_key=key)):
            card, _key = clean_card({**message.card, **changes})
            message.change = _next_change(message.thread_id)
            Message.objects.filter(pk=message.pk).update(card=card, change=message.change)
            message.card = card
            changed.append(message)
            transaction.on_commit(functools.partial(events.broadcast_message_updated, message))
    return changed


def send_message(*, sender, thread, body, client_id=None, attachment_ids=(), card=None, reply_to=None, sticker=None,
                 forwarded=False):
    """Store a message from a participant and, after commit, push it to every participant: (message, created).

    Checks, in order and before the database: attachment ids (at most ATTACHMENTS_PER_MESSAGE),
    body (trimmed, 1 to 5,000 characters; empty is fine when files come with it), client id
    (at most 64 characters), the sender's rate (SEND_RATE_PER_MINUTE, in the cache). Then one
    transaction locks the thread row to take the next seq, so concurrent senders queue up and seqs
    follow commit order with no gaps; it stores the message, claims the sender's unsent uploads
    for it (media.services.attach_to_message: any id unknown, someone else's or already sent
    refuses the whole message, seq included), moves the thread's last message, sets the sender's
    read mark to it, and brings the thread back from the archive of participants who archived it
    (not those who also muted it: archived and muted stays quiet).

    A repeated (sender, client_id) stores nothing and tells nobody: it returns the stored message
    (with the files the first send attached) with created=False (the consumer answers only the
    retrying socket).

    card: what the message answers or shares, from the app that owns it (see clean_card); with a
    card, as with files, the body may be empty. sticker: the id of one of Parley's stickers
    (inbox.stickers); a sticker message has no words or files. reply_to: the seq of a message of
    the same thread that this one answers (one more query, in the transaction). forwarded: a copy
    made by forward_message.

    In a 1:1, once the thread is locked, the route (inbox.social.check_direct_send): a block
    either way, or "Only people I follow" for a conversation not yet accepted, refuses the message
    with cannot_message before anything is stored, whatever it carries. A message from outside
    the recipient's circle lands among their message requests. Writing accepts the writer's own
    pending request (replying accepts, as on Instagram). A retry of a message stored before a
    block still returns it: the retrying tab only learns its message was sent.
    """
    thread_id = thread_id_of(thread)
    attachment_ids = media_services.parse_attachment_ids(attachment_ids)
    media_services.check_count(len(attachment_ids))
    card, card_key = clean_card(card)
    message_kind = Message.Kind.TEXT
    if sticker is not None and sticker != "":
        if stickers.get_sticker(sticker) is None:
            raise Refused("unknown_sticker", "Parley has no sticker by that name.")
        if attachment_ids or (isinstance(body, str) and body.strip()):
            raise Refused("bad_request", "A sticker is sent on its own, without words or files.")
        message_kind, body = Message.Kind.STICKER, ""
    else:
        sticker = ""
        # A message may be files or a card only: then a blank body is stored empty.
        carries_something = attachment_ids or card is not None
        body = "" if carries_something and isinstance(body, str) and not body.strip() else clean_body(body)
    if reply_to is not None:
        reply_to = _seq(reply_to, "reply_to")
    client_id = clean_client_id(client_id)
    if not ratelimit.allow_send(sender.pk):
        raise Refused(
            "rate_limited", "You are sending messages too quickly. Wait a moment, then try again.",
            retry_after=ratelimit.seconds_to_next_send_window(),
        )
    try:
        with transaction.atomic():
            seq, kind, _creator_id, _name = _lock_thread(thread_id, sender.pk)
            if kind == Thread.Kind.DIRECT:
                social.check_direct_send(sender=sender, thread_id=thread_id)
            quoted = _quoted_message(thread_id, reply_to) if reply_to is not None else None
            message = _write_line(
                thread_id=thread_id, seq=seq, reader_id=sender.pk, kind=message_kind,
                body=body, sender=sender, client_id=client_id, attachment_ids=attachment_ids,
                card=card, card_key=card_key, sticker=sticker, reply_to=quoted, forwarded=bool(forwarded),
            )
    except Refused as refusal:
        # A refused file rolled the whole transaction back, message and seq included: no message
        # without its files. A retry of a message stored before a block: its tab learns it was
        # sent; nothing new happens.
        original = _original_of_retry(sender, client_id) if refusal.code == "cannot_message" else None
        if original is None or original.thread_id != thread_id:
            raise
        return original, False
    except IntegrityError:
        # The (sender, client_id) constraint: this is a retry. The whole transaction rolled back,
        # seq included, so nothing is lost or doubled.
        original = _original_of_retry(sender, client_id)
        if original is None:
            raise
        if original.thread_id != thread_id:
            raise Refused("bad_request", "This client_id was already used for another conversation.") from None
        return original, False
    # After the commit (at once when there is no outer transaction): the apps above may answer.
    transaction.on_commit(lambda: signals.message_sent.send(sender=Message, message=message))
    return message, True


def _quoted_message(thread_id, seq):
    """The message a reply answers, with what its quote shows (sender, files): Refused when it is
    not a message of this thread."""
    quoted = (
        Message.objects.select_related("sender").prefetch_related(media_services.attachments_prefetch())
        .filter(thread_id=thread_id, seq=seq).first()
    )
    if quoted is None or quoted.is_system:
        raise Refused("bad_request", "You can only reply to a message of this conversation.")
    return quoted


def _original_of_retry(sender, client_id):
    if client_id is None:
        return None
    return message_extras(Message.objects.filter(sender=sender, client_id=client_id)).first()


def _lock_thread(thread_id, member_id):
    """Take the thread's next seq, holding the thread row until commit: (seq, kind, creator_id, name).

    The UPDATE takes PostgreSQL's row lock (SQLite's IMMEDIATE transaction already holds the
    write lock), so writers of one thread queue here and seqs follow commit order. RETURNING saves
    a read-back query on the hottest path. The EXISTS keeps outsiders from queueing on the lock at
    all; _mark_read_on_write checks membership again once the lock is held.
    """
    sql = hand_written_sql(
        "UPDATE {thread} SET last_seq = last_seq + 1 WHERE id = %(thread)s AND EXISTS "
        "(SELECT 1 FROM {member} m WHERE m.thread_id = {thread}.id AND m.user_id = %(member)s) "
        "RETURNING last_seq, kind, creator_id, name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"thread": thread_id, "member": member_id})
        row = cursor.fetchone()
    if row is None:
        raise Refused("not_found", NOT_FOUND)
    return row


def _mark_read_on_write(thread_id, reader_id, seq):
    """Inside the locked transaction: move the writer's read mark to seq and unarchive for the others.

    A statement of its own after the lock, on purpose: on PostgreSQL the EXISTS in _lock_thread may
    have judged a snapshot from before a concurrent removal committed; this one sees the removal, so
    a member removed a moment ago cannot slip a message in. One UPDATE ... RETURNING does both jobs.
    """
    # Writing in a conversation also accepts it for the writer, if it was a message request.
    sql = hand_written_sql(
        "UPDATE {member} SET "
        "last_read_seq = CASE WHEN user_id = %(reader)s THEN %(seq)s ELSE last_read_seq END, "
        "marked_unread = CASE WHEN user_id = %(reader)s THEN %(no)s ELSE marked_unread END, "
        "state = CASE WHEN user_id = %(reader)s THEN %(accepted)s ELSE state END, "
        "archived = %(no)s "
        "WHERE thread_id = %(thread)s AND (user_id = %(reader)s OR (archived = %(yes)s AND muted = %(no)s)) "
        "RETURNING user_id"
    )
    params = {
        "reader": reader_id, "seq": seq, "thread": thread_id, "accepted": Participant.State.ACCEPTED.value,
        "yes": True, "no": False,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        touched = {row[0] for row in cursor.fetchall()}
    if reader_id not in touched:
        raise Refused("not_found", NOT_FOUND)


def _write_line(*, thread_id, seq, reader_id, kind, body, sender=None, client_id=None, attachment_ids=(),
                card=None, card_key=None, sticker="", reply_to=None, forwarded=False):
    """Store one line at seq in a transaction that holds the thread lock, and push it after commit.

    attachment_ids: the sender's unsent uploads, claimed for the message (media.services.Refused
    when one is not theirs to send: the caller's transaction then rolls back).
    """
    _mark_read_on_write(thread_id, reader_id, seq)
    now = timezone.now()
    message = _insert_message(
        thread_id=thread_id, sender=sender, kind=kind, body=body, seq=seq, client_id=client_id, created=now,
        card=card, card_key=card_key, sticker=sticker, reply_to=reply_to, forwarded=forwarded,
    )
    attached = media_services.attach_to_message(owner=sender, attachment_ids=attachment_ids, message=message)
    _remember_attachments(message, attached)
    # A new message has no reactions yet: drawing it for the push asks no query.
    setattr(message, PREFETCHED_REACTIONS, [])
    sql = hand_written_sql("UPDATE {thread} SET last_message_id = %(message)s, last_message_at = %(now)s WHERE id = %(thread)s")
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"message": message.pk, "now": connection.ops.adapt_datetimefield_value(now), "thread": thread_id}
        )
    transaction.on_commit(lambda: events.broadcast_new_message(message, author_id=reader_id))
    return message


def _insert_message(**values):
    """INSERT one message row and return it as a saved Message.

    Hand-written for the hottest path, like _lock_thread: Message.objects.create spent most of its
    time compiling the INSERT. The columns and their conversions are the model's, so a field added
    later is written with its default, as create() would.
    """
    message = Message(**values)
    fields, sql = _message_insert_sql(connection.vendor)
    params = {field.attname: field.get_db_prep_save(getattr(message, field.attname), connection) for field in fields}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        message.pk = cursor.fetchone()[0]
    message._state.adding, message._state.db = False, connection.alias
    return message


@functools.cache
def _message_insert_sql(vendor):
    # vendor is only part of the key: quote_name differs between databases.
    fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(f'%({field.attname})s' for field in fields)}) RETURNING {quote(Message._meta.pk.column)}"
    )
    return fields, sql


def _remember_attachments(message, attachments):
    """Leave the attachments in hand where attachments_prefetch() would put them: message.files then costs no query.

    The push after commit renders the message's files; most messages have none, and
    attach_to_message has just read the others.
    """
    setattr(message, PREFETCHED_FILES, list(attachments))


# --- Files sent in conversations ------------------------------------------------------------


def attachments_in_conversations_of(user):
    """The files user may fetch as a member of conversations: those sent in a conversation they
    are in now (a removed member or someone who left no longer may). media.services asks this
    through its access rules (registered in InboxConfig.ready)."""
    # A participant appears at most once per thread (unique constraint), so the join yields one row.
    return Q(message__thread__participants__user=user)


def delete_message_files(message_ids):
    """Delete the attachments of these messages now, and their stored files once the caller's
    transaction commits (never before: a rollback must find the files still there)."""
    attachments = Attachment.objects.filter(message_id__in=message_ids)
    media_services.delete_files_of(attachments)
    attachments.delete()


# --- Removing a message (moderation) ---------------------------------------------------------


def remove_message(*, message, removed_by):
    """Remove a message for everyone: its row stays at its seq, blanked and marked removed; its files go.

    For staff acting on a report (moderation.services), so removed_by need not be a participant.
    One transaction (the caller's, when it has one): the body is emptied, removed_at/removed_by
    are set by a conditional UPDATE (two staff acting at once remove it once), the attachment rows
    are deleted and their stored files deleted after commit. After commit every current
    participant's sockets get "message.removed" with the message's new html, so open pages show
    "This message was removed" in its place. Refused("not_found") when the message is gone,
    Refused("not_allowed") for a system line, Refused("already_removed") the second time.
    """
    message_id = message.pk
    with transaction.atomic():
        change = _next_change(message.thread_id)
        blanked = Message.objects.filter(pk=message_id, removed_at__isnull=True).exclude(kind=Message.Kind.SYSTEM).update(
            body="", card=None, card_key=None, sticker="", removed_at=timezone.now(), removed_by=removed_by, change=change
        )
        if not blanked:
            current = Message.objects.filter(pk=message_id).values_list("kind", flat=True).first()
            if current is None:
                raise Refused("not_found", "This message no longer exists.")
            if current == Message.Kind.SYSTEM:
                raise Refused("not_allowed", "A system line can't be removed.")
            raise Refused("already_removed", "This message was already removed.")
        delete_message_files([message_id])
        Reaction.objects.filter(message_id=message_id).delete()
        removed = Message.objects.select_related("sender__profile", "reply_to__sender").get(pk=message_id)
        _remember_attachments(removed, [])
        setattr(removed, PREFETCHED_REACTIONS, [])
        transaction.on_commit(lambda: events.broadcast_message_removed(removed))
    return removed


# --- Changing a sent message: reactions, edits, unsend, delete for me, forward ---------------


def _next_change(thread_id):
    """Take the thread's next change number (Thread.last_change), holding its row until commit,
    so changes, like seqs, are numbered in commit order."""
    sql = hand_written_sql("UPDATE {thread} SET last_change = last_change + 1 WHERE id = %(thread)s RETURNING last_change")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"thread": thread_id})
        row = cursor.fetchone()
    if row is None:
        raise Refused("not_found", NOT_FOUND)
    return row[0]


def _check_change_rate(user):
    if not ratelimit.allow_change(user.pk):
        raise Refused(
            "rate_limited", "You are changing messages too quickly. Wait a moment, then try again.",
            retry_after=ratelimit.seconds_to_next_send_window(),
        )


def get_message_for(user, thread, seq):
    """The message at seq of a thread the user is a current participant of, with what drawing it
    needs; Refused("not_found") alike for a missing message, a thread they are not in, a message
    they deleted for themselves and, in a group, one from someone they blocked. Four queries at
    most (the message, then its files, quote's files and reactions, when it has any)."""
    thread_id = thread_id_of(thread)
    seq = _seq(seq, "seq")
    if not user.is_authenticated or not 1 <= seq <= MAX_ID:
        raise Refused("not_found", MESSAGE_NOT_FOUND)
    messages = Message.objects.filter(thread_id=thread_id, seq=seq, thread__participants__user=user)
    message = message_extras(messages.select_related("thread").annotate(hidden=_hidden_from(user))).first()
    if message is None or message.hidden:
        raise Refused("not_found", MESSAGE_NOT_FOUND)
    return message


def _changing(user, thread, seq):
    """Inside a transaction, for a change to a sent message: take the thread's next change number
    first (the thread row is locked from then on, as a send locks it, so every writer of a thread
    takes its locks in one order), then the message. Returns the message with .change set."""
    change = _next_change(thread_id_of(thread))
    message = get_message_for(user, thread, seq)
    message.change = change
    return message


def _check_not_blocked(user, message, code, detail):
    """In a 1:1 after a block either way, nothing new can be said, a reaction or an edit included (one query)."""
    if message.thread.is_group:
        return
    other = Participant.objects.filter(thread_id=message.thread_id).exclude(user_id=user.pk).values("user_id")
    if Block.objects.filter(Q(blocker_id=user.pk, blocked_id__in=other) | Q(blocked_id=user.pk, blocker_id__in=other)).exists():
        raise Refused(code, detail)


def react(*, user, thread, seq, emoji):
    """Set the user's reaction to a message (one per person: another emoji replaces theirs, the
    same one again or None removes it); returns the message with its new reactions.

    Not a new message: no seq, no unread count, no read mark moves. Everyone in the conversation
    gets "message.updated" after commit, except group members who blocked the reactor.
    Refused: cannot_react (a system line, an unsent or removed message, a 1:1 after a block),
    bad_request (an emoji Parley does not offer), not_found, rate_limited.
    """
    if emoji is not None and emoji not in REACTION_EMOJI:
        raise Refused("bad_request", f"React with one of: {' '.join(REACTION_EMOJI)}.")
    _check_change_rate(user)
    with transaction.atomic():
        message = _changing(user, thread, seq)
        if message.is_system or message.is_gone:
            raise Refused("cannot_react", "You can't react to this message.")
        _check_not_blocked(user, message, "cannot_react", "You can't react in this conversation.")
        current = next((reaction for reaction in message.prefetched_reactions if reaction.user_id == user.pk), None)
        if current is None and emoji is None:
            transaction.set_rollback(True)
            return message
        Message.objects.filter(pk=message.pk).update(change=message.change)
        if current is not None:
            Reaction.objects.filter(pk=current.pk).delete()
        kept = [reaction for reaction in message.prefetched_reactions if reaction.user_id != user.pk]
        if emoji is not None and (current is None or current.emoji != emoji):
            kept.append(Reaction.objects.create(message=message, user=user, emoji=emoji))
        setattr(message, PREFETCHED_REACTIONS, kept)
        transaction.on_commit(lambda: events.broadcast_message_updated(message, except_blockers_of=user.pk))
    return message


def edit_message(*, user, thread, seq, body):
    """Replace the text of the user's own message, within EDIT_WINDOW of sending it; returns it.

    Only the latest text is kept (a report keeps its own snapshot). "Edited" shows from then on.
    Everyone in the conversation gets "message.updated" after commit. Refused: not_yours,
    edit_window_passed, cannot_edit (a sticker, a message without words, unsent or removed),
    cannot_message (a 1:1 after a block), empty_body, too_long, not_found, rate_limited.
    """
    body = clean_body(body)
    _check_change_rate(user)
    with transaction.atomic():
        message = _changing(user, thread, seq)
        if message.sender_id != user.pk:
            raise Refused("not_yours", "You can only edit your own messages.")
        if message.is_gone or message.kind != Message.Kind.TEXT or not message.body:
            raise Refused("cannot_edit", "Only a message with words can be edited.")
        if timezone.now() - message.created > EDIT_WINDOW:
            raise Refused("edit_window_passed", "A message can only be edited in the 15 minutes after it was sent.")
        _check_not_blocked(user, message, "cannot_message", "You can't message this person.")
        if body == message.body:
            transaction.set_rollback(True)
            return message
        message.body, message.edited_at = body, timezone.now()
        Message.objects.filter(pk=message.pk).update(body=body, edited_at=message.edited_at, change=message.change)
        transaction.on_commit(lambda: events.broadcast_message_updated(message))
    return message


def unsend_message(*, user, thread, seq):
    """Take the user's own message back, for everyone, at any time; returns it.

    The row keeps its seq, so nobody sees a gap; its body, card, sticker and reactions are wiped
    in the same transaction and its files deleted from storage once that commits (a report keeps
    its own snapshot and copies). Everyone gets "message.updated" after commit, which says
    "alice unsent a message". Refused: not_yours, cannot_unsend (already unsent or removed, a
    system line), not_found, rate_limited.
    """
    _check_change_rate(user)
    with transaction.atomic():
        message = _changing(user, thread, seq)
        if message.sender_id != user.pk:
            raise Refused("not_yours", "You can only unsend your own messages.")
        if message.is_gone or message.is_system:
            raise Refused("cannot_unsend", "This message is already gone.")
        message.unsent_at = timezone.now()
        Message.objects.filter(pk=message.pk).update(
            body="", card=None, card_key=None, sticker="", edited_at=None, unsent_at=message.unsent_at, change=message.change,
        )
        delete_message_files([message.pk])
        Reaction.objects.filter(message_id=message.pk).delete()
        message.body, message.card, message.card_key, message.sticker, message.edited_at = "", None, None, "", None
        _remember_attachments(message, [])
        setattr(message, PREFETCHED_REACTIONS, [])
        transaction.on_commit(lambda: events.broadcast_message_updated(message))
    return message


def hide_message(*, user, thread, seq):
    """Delete a message for the user only: their pages and every tab of theirs stop showing it
    ("message.updated" with hidden to their own sockets); nobody else is told. Hiding it twice
    changes nothing. Refused: not_found, rate_limited."""
    _check_change_rate(user)
    with transaction.atomic():
        message = _changing(user, thread, seq)
        HiddenMessage.objects.create(user=user, message=message, thread_id=message.thread_id, change=message.change)
        transaction.on_commit(lambda: events.send_message_hidden(message, user_id=user.pk))
    return message


def forward_targets(*, user, limit=50):
    """The conversations a message can be forwarded to from the user's inbox, most recent first,
    with their members (three queries, as inbox_page)."""
    return list(inbox_page(user=user, box="all")[:limit])


def forward_message(*, user, thread, seq, to):
    """Send copies of a message (its words, sticker, card and files) to some of the user's
    conversations: returns (sent, refused), sent a list of new messages, refused a list of
    (thread id, Refused) for the conversations it could not go to.

    Each copy is an ordinary new message marked "Forwarded", through send_message and its rules
    (blocks, requests, rate limits), with its own copies of the files on the storage, so
    unsending the original breaks nothing. Refused (for the whole forward): not_found,
    cannot_forward (unsent, removed, a system line), bad_request (no target, or over 10).
    """
    original = get_message_for(user, thread, seq)
    if original.is_gone or original.is_system:
        raise Refused("cannot_forward", "This message can't be forwarded.")
    if not isinstance(to, (list, tuple)) or not to:
        raise Refused("bad_request", "Choose at least one conversation to forward to.")
    targets = []
    for target in to:
        target_id = thread_id_of(target)
        if target_id not in targets:
            targets.append(target_id)
    if len(targets) > MAX_FORWARD_TARGETS:
        raise Refused("bad_request", f"A message can be forwarded to at most {MAX_FORWARD_TARGETS} conversations at once.")
    sent, refused = [], []
    for target_id in targets:
        copies = []
        try:
            get_thread_for(user, target_id)
            copies = media_services.copy_attachments(owner=user, attachments=original.files)
            message, _created = send_message(
                sender=user, thread=target_id, body=original.body, attachment_ids=[copy.pk for copy in copies],
                card=original.card, sticker=original.sticker or None, forwarded=True,
            )
        except Refused as refusal:
            if copies:
                media_services.discard_uploads(copies)
            refused.append((target_id, refusal))
        else:
            sent.append(message)
    return sent, refused


# --- One person's view of a conversation ----------------------------------------------------


def mark_read(*, user, thread, seq=None):
    """Move the user's read mark forward to seq (default: the newest message); return the mark.

    Never moves backwards and clears "marked unread". After commit, when the mark moved, every
    participant's sockets get a "read" frame (for "Seen"), and the reader's own sockets an
    "unread.update". Three queries when something changed, one when not.

    A message request is read without a trace: the mark stays until the user accepts it
    (inbox.social.accept_request), so the writer sees no "Seen" before that.
    """
    thread_id = thread_id_of(thread)
    if seq is not None:
        seq = _seq(seq, "seq")
    members = list(
        Participant.objects.filter(thread_id=thread_id).values_list(
            "user_id", "last_read_seq", "marked_unread", "thread__last_seq", "state"
        )
    )
    mine = next((member for member in members if member[0] == user.pk), None)
    if mine is None:
        raise Refused("not_found", NOT_FOUND)
    _user_id, previous, marked_unread, last_seq, state = mine
    if state != Participant.State.ACCEPTED:
        return previous
    target = last_seq if seq is None else min(seq, last_seq)
    mark = max(target, previous)
    if mark == previous and not marked_unread:
        return previous
    with transaction.atomic():
        Participant.objects.filter(thread_id=thread_id, user=user).update(
            last_read_seq=Greatest(F("last_read_seq"), Value(mark)), marked_unread=False
        )
        if mark > previous:
            member_ids = [member[0] for member in members]
            transaction.on_commit(
                lambda: events.broadcast_read(thread_id=thread_id, username=user.username, seq=mark, member_ids=member_ids)
            )
        transaction.on_commit(lambda: events.send_unread_update(user_id=user.pk, thread_id=thread_id))
    return mark


def mark_unread(*, user, thread):
    """Mark the conversation unread for the user until they read it again (the inbox shows it bold)."""
    _update_own_membership(user, thread, marked_unread=True)


def set_archived(*, user, thread, archived):
    """Archive or unarchive the conversation for the user only; a new message unarchives it unless muted."""
    _update_own_membership(user, thread, archived=bool(archived))


def set_muted(*, user, thread, muted):
    """Mute or unmute the conversation for the user: muted ones do not count in the "Inbox" badge."""
    _update_own_membership(user, thread, muted=bool(muted))


def _update_own_membership(user, thread, **fields):
    thread_id = thread_id_of(thread)
    with transaction.atomic():
        if not Participant.objects.filter(thread_id=thread_id, user=user).update(**fields):
            raise Refused("not_found", NOT_FOUND)
        # The badge total and the row's count depend on these flags: tell the user's other tabs.
        transaction.on_commit(lambda: events.send_unread_update(user_id=user.pk, thread_id=thread_id))


def note_typing(*, user, thread):
    """Tell the other participants the user is typing; repeats within 2 s are dropped. True if sent.

    One query (the members, with the typist's current display name, and whether a block stands
    between them and the typist: those members are not told), then a cache add. Nor are members
    who deleted the conversation as a request.
    """
    thread_id = thread_id_of(thread)
    member = OuterRef("user_id")
    blocked = Exists(Block.objects.filter(Q(blocker_id=user.pk, blocked_id=member) | Q(blocker_id=member, blocked_id=user.pk)))
    members = list(
        Participant.objects.filter(thread_id=thread_id)
        .annotate(blocked=blocked)
        .values_list("user_id", "user__profile__display_name", "blocked", "state")
    )
    mine = next((member for member in members if member[0] == user.pk), None)
    if mine is None:
        raise Refused("not_found", NOT_FOUND)
    if not ratelimit.first_in(f"typing:{user.pk}:{thread_id}", TYPING_THROTTLE_SECONDS):
        return False
    events.broadcast_typing(
        thread_id=thread_id,
        username=user.username,
        name=mine[1] or user.username,
        member_ids=[
            member_id for member_id, _name, blocked, state in members
            if member_id != user.pk and not blocked and state != Participant.State.DELETED
        ],
    )
    return True


# --- Groups ---------------------------------------------------------------------------------


def rename_group(*, user, thread, name):
    """Rename a group (any member; an empty name clears it) with a system line. Same name: nothing happens."""
    thread_id = thread_id_of(thread)
    name = _clean_group_name(name)
    with transaction.atomic():
        seq, kind, _creator_id, old_name = _lock_thread(thread_id, user.pk)
        _require_group(kind, "Only a group can have a name.")
        if name == old_name:
            transaction.set_rollback(True)
            return
        Thread.objects.filter(pk=thread_id).update(name=name)
        line = f"{user.username} named the group “{name}”" if name else f"{user.username} removed the group name"
        _write_line(thread_id=thread_id, seq=seq, reader_id=user.pk, kind=Message.Kind.SYSTEM, body=line)


def add_participants(*, user, thread, users):
    """Add people to a group (any member may), up to 64 in all, with one system line. Returns who was added.

    New members see the history, and only the "added" line counts as unread for them. Each
    newcomer's route is checked under the thread lock (inbox.social.joining_states): anyone the
    adder may not message (a block either way, "Only people I follow") refuses the whole add with
    cannot_message; someone outside their chosen circle finds the group among their message requests.
    """
    thread_id = thread_id_of(thread)
    newcomers = _distinct_others(user, users)
    with transaction.atomic():
        seq, kind, _creator_id, _name = _lock_thread(thread_id, user.pk)
        _require_group(kind, "A one-to-one conversation cannot grow: start a group instead.")
        current = set(Participant.objects.filter(thread_id=thread_id).values_list("user_id", flat=True))
        newcomers = [person for person in newcomers if person.pk not in current]
        if not newcomers:
            raise Refused("bad_request", "Everyone you named is already in this conversation.")
        if len(current) + len(newcomers) > MAX_GROUP_SIZE:
            raise Refused("too_many_people", f"A group can have at most {MAX_GROUP_SIZE} people.")
        states = social.joining_states(sender=user, recipients=newcomers)
        Participant.objects.bulk_create([
            Participant(thread_id=thread_id, user=person, last_read_seq=seq - 1, state=states[person.pk])
            for person in newcomers
        ])
        names = _join_names([person.username for person in newcomers])
        _write_line(thread_id=thread_id, seq=seq, reader_id=user.pk, kind=Message.Kind.SYSTEM,
                    body=f"{user.username} added {names}")
    return newcomers


def remove_participant(*, user, thread, member):
    """The group's creator removes a member, with a system line; the member is told "thread.removed".

    The membership row is deleted in the same transaction, so from the commit on the member is an
    outsider: no pushes, and every request about the thread is not_found.
    """
    thread_id = thread_id_of(thread)
    with transaction.atomic():
        seq, kind, creator_id, _name = _lock_thread(thread_id, user.pk)
        _require_group(kind, "No one can be removed from a one-to-one conversation.")
        if creator_id != user.pk:
            raise Refused("not_allowed", "Only the person who started the group can remove people.")
        if member.pk == user.pk:
            raise Refused("not_allowed", "To go, leave the group instead.")
        deleted, _by_model = Participant.objects.filter(thread_id=thread_id, user=member).delete()
        if not deleted:
            raise Refused("not_found", f"@{member.username} is not in this group.")
        _write_line(thread_id=thread_id, seq=seq, reader_id=user.pk, kind=Message.Kind.SYSTEM,
                    body=f"{user.username} removed {member.username}")
        transaction.on_commit(lambda: events.send_removed(thread_id=thread_id, user_id=member.pk))


def leave_thread(*, user, thread):
    """Leave a group, with the system line "bob left"; if the creator leaves, the longest-standing member takes over."""
    thread_id = thread_id_of(thread)
    with transaction.atomic():
        seq, kind, creator_id, _name = _lock_thread(thread_id, user.pk)
        _require_group(kind, "You can't leave a one-to-one conversation; archive it instead.")
        _write_line(thread_id=thread_id, seq=seq, reader_id=user.pk, kind=Message.Kind.SYSTEM,
                    body=f"{user.username} left")
        Participant.objects.filter(thread_id=thread_id, user=user).delete()
        if creator_id == user.pk:
            successor = (
                Participant.objects.filter(thread_id=thread_id).order_by("joined", "pk")
                .values_list("user_id", flat=True).first()
            )
            Thread.objects.filter(pk=thread_id).update(creator_id=successor)
        transaction.on_commit(lambda: events.send_removed(thread_id=thread_id, user_id=user.pk))


def _require_group(kind, detail):
    if kind != Thread.Kind.GROUP:
        raise Refused("not_allowed", detail)


def _join_names(names):
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _seq(value, field):
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if type(value) is not int or value < 0:
        raise Refused("bad_request", f'"{field}" must be a whole number, 0 or more.')
    return value
