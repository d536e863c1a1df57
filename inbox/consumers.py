"""The inbox WebSocket at /ws/: one socket per browser tab, JSON text frames.

Why an async consumer: every database call of a daphne process runs on one thread (asgiref's
single-thread executor), and a sync JsonWebsocketConsumer runs *all* its handlers there, including
the forwarding of each pushed frame to its socket. With an AsyncJsonWebsocketConsumer the event
loop does the fan-out (one message to a 64-person group is 64+ frames) and reading and validating
frames, and only the service calls hop to the database thread: one hop per frame, a few short
queries each (message.send: 4 in the transaction, 5 in a 1:1, plus 1 for the push; sync: 1 or 2;
read: 1 to 3; typing: 1). Pushes prepared on that thread are handed back to the loop (inbox.events.dispatch), so
the database thread never waits on Redis. More throughput comes from more daphne processes.

Connect: anonymous (or deactivated) users are closed before accept (4003); the others join the
group "user.<id>", then the socket is accepted.

Client -> server
  {"type": "message.send", "thread": <int>, "body": <str>, "client_id": <str, optional>,
   "attachments": [<upload id>, ...] (optional, at most 10; then the body may be empty),
   "reply_to": <seq, optional>, "sticker": <sticker id, optional: then no body or files>}
  {"type": "sync", "thread": <int>, "after": <seq>, "changes_after": <change number, optional>}
  {"type": "typing", "thread": <int>}
  {"type": "read", "thread": <int>, "seq": <int, optional: default the newest>}
  {"type": "presence"}   this tab is visible and in use (at most once a minute)
  {"type": "message.react", "thread", "seq", "emoji": <one of six, or null>}
  {"type": "message.edit", "thread", "seq", "body"}     {"type": "message.unsend", "thread", "seq"}
  {"type": "message.hide", "thread", "seq"}             {"type": "message.forward", "thread", "seq", "to": [<thread ids>]}

Server -> client
  {"type": "message.new", "thread", "message": {"id", "seq", "kind", "sender", "body", "created", "client_id",
   "attachments", "card", "sticker", "reply_to", "edited", "reactions", "unsent", "removed", "forwarded"}, "html"}
      to every socket of every participant; a retried client_id: the original, to the retrying socket only
  {"type": "message.updated", "thread", "change", "message", "html"}   a change to a sent message, to those
      who see it (for "delete for me": the deleter's own sockets, message {"id", "seq", "hidden": true})
  {"type": "message.forwarded", "thread", "seq", "to", "refused"}      the forwarding socket
  {"type": "message.removed", "thread", "message": {"id", "seq"}, "html"}   every participant (moderation)
  {"type": "message.hidden", "thread", "seq"}   instead of message.new (live and in sync) to a group
      member who blocked the sender, or for a message the member deleted for themselves
  {"type": "sync.done", "thread", "count", "more", "change": <with changes_after: the cursor to resume from>}
  {"type": "typing", "thread", "user": <username>, "name": <display name>}   other participants
  {"type": "read", "thread", "user": <username>, "seq"}      every participant who sends read receipts
  {"type": "presence", "user": <username>, "last_active": <ISO time>}       people in a 1:1 with them
  {"type": "unread.update", "thread", "unread", "total"}                     one user's sockets
  {"type": "thread.removed", "thread"}                                      one user's sockets
  {"type": "requests.update", "count"}     one user's sockets: their pending message requests
  {"type": "error", "code", "detail", "client_id": <str or null>}           the offending socket only
  {"type": "resync"}     every socket of a process that lost the channel layer and has it back: pushes
      may have been missed, so sync each open conversation and refresh the list (as after a reconnect)

Error codes: invalid_json, bad_request (binary frame, not an object, a missing or wrong-typed
field, client_id over 64 characters), unknown_type, frame_too_large (over 64 KB), not_found
(missing thread, or not a participant: removed members included), empty_body, too_long,
too_many_files, attachment_not_found, cannot_message (a block either way, or "Only people I
follow", in a 1:1: always the neutral "You can't message this person"), rate_limited,
not_yours, edit_window_passed, cannot_edit, cannot_react, cannot_unsend, cannot_forward,
unknown_sticker, server_error. After any error the socket stays open and usable.

Channel-layer events (group "user.<id>"): {"type": "frames", "texts": [<encoded frame>, ...]}
carries the server -> client frames above, forwarded as they are (inbox.events); {"type":
"session.revoke", "session": <key or null>} closes the socket (4001) when "session" is null or is
this socket's session (sent by accounts.services.close_user_sockets); {"type": "layer.reconnected"}
(inbox.layers, to every local socket) becomes the client's "resync".

A client-sent "type" is only ever looked up in HANDLERS; it never reaches the channel layer, where
Channels would map it to a method name.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import events, services
from .services import Refused

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
CLOSE_REVOKED = 4001
CLOSE_ANONYMOUS = 4003


def _int_field(content, name, *, optional=False):
    value = content.get(name)
    if value is None and optional:
        return None
    # bool is an int subclass in Python, but true is not a conversation.
    if type(value) is not int:
        raise Refused("bad_request", f'"{name}" must be a whole number.')
    return value


def _attachment_ids(content):
    """The optional "attachments": a list of upload ids, each a JSON integer (media checks the rest)."""
    ids = content.get("attachments")
    if ids is None:
        return []
    if not isinstance(ids, list) or any(type(pk) is not int for pk in ids):
        raise Refused("bad_request", '"attachments" must be a list of attachment ids.')
    return ids


def _oversized(text):
    # Length in characters is a lower bound for the UTF-8 size: encode only when it could matter.
    return len(text) > MAX_FRAME_BYTES or (len(text) > MAX_FRAME_BYTES // 4 and len(text.encode()) > MAX_FRAME_BYTES)


class InboxConsumer(AsyncJsonWebsocketConsumer):
    user = None
    group = None
    session_key = None

    async def dispatch(self, message):
        """Run the handler for one event, without Channels' extra hop to the database thread.

        Since Channels 4.2, AsyncConsumer.dispatch first runs close_old_connections on the
        database thread for every event. Here that was a hop per pushed frame (most events only
        forward a frame) competing with the real queries on asgiref's one thread: measured 8 hops
        per message sent. Every database call of this consumer goes through database_sync_to_async,
        which already closes stale connections before and after itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_ANONYMOUS)
            return
        # Channels' AuthMiddleware hands a lazy proxy; the send path reads the sender's fields on every
        # message, and each read through the proxy costs an extra call.
        self.user = getattr(user, "_wrapped", user)
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.group = events.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self._leave_group()

    async def _leave_group(self):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    # --- Frames from the client ----------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.user is None:  # revoked: the close is on its way
            return
        if text_data is None:
            await self.send_error("bad_request", "Frames must be JSON text, not binary.")
            return
        if _oversized(text_data):
            await self.send_error("frame_too_large", f"A frame can be at most {MAX_FRAME_BYTES // 1024} KB.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid_json", "This frame is not valid JSON.")
            return
        if not isinstance(content, dict):
            await self.send_error("bad_request", "A frame must be a JSON object with a \"type\".")
            return
        client_id = content.get("client_id")
        if not isinstance(client_id, str) or len(client_id) > services.MAX_CLIENT_ID_LENGTH:
            client_id = None
        frame_type = content.get("type")
        handler = self.HANDLERS.get(frame_type) if isinstance(frame_type, str) else None
        if handler is None:
            await self.send_error("unknown_type", f"Known frame types: {', '.join(self.HANDLERS)}.", client_id)
            return
        try:
            await handler(self, content)
        except Refused as refusal:
            await self.send_error(refusal.code, refusal.detail, client_id)
        except Exception:
            logger.exception("Inbox frame %r from user %s failed", frame_type, self.user.pk)
            await self.send_error("server_error", "Something went wrong on our side; try again.", client_id)

    async def send_error(self, code, detail, client_id=None):
        await self.send_json({"type": "error", "code": code, "detail": detail, "client_id": client_id})

    async def on_message_send(self, content):
        thread_id = _int_field(content, "thread")
        attachment_ids = _attachment_ids(content)
        reply_to = _int_field(content, "reply_to", optional=True)
        sticker = content.get("sticker")
        if sticker is not None and not isinstance(sticker, str):
            raise Refused("bad_request", '"sticker" must be the id of a sticker.')
        frame = await database_sync_to_async(self._send_message)(
            thread_id, content.get("body"), content.get("client_id"), attachment_ids, reply_to, sticker
        )
        if frame is not None:
            await self.send_json(frame)

    def _send_message(self, thread_id, body, client_id, attachment_ids, reply_to, sticker):
        message, created = services.send_message(
            sender=self.user, thread=thread_id, body=body, client_id=client_id, attachment_ids=attachment_ids,
            reply_to=reply_to, sticker=sticker,
        )
        # A new message reaches this socket through the group push; a retry is answered here only.
        return None if created else events.message_frame(message)

    async def on_sync(self, content):
        thread_id = _int_field(content, "thread")
        after = _int_field(content, "after")
        changes_after = _int_field(content, "changes_after", optional=True)
        frames, done = await database_sync_to_async(self._missed_frames)(thread_id, after, changes_after)
        for frame in frames:
            await self.send_json(frame)
        await self.send_json(done)

    def _missed_frames(self, thread_id, after, changes_after):
        messages = services.messages_after(user=self.user, thread=thread_id, after_seq=after)
        # Messages deleted for me, and a group's from people I blocked, come as seq markers only (inbox.events.hidden_frame).
        frames = [events.hidden_frame(message) if message.hidden else events.message_frame(message) for message in messages]
        done = {"type": "sync.done", "thread": thread_id, "count": len(frames), "more": len(frames) == services.SYNC_LIMIT}
        if changes_after is not None:
            changed, hides, cursor, more = services.changes_after(
                user=self.user, thread=thread_id, after_change=changes_after, up_to_seq=after
            )
            updates = [
                events.hidden_update_frame(thread_id=thread_id, message_id=message.pk, seq=message.seq, change=message.change)
                if message.hidden else events.updated_frame(message)
                for message in changed
            ]
            already = {message.pk for message in changed}
            updates += [
                events.hidden_update_frame(thread_id=thread_id, message_id=message_id, seq=seq, change=cursor)
                for message_id, seq in hides if message_id not in already
            ]
            frames += updates
            done.update(count=len(frames), change=cursor, more=done["more"] or more)
        return frames, done

    async def on_react(self, content):
        thread_id, seq = _int_field(content, "thread"), _int_field(content, "seq")
        emoji = content.get("emoji")
        if emoji is not None and not isinstance(emoji, str):
            raise Refused("bad_request", '"emoji" must be text, or null to remove your reaction.')
        await database_sync_to_async(services.react)(user=self.user, thread=thread_id, seq=seq, emoji=emoji)

    async def on_edit(self, content):
        thread_id, seq = _int_field(content, "thread"), _int_field(content, "seq")
        await database_sync_to_async(services.edit_message)(user=self.user, thread=thread_id, seq=seq, body=content.get("body"))

    async def on_unsend(self, content):
        thread_id, seq = _int_field(content, "thread"), _int_field(content, "seq")
        await database_sync_to_async(services.unsend_message)(user=self.user, thread=thread_id, seq=seq)

    async def on_hide(self, content):
        thread_id, seq = _int_field(content, "thread"), _int_field(content, "seq")
        await database_sync_to_async(services.hide_message)(user=self.user, thread=thread_id, seq=seq)

    async def on_forward(self, content):
        thread_id, seq = _int_field(content, "thread"), _int_field(content, "seq")
        to = content.get("to")
        if not isinstance(to, list) or any(type(target) is not int for target in to):
            raise Refused("bad_request", '"to" must be a list of conversation ids.')
        sent, refused = await database_sync_to_async(services.forward_message)(user=self.user, thread=thread_id, seq=seq, to=to)
        await self.send_json({
            "type": "message.forwarded", "thread": thread_id, "seq": seq,
            "to": [message.thread_id for message in sent],
            "refused": [{"thread": target, "code": refusal.code, "detail": refusal.detail} for target, refusal in refused],
        })

    async def on_typing(self, content):
        thread_id = _int_field(content, "thread")
        await database_sync_to_async(services.note_typing)(user=self.user, thread=thread_id)

    async def on_presence(self, content):
        await database_sync_to_async(services.report_presence)(user=self.user)

    async def on_read(self, content):
        thread_id = _int_field(content, "thread")
        seq = _int_field(content, "seq", optional=True)
        await database_sync_to_async(services.mark_read)(user=self.user, thread=thread_id, seq=seq)

    HANDLERS = {
        "message.send": on_message_send,
        "sync": on_sync,
        "typing": on_typing,
        "read": on_read,
        "presence": on_presence,
        "message.react": on_react,
        "message.edit": on_edit,
        "message.unsend": on_unsend,
        "message.hide": on_hide,
        "message.forward": on_forward,
    }

    # --- Events from the channel layer (sent by inbox.events and accounts.services) -------------

    async def frames(self, event):
        """Pushed frames for this user, already encoded, in order (see inbox.events)."""
        for text in event["texts"]:
            await self.send(text_data=text)

    async def layer_reconnected(self, event):
        if self.user is not None:
            await self.send_json({"type": "resync"})

    async def session_revoke(self, event):
        if event.get("session") is None or event.get("session") == self.session_key:
            self.user = None
            await self._leave_group()
            await self.close(code=CLOSE_REVOKED)
