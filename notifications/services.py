"""E-mails about messages still unread after a while (send_unread_emails), and each person's choice.

A person hears at most once about each message: how far each of their conversations was e-mailed
is stored (EmailedUpTo) and moved forward by a conditional UPDATE before anything is sent, so two
runs at the same moment (cron every minute, the background worker, a developer) never both send.
What counts is what the inbox's badge counts: conversations in the inbox (not requests, not
muted), messages from others past the read mark, not from someone the person blocked or muted,
not deleted for themselves, unsent or removed.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db.models import Exists, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block, PersonMute
from common.errors import Refused
from inbox.models import HiddenMessage, Message, Participant

from .models import DigestSent, EmailedUpTo, EmailSettings

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "parley.notifications.unsubscribe"
BATCH_SIZE = 500
EXCERPT_LENGTH = 200


# --- Each person's choice -----------------------------------------------------------------------


def email_settings_of(user):
    """The person's e-mail settings (unsaved defaults when they never chose)."""
    return EmailSettings.objects.filter(user=user).first() or EmailSettings(user=user)


def save_email_settings(*, user, mode, include_text):
    if mode not in EmailSettings.Mode.values:
        raise Refused("bad_request", "Choose when Parley e-mails you.")
    EmailSettings.objects.update_or_create(user=user, defaults={"mode": mode, "include_text": bool(include_text)})


def unsubscribe_token(user):
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe(token):
    """Turn e-mails off for the person the signed token names (no login needed); returns them."""
    from accounts.models import User

    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise Refused("not_found", "This unsubscribe link is not valid.") from None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Refused("not_found", "This unsubscribe link is not valid.")
    EmailSettings.objects.update_or_create(user=user, defaults={"mode": EmailSettings.Mode.OFF})
    return user


# --- Finding what to e-mail about -------------------------------------------------------------


@dataclass
class Unread:
    """One person's conversation with messages to e-mail about, up to seq."""

    membership: Participant
    seq: int
    mode: str
    include_text: bool


def unread_to_email(*, now=None, delay=None, limit=BATCH_SIZE):
    """Memberships with messages from others unread for longer than delay and not e-mailed yet
    (one query): each with the newest such seq and the person's settings."""
    now = now or timezone.now()
    delay = timedelta(minutes=settings.UNREAD_EMAIL_DELAY_MINUTES) if delay is None else delay
    member = OuterRef("user_id")
    emailed = EmailedUpTo.objects.filter(user_id=member, thread_id=OuterRef("thread_id")).values("seq")[:1]
    person = OuterRef(OuterRef("user_id"))
    newest = (
        Message.objects.filter(
            thread_id=OuterRef("thread_id"), seq__gt=OuterRef("last_read_seq"), created__lte=now - delay,
            sender__isnull=False, unsent_at__isnull=True, removed_at__isnull=True,
        )
        .filter(seq__gt=OuterRef("emailed"))
        .exclude(sender_id=member)
        .exclude(Exists(Block.objects.filter(blocker_id=person, blocked_id=OuterRef("sender_id"))))
        .exclude(Exists(PersonMute.objects.filter(muter_id=person, muted_id=OuterRef("sender_id"))))
        .exclude(Exists(HiddenMessage.objects.filter(user_id=person, message_id=OuterRef("pk"))))
        .order_by().values("thread_id").annotate(newest=Max("seq")).values("newest")
    )
    settings_of = EmailSettings.objects.filter(user_id=member)
    memberships = (
        Participant.objects.filter(state=Participant.State.ACCEPTED, muted=False, user__is_active=True)
        .exclude(user__email="")
        .exclude(Exists(settings_of.filter(mode=EmailSettings.Mode.OFF)))
        .annotate(emailed=Coalesce(Subquery(emailed), 0))
        .annotate(newest=Subquery(newest))
        .filter(newest__isnull=False)
        .annotate(
            mode=Coalesce(Subquery(settings_of.values("mode")[:1]), Value(EmailSettings.Mode.EACH.value)),
            include_text=Coalesce(Subquery(settings_of.values("include_text")[:1]), Value(False)),
        )
        .select_related("user__profile", "thread")
        .order_by("user_id", "thread_id")[:limit]
    )
    return [Unread(membership, membership.newest, membership.mode, bool(membership.include_text)) for membership in memberships]


# --- Claiming and sending ---------------------------------------------------------------------


def _claim(user_id, thread_id, seq):
    """Move the conversation's e-mailed mark to seq; True for the one run that moved it."""
    EmailedUpTo.objects.get_or_create(user_id=user_id, thread_id=thread_id)
    return EmailedUpTo.objects.filter(user_id=user_id, thread_id=thread_id, seq__lt=seq).update(seq=seq) == 1


def _claim_digest(user_id, day):
    _row, created = DigestSent.objects.get_or_create(user_id=user_id, day=day)
    return created


def send_unread_emails(*, now=None, delay=None):
    """E-mail everyone about conversations unread for longer than the delay; returns how many
    e-mails went out. Safe to run from cron every minute and in parallel with itself."""
    now = now or timezone.now()
    pending = unread_to_email(now=now, delay=delay)
    each = [item for item in pending if item.mode == EmailSettings.Mode.EACH]
    daily = defaultdict(list)
    for item in pending:
        if item.mode == EmailSettings.Mode.DAILY:
            daily[item.membership.user_id].append(item)
    emails = []
    for item in each:
        if _claim(item.membership.user_id, item.membership.thread_id, item.seq):
            emails.append(_conversation_email(item))
    today = timezone.localdate(now)
    for user_id, items in daily.items():
        if not _claim_digest(user_id, today):
            continue
        claimed = [item for item in items if _claim(user_id, item.membership.thread_id, item.seq)]
        if claimed:
            emails.append(_digest_email(claimed))
    if emails:
        with get_connection() as connection:
            for email in emails:
                email.connection = connection
                try:
                    email.send()
                except Exception:
                    # Claimed already: this one is lost rather than sent twice.
                    logger.exception("Could not send an unread-messages e-mail")
    return len(emails)


def _absolute(path):
    return settings.PARLEY_SITE_URL.rstrip("/") + path


def _title_and_sender(item):
    """(conversation title, the newest message), two queries."""
    thread = item.membership.thread
    message = Message.objects.select_related("sender__profile").get(thread_id=thread.pk, seq=item.seq)
    if thread.is_group and thread.name:
        title = thread.name
    else:
        others = (
            Participant.objects.filter(thread_id=thread.pk).exclude(user_id=item.membership.user_id)
            .select_related("user__profile")
        )
        title = ", ".join(member.user.display_name for member in others) or "a conversation"
    return title, message


def _unread_count(item):
    return max(item.membership.thread.last_seq - item.membership.last_read_seq, 1)


def _email(user, subject, lines):
    token = unsubscribe_token(user)
    unsubscribe_url = _absolute(reverse("notifications:unsubscribe", args=[token]))
    body = "\n".join([
        *lines, "",
        f"Change how Parley e-mails you: {_absolute(reverse('notifications:email_settings'))}",
        f"Stop these e-mails: {unsubscribe_url}",
    ])
    return EmailMessage(
        subject=subject, body=body, to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _conversation_email(item):
    user = item.membership.user
    title, message = _title_and_sender(item)
    sender = message.sender.display_name
    count = _unread_count(item)
    where = f"in {title}" if item.membership.thread.is_group else ""
    lines = [f"Hi {user.display_name},", "",
             f"{sender} sent you {'a message' if count == 1 else f'{count} messages'}{' ' + where if where else ''} on Parley."]
    if item.include_text and message.body:
        text = " ".join(message.body.split())
        lines += ["", f"“{text[:EXCERPT_LENGTH]}{'…' if len(text) > EXCERPT_LENGTH else ''}”"]
    lines += ["", f"Read it: {_absolute(reverse('inbox:thread', args=[item.membership.thread_id]))}"]
    subject = f"{sender} sent you a message" if not where else f"New messages {where}"
    return _email(user, subject, lines)


def _digest_email(items):
    user = items[0].membership.user
    lines = [f"Hi {user.display_name},", "", "You have unread messages on Parley:", ""]
    for item in items:
        title, message = _title_and_sender(item)
        line = f"- {title}: {_unread_count(item)} unread, latest from {message.sender.display_name}"
        if item.include_text and message.body:
            line += f": “{' '.join(message.body.split())[:EXCERPT_LENGTH]}”"
        lines.append(line)
    lines += ["", f"Open your inbox: {_absolute(reverse('inbox:index'))}"]
    count = len(items)
    return _email(user, f"{count} conversation{'s' if count != 1 else ''} with unread messages", lines)
