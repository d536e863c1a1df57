"""The yardstick: a bare WebSocket fan-out server speaking Parley's frames, with no Django and no database.

It answers what the delivery benchmark's load costs when all a server does is parse a frame, number the
message and push one JSON text to every socket of every member. Parley's figures are read beside it.

    python -m benchmarks.raw_server --port 8765 --members members.json

A client says who it is with `?user=<username>` (there is no authentication). members.json maps each
conversation id to its usernames: {"7": ["alice", "bob"], ...}. Frames (the same shapes as Parley's):

    client -> server  {"type": "message.send", "thread": <int>, "body": <str>, "client_id": <str>}
    server -> every socket of every member (sender included)
                      {"type": "message.new", "thread", "message": {"id", "seq", "sender", "body",
                       "created", "client_id"}, "html": <str>}
    server -> the sending socket on refusal  {"type": "error", "code", "detail", "client_id"}
"""

import argparse
import asyncio
import itertools
import json
import signal
from collections import defaultdict
from datetime import datetime, timezone
from html import escape
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import broadcast, serve


class FanoutServer:
    """Per-thread seqs and per-user sockets, all in memory."""

    def __init__(self, members):
        self.members = {int(thread): list(usernames) for thread, usernames in members.items()}
        self.last_seq = defaultdict(int)
        self.message_ids = itertools.count(1)
        self.sockets = defaultdict(set)

    async def handle(self, websocket):
        user = parse_qs(urlsplit(websocket.request.path).query).get("user", [""])[0]
        if not user:
            await websocket.close(4003, "who are you?")
            return
        self.sockets[user].add(websocket)
        try:
            async for frame in websocket:
                self.receive(websocket, user, frame)
        finally:
            self.sockets[user].discard(websocket)

    def receive(self, websocket, user, frame):
        try:
            data = json.loads(frame)
        except (TypeError, ValueError):
            return self.refuse(websocket, "bad_request", "Frames are JSON text.", None)
        if not isinstance(data, dict):
            return self.refuse(websocket, "bad_request", "Frames are JSON objects.", None)
        client_id = data.get("client_id") if isinstance(data.get("client_id"), str) else None
        if data.get("type") != "message.send":
            return self.refuse(websocket, "bad_request", "Unknown frame type.", client_id)
        thread, body = data.get("thread"), data.get("body")
        if not isinstance(thread, int) or user not in self.members.get(thread, ()):
            return self.refuse(websocket, "not_found", "No such conversation.", client_id)
        body = body.strip() if isinstance(body, str) else ""
        if not body:
            return self.refuse(websocket, "empty_body", "Write something first.", client_id)
        self.publish(thread, user, body, client_id)

    def publish(self, thread, sender, body, client_id):
        self.last_seq[thread] += 1
        message = {
            "id": next(self.message_ids),
            "seq": self.last_seq[thread],
            "sender": sender,
            "body": body,
            "created": datetime.now(timezone.utc).isoformat(),
            "client_id": client_id,
        }
        html = (
            f'<li class="message" id="message-{message["id"]}" data-seq="{message["seq"]}" '
            f'data-sender="{escape(sender)}"><p class="message-body">{escape(body)}</p></li>'
        )
        self.deliver(thread, json.dumps({"type": "message.new", "thread": thread, "message": message, "html": html}))

    def deliver(self, thread, text):
        broadcast([socket for member in self.members[thread] for socket in self.sockets.get(member, ())], text)

    @staticmethod
    def refuse(websocket, code, detail, client_id):
        broadcast([websocket], json.dumps({"type": "error", "code": code, "detail": detail, "client_id": client_id}))


async def run(host, port, members, ready=None):
    """Serve until cancelled (or SIGTERM/SIGINT when run as a program); `ready` is set once listening."""
    server = FanoutServer(members)
    # No compression: daphne negotiates none either, so both servers do the same work per frame.
    async with serve(server.handle, host, port, compression=None, ping_interval=None) as listener:
        if ready is not None:
            ready.set_result(listener.sockets[0].getsockname()[1])
        await asyncio.Future()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--members", required=True, help="JSON file: {thread id: [usernames]}")
    args = parser.parse_args()
    with open(args.members, encoding="utf-8") as file:
        members = json.load(file)

    async def serve_until_signalled():
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await run(args.host, args.port, members)
        except asyncio.CancelledError:
            pass

    asyncio.run(serve_until_signalled())


if __name__ == "__main__":
    main()
