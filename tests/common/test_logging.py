"""Structured logs: a JSON line per request and per socket event, with a request id, and nothing secret in them."""

import json
import logging

import pytest
from channels.testing import WebsocketCommunicator

from common.logging import JsonFormatter, SocketEventLog
from inbox import services as inbox_services

SECRET_PASSWORD = "Hunter2-secret-password-q7"
SECRET_BODY = "the vault code is 7781-secret-body"
SECRET_FILE_NAME = "secret-plans-for-x9.png"


@pytest.fixture
def json_logs(settings, caplog):
    """Turn PARLEY_LOG_JSON on (middleware reads it when the test client loads it) and return the lines."""
    settings.LOG_JSON = True
    caplog.set_level(logging.DEBUG)
    formatter = JsonFormatter()

    def lines():
        return [json.loads(formatter.format(record)) for record in caplog.records]

    return lines


def events(lines, name):
    return [line for line in lines if line.get("event") == name]


def test_one_json_line_per_request_with_its_id_and_without_the_query_string(alice_client, alice, json_logs):
    response = alice_client.get("/inbox/?q=lunch")
    (line,) = events(json_logs(), "http.request")
    assert line["logger"] == "parley.request" and line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/inbox/"
    assert line["status"] == 200
    assert line["user_id"] == alice.pk
    assert isinstance(line["duration_ms"], float)
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32


def test_a_sane_request_id_from_the_proxy_is_kept_and_any_other_replaced(client, json_logs, db):
    kept = client.get("/accounts/login/", HTTP_X_REQUEST_ID="0f3c9a7e5b1d4c2a")
    replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID="not an id\n{}")
    assert kept["X-Request-ID"] == "0f3c9a7e5b1d4c2a"
    assert replaced["X-Request-ID"] != "not an id\n{}" and len(replaced["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in events(json_logs(), "http.request")]
    assert ids == [kept["X-Request-ID"], replaced["X-Request-ID"]]
    assert events(json_logs(), "http.request")[0]["user_id"] is None


def test_probes_are_not_logged(client, json_logs, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert [line for line in json_logs() if line["logger"].startswith(("parley", "django"))] == []


def test_without_the_switch_requests_are_not_logged_but_still_get_an_id(client, settings, caplog, db):
    settings.LOG_JSON = False
    caplog.set_level(logging.DEBUG)
    response = client.get("/accounts/login/")
    assert len(response["X-Request-ID"]) == 32
    assert not [record for record in caplog.records if record.name == "parley.request"]


def test_password_reset_tokens_are_not_logged_from_the_path(client, json_logs, db):
    client.get("/accounts/password/reset/MQ/c3k2rv-0123456789abcdef0123456789abcdef/")
    (line,) = events(json_logs(), "http.request")
    assert line["path"] == "/accounts/password/reset/-/-/"


def test_no_password_body_session_id_or_file_name_reaches_the_logs(client, make_user, bob, json_logs):
    from tests.media import samples

    alice = make_user("alice", password=SECRET_PASSWORD)
    client.post("/accounts/login/", {"username": "alice", "password": SECRET_PASSWORD + "-wrong"})
    login = client.post("/accounts/login/", {"username": "alice", "password": SECRET_PASSWORD})
    assert login.status_code == 302
    session_id = client.cookies["sessionid"].value
    thread, _ = inbox_services.start_thread(creator=alice, recipients=[bob])
    sent = client.post(f"/inbox/{thread.pk}/", {"body": SECRET_BODY, "client_id": "c-1"})
    assert sent.status_code in (200, 302)
    upload = samples.png()
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploaded = client.post("/media/upload/", {"file": SimpleUploadedFile(SECRET_FILE_NAME, upload, "image/png")})
    assert uploaded.status_code < 500
    client.post(f"/inbox/{thread.pk}/", {"body": "", "files": SimpleUploadedFile(SECRET_FILE_NAME, upload, "image/png")})

    lines = json_logs()
    assert len(events(lines, "http.request")) == 5  # logging was really on for every request
    text = "\n".join(json.dumps(line) for line in lines)
    for secret in (SECRET_PASSWORD, SECRET_BODY, SECRET_FILE_NAME, "secret-plans", session_id):
        assert secret not in text


@pytest.mark.django_db(transaction=True)
async def test_socket_events_are_logged_by_type_and_code_never_by_content(alice, bob, json_logs):
    from asgiref.sync import sync_to_async

    from inbox.consumers import InboxConsumer

    thread, _ = await sync_to_async(inbox_services.start_thread)(creator=alice, recipients=[bob])
    app = SocketEventLog(InboxConsumer.as_asgi())
    socket = WebsocketCommunicator(app, "/ws/", headers=[(b"x-request-id", b"handshake-0001")])
    socket.scope["user"] = alice
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await socket.send_json_to({"type": "message.send", "thread": thread.pk, "body": SECRET_BODY, "client_id": "k1"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "message.new"
    await socket.send_json_to({"type": SECRET_BODY})
    assert (await socket.receive_json_from(timeout=5))["code"] == "unknown_type"
    await socket.disconnect()

    lines = json_logs()
    assert all(line["request_id"] == "handshake-0001" for line in lines if line["logger"] == "parley.socket")
    (connect,) = events(lines, "ws.connect")
    assert connect["accepted"] is True and connect["user_id"] == alice.pk
    assert [line["frame_type"] for line in events(lines, "ws.frame")] == ["message.send", "other"]
    assert [line["code"] for line in events(lines, "ws.error")] == ["unknown_type"]
    (disconnect,) = events(lines, "ws.disconnect")
    assert disconnect["frames"] == 2
    assert SECRET_BODY not in "\n".join(json.dumps(line) for line in lines)


@pytest.mark.django_db(transaction=True)
async def test_a_refused_socket_is_logged_as_a_refused_connect(json_logs):
    from django.contrib.auth.models import AnonymousUser

    from inbox.consumers import InboxConsumer

    socket = WebsocketCommunicator(SocketEventLog(InboxConsumer.as_asgi()), "/ws/")
    socket.scope["user"] = AnonymousUser()
    connected, code = await socket.connect(timeout=5)
    assert not connected
    (connect,) = events(json_logs(), "ws.connect")
    assert connect["accepted"] is False and connect["close_code"] == 4003 and connect["user_id"] is None
