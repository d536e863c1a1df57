"""What the inbox tells open sockets: the JSON frames, the message HTML, and the group sends.

Every push goes to the per-user group "user.<id>" (each open tab of a user is one socket in it),
and only to users who are participants when the push is prepared, read from the database, never
from anything a client sent. Each user gets one channel-layer event per change,
{"type": "frames", "texts": [...]}, holding that user's frames already encoded as JSON, in order
(message.new, then unread.update): one layer send per recipient instead of one per frame, each
frame encoded once however many sockets get it. The consumer forwards the texts untouched.
The frames themselves are documented in docs/protocol.md.

No database writes here. The services call these functions from transaction.on_commit, so the
rows they describe are committed before anyone hears of them.
"""

import asyncio
import collections
import json
import logging
import os
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string

from accounts.models import Block

from media.services import attachment_payload

from .models import Participant, Thread, member_states

logger = logging.getLogger(__name__)


def user_group(user_id):
    return f"user.{user_id}"


def message_payload(message):
    """The contract's "message" object: JSON types only. sender is null for system lines.

    "attachments" is always there ([] without files); load them with the message
    (media.services.attachments_prefetch(), as inbox.services does), or message.files costs a query.
    """
    return {
        "id": message.pk,
        "seq": message.seq,
        "kind": str(message.kind),
        "sender": message.sender.username if message.sender_id else None,
        "body": message.body,
        "created": message.created.isoformat(),
        "client_id": message.client_id,
        "attachments": [attachment_payload(attachment) for attachment in message.files],
        "card": message.card,
        "sticker": message.sticker or None,
        "reply_to": reply_payload(message),
        "edited": message.edited_at.isoformat() if message.edited_at else None,
        "reactions": message.reaction_summary,
        "unsent": message.unsent_at is not None,
        "removed": message.removed_at is not None,
        "forwarded": message.forwarded,
    }


def reply_payload(message):
    """The quote of a reply: null, or {"seq", "sender", "excerpt", "unavailable"} from the original
    as it is now (unsent or removed: no excerpt, unavailable true)."""
    if message.reply_to_id is None:
        return None
    original = message.reply_to
    if original is None:  # deleted with its sender's account
        return {"seq": None, "sender": None, "excerpt": "", "unavailable": True}
    return {
        "seq": original.seq,
        "sender": original.sender.username if original.sender_id else None,
        "excerpt": original.excerpt,
        "unavailable": original.is_gone,
    }


def render_message_html(message):
    """The message as the conversation page shows it: one partial for the page and the push.

    The partial never looks at the viewer, so one rendering serves every recipient.
    """
    return render_to_string("inbox/_message.html", {"message": message})


def message_frame(message):
    """The "message.new" frame; needs message.sender and its profile loaded."""
    return {
        "type": "message.new",
        "thread": message.thread_id,
        "message": message_payload(message),
        "html": render_message_html(message),
    }


def unread_frame(*, thread_id, unread, total):
    return {"type": "unread.update", "thread": thread_id, "unread": unread, "total": total}


def hidden_frame(message):
    """What a group member who blocked the sender gets instead of the message: its seq, nothing else.

    Their sockets count the seq as received, so the gap-free seq order (and sync) still holds.
    """
    return {"type": "message.hidden", "thread": message.thread_id, "seq": message.seq}


def requests_frame(count):
    return {"type": "requests.update", "count": count}


def broadcast_new_message(message, *, author_id=None):
    """Push "message.new" to every current participant, then "unread.update" to each one but the author.

    The author is the sender, or for a system line the member whose action wrote it (author_id).
    Who blocked or muted the sender, and where the conversation sits for each member, change what
    they hear:
    - a member who blocked the sender (in a group) gets only "message.hidden" with the seq;
    - a member who muted the sender gets the message but no "unread.update" (no badge bump);
    - a member for whom it is a message request gets the message and "requests.update" (their
      requests count) instead of "unread.update";
    - a member who deleted the request hears nothing.
    One query (member_states): the members with read marks, badge totals, those facts and their
    profiles, so the sender is drawn with their current name and avatar even when the caller's
    user object (a socket's, loaded at connect) holds an old profile.
    """
    states = member_states(message.thread_id, sender_id=message.sender_id)
    if message.sender_id:
        fresh = next((state.profile for state in states if state.user_id == message.sender_id), None)
        if fresh is not None:
            message.sender.profile = fresh
    author_id = author_id or message.sender_id
    frame = message_frame(message)
    hidden = hidden_frame(message)
    pushes, counts = [], []
    for state in states:
        group = user_group(state.user_id)
        if state.state == Participant.State.DELETED:
            continue
        if state.blocked_sender:
            pushes.append((group, hidden))
            continue
        pushes.append((group, frame))
        if state.user_id == author_id:
            continue
        if state.state == Participant.State.REQUEST:
            counts.append((group, requests_frame(state.requests)))
        elif not state.muted_sender:
            counts.append((group, unread_frame(thread_id=message.thread_id, unread=state.unread, total=state.badge_total)))
    dispatch(pushes + counts)


def broadcast_read(*, thread_id, username, seq, member_ids):
    """Push "read" (someone's read mark moved) to every participant, for "Seen" and "Seen by N"."""
    frame = {"type": "read", "thread": thread_id, "user": username, "seq": seq}
    dispatch([(user_group(user_id), frame) for user_id in member_ids])


def broadcast_presence(*, username, member_ids):
    """Push "presence" (someone is active now) to the people who may see it."""
    from datetime import datetime, timezone as dt_timezone

    frame = {"type": "presence", "user": username, "last_active": datetime.now(dt_timezone.utc).isoformat()}
    dispatch([(user_group(user_id), frame) for user_id in member_ids])


def broadcast_typing(*, thread_id, username, name, member_ids):
    """Push "typing" to the given participants (the typist's own sockets are left out by the caller)."""
    frame = {"type": "typing", "thread": thread_id, "user": username, "name": name}
    dispatch([(user_group(user_id), frame) for user_id in member_ids])


def broadcast_message_removed(message):
    """Push "message.removed" with the message's new html (it says it was removed) to every current participant.

    One query (the members); the caller preloads message.sender and its profile.
    """
    frame = {
        "type": "message.removed",
        "thread": message.thread_id,
        "message": {"id": message.pk, "seq": message.seq},
        "html": render_message_html(message),
    }
    member_ids = Participant.objects.filter(thread_id=message.thread_id).values_list("user_id", flat=True)
    dispatch([(user_group(user_id), frame) for user_id in member_ids])


def updated_frame(message):
    """The "message.updated" frame: the message as it is now, its html, and the change number it is at."""
    return {
        "type": "message.updated",
        "thread": message.thread_id,
        "change": message.change,
        "message": message_payload(message),
        "html": render_message_html(message),
    }


def broadcast_message_updated(message, *, except_blockers_of=None):
    """Push "message.updated" to every current participant who sees the message: not a group
    member who blocked its sender (they never saw it), nor one who blocked except_blockers_of
    (the reactor, for a reaction), nor one who deleted it as a request. One query (the members);
    message_extras has loaded what the partial draws."""
    blocked = lambda person_id: Exists(Block.objects.filter(blocker_id=OuterRef("user_id"), blocked_id=person_id))  # noqa: E731
    members = (
        Participant.objects.filter(thread_id=message.thread_id)
        .exclude(state=Participant.State.DELETED)
        .annotate(blocked_sender=blocked(message.sender_id or 0), blocked_actor=blocked(except_blockers_of or 0))
        .values_list("user_id", "thread__kind", "blocked_sender", "blocked_actor")
    )
    frame = updated_frame(message)
    dispatch([
        (user_group(user_id), frame) for user_id, kind, blocked_sender, blocked_actor in members
        if not (kind == Thread.Kind.GROUP and (blocked_sender or blocked_actor))
    ])


def hidden_update_frame(*, thread_id, message_id, seq, change):
    """"message.updated" for a message someone deleted for themselves: gone from their tabs."""
    return {
        "type": "message.updated",
        "thread": thread_id,
        "change": change,
        "message": {"id": message_id, "seq": seq, "hidden": True},
        "html": "",
    }


def send_message_hidden(message, *, user_id):
    """Tell only this person's sockets that they deleted the message for themselves (no query)."""
    frame = hidden_update_frame(thread_id=message.thread_id, message_id=message.pk, seq=message.seq, change=message.change)
    dispatch([(user_group(user_id), frame)])


def send_unread_update(*, user_id, thread_id):
    """Push the user's current unread count for the thread and badge total to their own sockets (one query)."""
    states = member_states(thread_id, user_id=user_id)
    if not states:  # left or removed in the meantime: send_removed tells them
        return
    state = states[0]
    dispatch([(user_group(user_id), unread_frame(thread_id=thread_id, unread=state.unread, total=state.badge_total))])


def send_requests_update(*, user_id):
    """Push the user's pending message requests count to their own sockets (one query)."""
    count = Participant.objects.filter(user_id=user_id).pending_requests().count()
    dispatch([(user_group(user_id), requests_frame(count))])


def send_removed(*, thread_id, user_id):
    """Tell someone who left or was removed: "thread.removed", then their badge total without that thread."""
    total = Participant.objects.filter(user_id=user_id).counted_in_badge().count()
    dispatch([
        (user_group(user_id), {"type": "thread.removed", "thread": thread_id}),
        (user_group(user_id), unread_frame(thread_id=thread_id, unread=0, total=total)),
    ])


def dispatch(pushes):
    """Send (group, frame) pairs on the channel layer, in order per group.

    All database work of a daphne process runs on one thread (asgiref's single-thread executor).
    When we are on that thread, the sends are queued for the process's event loop and this returns
    at once, so the database thread never waits on the channel layer (Redis round trips); nothing
    is lost by not waiting, since the database, not the layer, is the log (clients sync by seq).
    Elsewhere (a management command, a plain test) the sends complete before this returns.
    """
    if not pushes:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    # One encoding per frame, however many groups it goes to; a user's frames keep their order.
    texts, by_group = {}, {}
    for group, frame in pushes:
        if id(frame) not in texts:
            texts[id(frame)] = json.dumps(frame)
        by_group.setdefault(group, []).append(texts[id(frame)])
    loop = _serving_event_loop()
    if loop is None:
        async_to_sync(_send_all)(layer, by_group)
    else:
        loop.call_soon_threadsafe(_queue_on_loop, loop, layer, by_group)


class _Outbox:
    """The pushes waiting on one event loop, sent one batch after another by a single task.

    One batch at a time keeps pushes in commit order within a process and bounds the channel
    layer's connections: firing every batch at once exhausted channels-redis' pool (100
    connections) at a few hundred messages a second, and its errors then killed sockets.
    """

    def __init__(self):
        self.batches = collections.deque()
        self.task = None


_outboxes = weakref.WeakKeyDictionary()


def _queue_on_loop(loop, layer, by_group):
    outbox = _outboxes.get(loop)
    if outbox is None:
        outbox = _outboxes[loop] = _Outbox()
    outbox.batches.append((layer, by_group))
    if outbox.task is None:
        outbox.task = loop.create_task(_drain(outbox))


async def _drain(outbox):
    try:
        while outbox.batches:
            layer, by_group = outbox.batches.popleft()
            try:
                await _send_all(layer, by_group)
            except Exception:
                logger.exception("Could not push frames to %d group(s)", len(by_group))
    finally:
        outbox.task = None


async def _send_all(layer, by_group):
    events = {group: {"type": "frames", "texts": texts} for group, texts in by_group.items()}
    # Parley's Redis layer publishes a batch in one round trip (inbox.layers); others take one send per group.
    send_many = getattr(layer, "group_send_many", None)
    if send_many is not None:
        await send_many(events)
        return
    await asyncio.gather(*(layer.group_send(group, event) for group, event in events.items()))


def _serving_event_loop():
    """The event loop that called into this thread through sync_to_async, if it is still running."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    if loop.is_closed() or not loop.is_running():
        return None
    return loop
