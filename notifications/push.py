"""Web Push: a notification for each new message to people with no Parley tab in use.

On only when VAPID keys are in the environment (PARLEY_VAPID_PUBLIC_KEY, PARLEY_VAPID_PRIVATE_KEY);
without them nothing is offered, stored or sent. Sent by the background worker (notifications.tasks),
never on the send path. A push goes to the recipient's subscribed browsers when the inbox would
bump their badge (not the sender, not a muted conversation or a request, not from someone they
blocked or muted) and no tab of theirs reported itself active in the last two minutes
(accounts.presence). The push service saying a subscription is gone (404, 410) removes it.
"""

import ipaddress
import json
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse

from accounts import presence
from accounts.models import Block, PersonMute
from common.errors import Refused
from inbox.models import Message, Participant

from .models import EmailSettings, PushSubscription

logger = logging.getLogger(__name__)


def enabled():
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def _allowed_endpoint(endpoint):
    """Push services are https; plain http only to loopback (a local test service)."""
    if not isinstance(endpoint, str) or len(endpoint) > 1000:
        return False
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return True
    try:
        return parts.scheme == "http" and ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


def subscribe(*, user, data):
    """Store the browser's subscription for user (the same endpoint again replaces it)."""
    if not enabled():
        raise Refused("not_found", "Push notifications are not available on this site.")
    keys = data.get("keys") if isinstance(data, dict) else None
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not _allowed_endpoint(endpoint) or not isinstance(keys, dict):
        raise Refused("bad_request", "This is not a push subscription.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str) or not 0 < len(p256dh) <= 200 or not 0 < len(auth) <= 100:
        raise Refused("bad_request", "This is not a push subscription.")
    PushSubscription.objects.update_or_create(endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth})


def unsubscribe(*, user, endpoint):
    PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()


def someone_to_push(message):
    """Whether a new message may need a push at all (one query; none when push is off)."""
    if not enabled() or message.sender_id is None:
        return False
    return PushSubscription.objects.filter(user__participations__thread_id=message.thread_id).exclude(user_id=message.sender_id).exists()


def push_new_message(message_id):
    """Send the pushes for one message; returns how many were delivered."""
    from pywebpush import WebPushException, webpush

    message = Message.objects.select_related("sender__profile", "thread").filter(pk=message_id).first()
    if message is None or message.sender_id is None or not enabled():
        return 0
    member = OuterRef("user_id")
    recipients = (
        Participant.objects.filter(thread_id=message.thread_id, state=Participant.State.ACCEPTED, muted=False)
        .exclude(user_id=message.sender_id)
        .exclude(Exists(Block.objects.filter(blocker_id=member, blocked_id=message.sender_id)))
        .exclude(Exists(PersonMute.objects.filter(muter_id=member, muted_id=message.sender_id)))
        .values_list("user_id", flat=True)
    )
    recipient_ids = list(recipients)
    active = presence.last_active(recipient_ids)
    idle = [user_id for user_id in recipient_ids if time.time() - active.get(user_id, 0) >= presence.ACTIVE_WINDOW]
    with_text = set(EmailSettings.objects.filter(user_id__in=idle, include_text=True).values_list("user_id", flat=True))
    thread = message.thread
    title = f"{message.sender.display_name} in {thread.name}" if thread.is_group and thread.name else message.sender.display_name
    url = reverse("inbox:thread", args=[message.thread_id])
    delivered = 0
    for subscription in PushSubscription.objects.filter(user_id__in=idle):
        body = " ".join(message.body.split())[:200] if subscription.user_id in with_text and message.body else "New message"
        payload = json.dumps({"title": title, "body": body, "url": url, "tag": f"thread-{message.thread_id}"})
        try:
            webpush(
                subscription_info=subscription.info, data=payload, vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT}, timeout=10,
            )
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in (404, 410):
                subscription.delete()
            else:
                logger.warning("Web Push to subscription %s failed: %s", subscription.pk, status or error)
            continue
        except Exception:
            logger.exception("Web Push to subscription %s failed", subscription.pk)
            continue
        delivered += 1
    return delivered
