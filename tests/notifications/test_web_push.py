"""Web Push: subscriptions, who gets a push, and a push service that says a subscription is gone.

No push service is reachable from here: a local HTTP endpoint on loopback stands in for one and
records what it receives (encrypted, with a VAPID signature, as a real one would)."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from accounts import presence
from accounts import services as accounts_services
from inbox import services as inbox
from notifications import push, tasks
from notifications.models import PushSubscription
from tests.inbox.conftest import make_thread, make_user  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def vapid(settings):
    from py_vapid import Vapid01

    key = Vapid01()
    key.generate_keys()
    public = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    settings.VAPID_PUBLIC_KEY = b64(public)
    settings.VAPID_PRIVATE_KEY = b64(key.private_key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_SUBJECT = "mailto:admin@parley.example"
    settings.SEND_RATE_PER_MINUTE = 0


@pytest.fixture
def push_service():
    """A loopback push service: records each request; answers with .status (201 by default)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(server.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.status = 201
    server.received = received
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def browser_subscription(server, name="device"):
    """What a browser's PushSubscription.toJSON() gives, with real keys."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"http://127.0.0.1:{server.server_port}/push/{name}",
            "keys": {"p256dh": b64(public), "auth": b64(os.urandom(16))}}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_without_keys_push_is_simply_off(alice, bob, make_thread, client):
    client.force_login(alice)
    assert "Push notifications" not in client.get("/settings/email/").content.decode()
    message = inbox.send_message(sender=bob, thread=make_thread(bob, alice), body="hi")[0]
    assert push.someone_to_push(message) is False
    assert client.post("/settings/push/", {}, content_type="application/json").status_code in (400, 404)


def test_a_browser_subscribes_and_unsubscribes(vapid, push_service, alice):
    client = client_for(alice)
    page = client.get("/settings/email/").content.decode()
    assert "Turn on push notifications on this device" in page and "data-push-key" in page
    subscription = browser_subscription(push_service)
    assert client.post("/settings/push/", {"subscription": subscription}, content_type="application/json").status_code == 200
    assert PushSubscription.objects.get().endpoint == subscription["endpoint"]
    outside = {**subscription, "endpoint": "http://push.example.com/x"}
    assert client.post("/settings/push/", {"subscription": outside}, content_type="application/json").status_code == 400
    client.post("/settings/push/", {"remove": True, "endpoint": subscription["endpoint"]}, content_type="application/json")
    assert not PushSubscription.objects.exists()
    sw = Client().get("/sw.js")
    assert sw["Content-Type"] == "application/javascript" and sw["Service-Worker-Allowed"] == "/"


def test_a_new_message_is_pushed_to_an_idle_recipient_signed_and_encrypted(vapid, push_service, alice, bob, make_thread):
    push.subscribe(user=alice, data=browser_subscription(push_service, "alice"))
    push.subscribe(user=bob, data=browser_subscription(push_service, "bob"))
    thread = make_thread(bob, alice)
    message = inbox.send_message(sender=bob, thread=thread, body="are you there?")[0]
    assert push.someone_to_push(message)
    assert push.push_new_message(message.pk) == 1
    (request,) = push_service.received
    assert request["path"] == "/push/alice"  # not the sender's own browser
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["authorization"].startswith(("vapid t=", "WebPush "))
    assert headers["content-encoding"] == "aes128gcm"
    assert b"are you there" not in request["body"]  # the payload is encrypted for that browser only


def test_no_push_when_active_muted_or_blocked(vapid, push_service, alice, bob, carol, make_thread):
    push.subscribe(user=alice, data=browser_subscription(push_service))
    thread = make_thread(bob, alice)
    presence.note_active(alice.pk)
    assert push.push_new_message(inbox.send_message(sender=bob, thread=thread, body="a")[0].pk) == 0
    from django.core.cache import cache

    cache.clear()
    inbox.set_muted(user=alice, thread=thread, muted=True)
    assert push.push_new_message(inbox.send_message(sender=bob, thread=thread, body="b")[0].pk) == 0
    group = make_thread(carol, alice, bob)
    accounts_services.block(blocker=alice, blocked=carol)
    assert push.push_new_message(inbox.send_message(sender=carol, thread=group, body="c")[0].pk) == 0
    assert push_service.received == []


def test_a_gone_subscription_is_removed(vapid, push_service, alice, bob, make_thread):
    push.subscribe(user=alice, data=browser_subscription(push_service))
    push_service.status = 410
    message = inbox.send_message(sender=bob, thread=make_thread(bob, alice), body="hello")[0]
    assert push.push_new_message(message.pk) == 0
    assert len(push_service.received) == 1 and not PushSubscription.objects.exists()


def test_sending_enqueues_the_push_for_the_worker_only_when_someone_may_need_it(
    vapid, push_service, alice, bob, make_thread, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    thread = make_thread(bob, alice)
    with django_capture_on_commit_callbacks(execute=True):
        inbox.send_message(sender=bob, thread=thread, body="nobody subscribed")
    assert not DBTaskResult.objects.filter(task_path=tasks.push_message_task.module_path).exists()
    push.subscribe(user=alice, data=browser_subscription(push_service))
    with django_capture_on_commit_callbacks(execute=True):
        message = inbox.send_message(sender=bob, thread=thread, body="now someone is")[0]
    (job,) = DBTaskResult.objects.filter(task_path=tasks.push_message_task.module_path)
    assert json.loads(json.dumps(job.args_kwargs))["args"] == [message.pk]
