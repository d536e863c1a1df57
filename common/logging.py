"""Structured logs: one JSON line per request and per socket event, each with a request id.

PARLEY_LOG_JSON=1 makes config/settings.py format every log line with JsonFormatter, log each HTTP
request (RequestLogMiddleware) and wrap the WebSocket stack in SocketEventLog (config/asgi.py).
Without it nothing here logs; the request id is still taken or made, and echoed, on every request.

What goes in is a short list of named fields, never a request body, a frame's content, a query
string, a cookie, a header or a file name: a message body, a password, a session id or an upload's
name cannot reach the log through these lines. Password-reset links carry a token in their path,
so paths are logged with their route's token and uidb64 replaced by "-".

  {"time", "level", "logger", "event": "http.request", "request_id", "method", "path", "status",
   "duration_ms", "user_id"}
  {"event": "ws.connect", "request_id", "path", "user_id", "accepted"}   (refused: "close_code")
  {"event": "ws.frame", "request_id", "user_id", "frame_type"}           one per frame received
  {"event": "ws.error", "request_id", "user_id", "code"}                 an error frame sent back
  {"event": "ws.disconnect", "request_id", "user_id", "close_code", "duration_ms", "frames"}
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

from django.conf import settings
from django.utils.functional import empty

request_logger = logging.getLogger("parley.request")
socket_logger = logging.getLogger("parley.socket")

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id (nginx's $request_id is 32 hex digits, others use UUIDs); anything else is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
SANE_FRAME_TYPE = re.compile(r"[a-z][a-z0-9._]{0,39}")
SECRET_ROUTE_PARTS = ("token", "uidb64")
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "accepted", "close_code",
          "frame_type", "code", "frames")

current_request_id = contextvars.ContextVar("parley_request_id", default=None)


def request_id_from(value):
    """The client's (the proxy's) request id if it looks like one, else a new one."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """Any log record as one line of JSON: time, level, logger, the message, Parley's fields, a traceback."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "parley", None)
        if fields:
            line["event"] = record.getMessage()
            line.update((key, fields[key]) for key in FIELDS if key in fields)
        else:
            line["message"] = record.getMessage()
            request_id = current_request_id.get()
            if request_id:
                line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _user_id(user):
    # Only a user already loaded: looking one up just for the log would cost queries.
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


def _loggable_path(request):
    match = getattr(request, "resolver_match", None)
    path = request.path
    if match is not None:
        for name in SECRET_ROUTE_PARTS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(str(value), "-")
    return path


class RequestLogMiddleware:
    """Give every request an id (X-Request-ID in and out) and, with PARLEY_LOG_JSON, log one line for it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = getattr(settings, "LOG_JSON", False)

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        if self.enabled:
            request_logger.info("http.request", extra={"parley": {
                "request_id": request_id,
                "method": request.method,
                "path": _loggable_path(request),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(getattr(request, "user", None)),
            }})
        return response


class SocketEventLog:
    """ASGI middleware for the WebSocket stack: one log line per connect, frame, error frame and disconnect.

    It stands inside the session and auth middleware (the user is known) and around the URL router,
    and reads only the frame's "type" and an error frame's "code".
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        request_id = request_id_from(headers.get(b"x-request-id"))
        user = scope.get("user")
        state = {"started": time.monotonic(), "frames": 0, "open": False, "closed": False}

        def log(event, **fields):
            socket_logger.info(event, extra={"parley": {"request_id": request_id, "user_id": _user_id(user), **fields}})

        async def logging_receive():
            message = await receive()
            kind = message["type"]
            if kind == "websocket.receive":
                state["frames"] += 1
                log("ws.frame", frame_type=_frame_type(message.get("text")))
            elif kind == "websocket.disconnect" and not state["closed"]:
                state["closed"] = True
                log("ws.disconnect", close_code=message.get("code"), frames=state["frames"],
                    duration_ms=round((time.monotonic() - state["started"]) * 1000))
            return message

        async def logging_send(message):
            kind = message["type"]
            if kind == "websocket.accept":
                log("ws.connect", path=scope.get("path"), accepted=True)
            elif kind == "websocket.close" and not state["closed"]:
                state["closed"] = True
                if state["open"]:
                    log("ws.disconnect", close_code=message.get("code"), frames=state["frames"],
                        duration_ms=round((time.monotonic() - state["started"]) * 1000))
                else:
                    log("ws.connect", path=scope.get("path"), accepted=False, close_code=message.get("code"))
            elif kind == "websocket.send":
                code = _error_code(message.get("text"))
                if code is not None:
                    log("ws.error", code=code)
            if kind == "websocket.accept":
                state["open"] = True
            await send(message)

        return await self.app(scope, logging_receive, logging_send)


def _frame_type(text):
    if text is None:
        return "binary"
    try:
        frame_type = json.loads(text).get("type")
    except (ValueError, AttributeError):
        return "invalid"
    # The type is the client's text: only a name shaped like Parley's frame types is written down.
    return frame_type if isinstance(frame_type, str) and SANE_FRAME_TYPE.fullmatch(frame_type) else "other"


def _error_code(text):
    # The consumer writes error frames with json.dumps' defaults, "type" first; pushes never start so.
    if not text or not text.startswith('{"type": "error"'):
        return None
    try:
        code = json.loads(text).get("code")
    except ValueError:
        return None
    return code if isinstance(code, str) else None
