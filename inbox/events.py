"""What the inbox tells open sockets: the JSON frames, the message HTML, and the group sends.

Every push goes to the per-user group "user.<id>" (each open tab of a user is one socket in it),
and only to users who are participants when the push is prepared, read from the database, never
from anything a client sent. Channel-layer events carry the finished frame as "payload"; the
consumer forwards it untouched. The frames themselves are documented in docs/protocol.md.

No database writes here. The services call these functions from transaction.on_commit, so the
rows they describe are committed before anyone hears of them.
"""

import asyncio
import logging
import os

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string

from .models import Message, Participant

logger = logging.getLogger(__name__)


def user_group(user_id):
    return f"user.{user_id}"


def message_payload(message):
    """The contract's "message" object: JSON types only. sender is null for system lines."""
    return {
        "id": message.pk,
        "seq": message.seq,
        "sender": message.sender.username if message.sender_id else None,
        "body": message.body,
        "created": message.created.isoformat(),
        "client_id": message.client_id,
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


def _badge_totals():
    """Per member row: how many of that member's conversations the "Inbox" badge counts."""
    per_user = (
        Participant.objects.filter(user_id=OuterRef("user_id"))
        .counted_in_badge()
        .order_by()
        .values("user_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(per_user), 0)


def broadcast_new_message(message, *, author_id=None):
    """Push "message.new" to every current participant, then "unread.update" to each one but the author.

    The author is the sender, or for a system line the member whose action wrote it (author_id).

    Two queries: the message with a fresh sender profile (a socket's user object may hold an old
    one), and the members with their read marks and badge totals in one statement.
    """
    message = Message.objects.select_related("sender__profile").get(pk=message.pk)
    members = list(
        Participant.objects.filter(thread_id=message.thread_id)
        .annotate(total=_badge_totals())
        .values_list("user_id", "last_read_seq", "marked_unread", "thread__last_seq", "total")
    )
    author_id = author_id or message.sender_id
    frame = message_frame(message)
    pushes = [(user_group(user_id), frame) for user_id, *_rest in members]
    for user_id, last_read_seq, marked_unread, last_seq, total in members:
        if user_id != author_id:
            unread = max(last_seq - last_read_seq, 0) or int(marked_unread)
            pushes.append((user_group(user_id), unread_frame(thread_id=message.thread_id, unread=unread, total=total)))
    dispatch(pushes)


def broadcast_read(*, thread_id, username, seq, member_ids):
    """Push "read" (someone's read mark moved) to every participant, for "Seen" and "Seen by N"."""
    frame = {"type": "read", "thread": thread_id, "user": username, "seq": seq}
    dispatch([(user_group(user_id), frame) for user_id in member_ids])


def broadcast_typing(*, thread_id, username, name, member_ids):
    """Push "typing" to the given participants (the typist's own sockets are left out by the caller)."""
    frame = {"type": "typing", "thread": thread_id, "user": username, "name": name}
    dispatch([(user_group(user_id), frame) for user_id in member_ids])


def send_unread_update(*, user_id, thread_id):
    """Push the user's current unread count for the thread and badge total to their own sockets (one query)."""
    row = (
        Participant.objects.filter(thread_id=thread_id, user_id=user_id)
        .annotate(total=_badge_totals())
        .values_list("last_read_seq", "marked_unread", "thread__last_seq", "total")
        .first()
    )
    if row is None:  # left or removed in the meantime: send_removed tells them
        return
    last_read_seq, marked_unread, last_seq, total = row
    unread = max(last_seq - last_read_seq, 0) or int(marked_unread)
    dispatch([(user_group(user_id), unread_frame(thread_id=thread_id, unread=unread, total=total))])


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
    When we are on that thread, the sends are handed to the process's event loop and this returns
    at once, so the database thread never waits on the channel layer (Redis round trips); nothing
    is lost by not waiting, since the database, not the layer, is the log (clients sync by seq).
    Elsewhere (a management command, a plain test) the sends complete before this returns.
    """
    if not pushes:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _serving_event_loop()
    if loop is None:
        async_to_sync(_send_all)(layer, pushes)
    else:
        asyncio.run_coroutine_threadsafe(_send_all(layer, pushes), loop).add_done_callback(_log_failure)


async def _send_all(layer, pushes):
    # The frames for one group go out one after another, so a user's sockets see them in this order.
    by_group = {}
    for group, frame in pushes:
        by_group.setdefault(group, []).append(frame)

    async def send_in_order(group, frames):
        for frame in frames:
            await layer.group_send(group, {"type": frame["type"], "payload": frame})

    await asyncio.gather(*(send_in_order(group, frames) for group, frames in by_group.items()))


def _serving_event_loop():
    """The event loop that called into this thread through sync_to_async, if it is still running."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    if loop.is_closed() or not loop.is_running():
        return None
    return loop


def _log_failure(future):
    if not future.cancelled() and future.exception() is not None:
        logger.error("Could not push frames to sockets", exc_info=future.exception())
