"""Offers to chosen followers: composing one, delivering it in a background job, stopping them.

Each recipient gets the offer as an ordinary 1:1 message from the business, through
inbox.services.start_thread and send_message, so blocks and "who can message me" hold as for any
message. The job (business.tasks.deliver_offer_task) works through the offer's recipient rows in
order; each row is marked sent or skipped after its message, and each message's client id is
"offer:<offer>:<person>", so a job killed at any point and run again sends nobody a second copy
(send_message answers a repeated client id with the stored message).
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block, Follow, PersonMute
from common.errors import Refused
from inbox import services as inbox_services
from inbox.models import Message
from media import services as media_services
from media.models import Attachment

from . import services
from .models import ConversationLabel, Label, Offer, OfferOptOut, OfferRecipient

logger = logging.getLogger(__name__)

OFFER = "offer"
MAX_PICKED = 500
BATCH = 100
STOP_WORDS = {"STOP", "STOP OFFERS", "UNSUBSCRIBE"}


def _followers(business):
    return Follow.objects.filter(followed=business)


def audience_of(*, business, audience, label_id=None, usernames=""):
    """The ids of the followers the offer goes to. Only followers: hand-picked people who don't
    follow the business are refused by name, before anything is stored."""
    followers = _followers(business)
    if audience == Offer.Audience.FOLLOWERS:
        return list(followers.order_by("pk").values_list("follower_id", flat=True)), None
    if audience == Offer.Audience.LABEL:
        label = Label.objects.filter(owner=business, pk=label_id if str(label_id).isdigit() else 0).first()
        if label is None:
            raise Refused("bad_request", "Choose one of your labels.")
        labelled = ConversationLabel.objects.filter(label=label, thread__kind="direct").values("thread_id")
        ids = followers.filter(
            follower__participations__thread_id__in=labelled
        ).order_by("pk").values_list("follower_id", flat=True).distinct()
        return list(ids), label
    if audience == Offer.Audience.PICKED:
        names = [name.lstrip("@") for name in inbox_services.RECIPIENT_SEPARATORS.split(usernames or "") if name.strip("@")]
        if not names:
            raise Refused("bad_request", "Name the followers to send the offer to.")
        if len(names) > MAX_PICKED:
            raise Refused("too_many_people", f"Pick at most {MAX_PICKED} people, or send to all followers.")
        found = dict(
            followers.filter(follower__username__in=names, follower__is_active=True)
            .values_list("follower__username", "follower_id")
        )
        missing = [name for name in names if name not in found]
        if missing:
            raise Refused("not_a_follower", "Offers go to followers only; these people don't follow you: "
                          + ", ".join(f"@{name}" for name in missing) + ".")
        return list(dict.fromkeys(found[name] for name in names)), None
    raise Refused("bad_request", "Choose who gets the offer.")


def create_offer(*, business, text, audience, label_id=None, usernames="", picture=None):
    """Store an offer and its recipients, and enqueue its delivery after the commit: the Offer.

    One transaction: the offer, one recipient row per person (bulk), the job. Refused before
    anything is stored for a bad text (placeholders are checked as for quick replies), a personal
    account, an empty audience or a hand-picked person who does not follow the business.

    picture: an optional uploaded file, stored through media.services.store_upload like any
    attachment (re-encoded without EXIF, with a thumbnail) once everything else is checked, and
    refused unless it is a picture; any refusal or failure after it was stored deletes it again.
    Call outside a transaction: stored files cannot roll back.
    """
    from .tasks import deliver_offer_task

    services.require_business(business)
    text = services.clean_reply_text(text)
    ids, label = audience_of(business=business, audience=audience, label_id=label_id, usernames=usernames)
    if not ids:
        raise Refused("bad_request", "Nobody is in this audience yet.")
    stored = media_services.store_upload(owner=business, uploaded_file=picture) if picture else None
    try:
        if stored is not None and stored.kind != Attachment.Kind.IMAGE:
            raise Refused("not_a_picture", "An offer's file must be a picture.")
        with transaction.atomic():
            offer = Offer.objects.create(business=business, text=text, audience=audience, label=label, picture=stored)
            OfferRecipient.objects.bulk_create([OfferRecipient(offer=offer, person_id=person_id) for person_id in ids])
            transaction.on_commit(lambda: deliver_offer_task.enqueue(offer.pk))
    except BaseException:
        if stored is not None:
            media_services.discard_uploads([stored])
        raise
    return offer


def offer_card(offer):
    """The card on each copy of the offer: its picture's thumbnail, if any, and the "Stop offers" form's path."""
    return {
        "kind": OFFER, "ref": offer.pk, "label": "Offer from " + offer.business.display_name,
        "url": reverse("business:stop_offers", args=[offer.pk]),
        "thumbnail_url": reverse("media:thumbnail", args=[offer.picture_id]) if offer.picture_id else "",
    }


def pictures_visible_to(user):
    """media access rule: an offer's picture, for the people it was sent to (the business sees its own upload)."""
    sent = OfferRecipient.objects.filter(person_id=user.pk, status=OfferRecipient.Status.SENT, offer__picture__isnull=False)
    return Q(pk__in=sent.values("offer__picture_id"))


def claimed_pictures():
    """media claim rule: offer pictures are in use although no message carries them."""
    return Q(pk__in=Offer.objects.filter(picture__isnull=False).values("picture_id"))


def _skip_reasons(business, person_ids):
    """{person id: why they get no offer} for one batch: four queries whatever its size."""
    reasons = {}
    following = set(_followers(business).filter(follower_id__in=person_ids).values_list("follower_id", flat=True))
    stopped = set(OfferOptOut.objects.filter(business=business, person_id__in=person_ids).values_list("person_id", flat=True))
    blocked = set(
        Block.objects.filter(Q(blocker=business, blocked_id__in=person_ids) | Q(blocked=business, blocker_id__in=person_ids))
        .values_list("blocker_id", "blocked_id")
    )
    blocked_ids = {pair[0] if pair[1] == business.pk else pair[1] for pair in blocked}
    muted = set(PersonMute.objects.filter(muted=business, muter_id__in=person_ids).values_list("muter_id", flat=True))
    for person_id in person_ids:
        if person_id in stopped:
            reasons[person_id] = "Stopped offers"
        elif person_id in blocked_ids:
            reasons[person_id] = "Blocked"
        elif person_id not in following:
            reasons[person_id] = "No longer follows you"
        elif person_id in muted:
            reasons[person_id] = "Muted you"
    return reasons


def deliver_offer(offer_id, *, now=None):
    """Send the offer to its pending recipients, in order; returns "done", "paused" or "missing".

    Rate limited: at most OFFER_RATE_PER_MINUTE messages a run (0: no limit) and it stops at the
    send path's own rate limit; then it enqueues itself again for later and returns "paused".
    Each recipient row is marked once its message is stored; a run stopped in between (a crash,
    a killed worker) sends that person nothing new when run again: the client id makes the send
    a retry. Someone who cannot be messaged (a block, "Only people I follow", a muted brand, a
    stop) is skipped with the reason.
    """
    from .tasks import deliver_offer_task

    offer = Offer.objects.select_related("business__profile").filter(pk=offer_id).first()
    if offer is None:
        return "missing"
    if offer.status == Offer.Status.DONE:
        return "done"
    business = offer.business
    card = offer_card(offer)
    budget = settings.OFFER_RATE_PER_MINUTE or None
    while True:
        batch = list(
            OfferRecipient.objects.filter(offer=offer, status=OfferRecipient.Status.PENDING)
            .select_related("person__profile").order_by("pk")[:BATCH]
        )
        if not batch:
            break
        reasons = _skip_reasons(business, [row.person_id for row in batch])
        for row in batch:
            if row.person_id in reasons:
                _mark(row, OfferRecipient.Status.SKIPPED, reason=reasons[row.person_id])
                continue
            if budget is not None and budget <= 0:
                deliver_offer_task.using(run_after=timezone.now() + datetime.timedelta(minutes=1)).enqueue(offer.pk)
                return "paused"
            try:
                thread, _created = inbox_services.start_thread(creator=business, recipients=[row.person])
                message, _created = inbox_services.send_message(
                    sender=business, thread=thread,
                    body=services.fill_placeholders(offer.text, me=business, other=row.person),
                    client_id=f"offer:{offer.pk}:{row.person_id}",
                    card=card,
                )
            except Refused as refusal:
                if refusal.code == "rate_limited":
                    wait = refusal.retry_after or 60
                    deliver_offer_task.using(run_after=timezone.now() + datetime.timedelta(seconds=wait)).enqueue(offer.pk)
                    return "paused"
                _mark(row, OfferRecipient.Status.SKIPPED, reason="Doesn't take messages from you"
                      if refusal.code == "cannot_message" else refusal.detail[:60])
                continue
            _mark(row, OfferRecipient.Status.SENT, message=message)
            if budget is not None:
                budget -= 1
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.DONE, finished=timezone.now())
    return "done"


def resume_unfinished():
    """Enqueue the delivery of every offer still sending whose job no longer waits: a worker killed
    mid-job leaves its job row "running" for good, so this runs when the workers start. An offer
    whose job is still queued (not yet run, or paused at the rate limit) is left to it, so restarts
    do not pile up copies of the job; should two run anyway, deliveries are idempotent."""
    # The database backend's own table: the Tasks API has no way to list waiting jobs.
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from .tasks import deliver_offer_task

    queued = DBTaskResult.objects.filter(task_path=deliver_offer_task.module_path, status=TaskResultStatus.READY)
    waiting = {job["args"][0] for job in queued.values_list("args_kwargs", flat=True) if job.get("args")}
    unfinished = [offer_id for offer_id in Offer.objects.filter(status=Offer.Status.SENDING).values_list("pk", flat=True)
                  if offer_id not in waiting]
    for offer_id in unfinished:
        deliver_offer_task.enqueue(offer_id)
    return len(unfinished)


def _mark(row, status, *, reason="", message=None):
    OfferRecipient.objects.filter(pk=row.pk).update(status=status, reason=reason, message=message)


def stop_offers(*, person, offer_id):
    """"Stop offers" on an offer's message: its business sends this person no more offers."""
    recipient = OfferRecipient.objects.filter(offer_id=offer_id, person=person).select_related("offer").first()
    if recipient is None:
        raise Refused("not_found", "This offer does not exist.")
    OfferOptOut.objects.get_or_create(business_id=recipient.offer.business_id, person=person)
    return recipient.offer


def stop_on_reply(message):
    """A reply "STOP" to a business that sent the writer an offer stops its offers (from the message signal)."""
    if message.body.strip().upper() not in STOP_WORDS:
        return False
    offered = (
        OfferRecipient.objects.filter(person_id=message.sender_id, message__thread_id=message.thread_id)
        .values_list("offer__business_id", flat=True).first()
    )
    if offered is None:
        return False
    OfferOptOut.objects.get_or_create(business_id=offered, person_id=message.sender_id)
    return True


def stop_when_asked(sender, message, **kwargs):
    """inbox.signals.message_sent: a reply "STOP" stops the offers (no query for any other message)."""
    if message.sender_id is not None and message.body:
        stop_on_reply(message)


def offer_progress(*, business, offer_id):
    """The offer with its counts (sent, skipped by reason, waiting, replied) and its latest rows. Three queries."""
    offer = Offer.objects.filter(business=business, pk=offer_id).first()
    if offer is None:
        raise Refused("not_found", "This offer does not exist.")
    replied = Exists(Message.objects.filter(thread_id=OuterRef("message__thread_id"), sender_id=OuterRef("person_id"),
                                            seq__gt=OuterRef("message__seq")))
    rows = OfferRecipient.objects.filter(offer=offer)
    counts = rows.aggregate(
        sent=Count("pk", filter=Q(status=OfferRecipient.Status.SENT)),
        skipped=Count("pk", filter=Q(status=OfferRecipient.Status.SKIPPED)),
        waiting=Count("pk", filter=Q(status=OfferRecipient.Status.PENDING)),
        replied=Count("pk", filter=replied),
        total=Count("pk"),
    )
    reasons = list(
        rows.filter(status=OfferRecipient.Status.SKIPPED).values("reason").annotate(count=Count("pk")).order_by("-count")
    )
    return {"offer": offer, "counts": counts, "reasons": reasons}


def offers_of(business):
    return list(Offer.objects.filter(business=business).annotate(
        sent=Count("recipients", filter=Q(recipients__status=OfferRecipient.Status.SENT)),
        total=Count("recipients"),
    ).order_by("-created")[:50])


def offers_for_customer(*, business, person):
    return list(OfferRecipient.objects.filter(offer__business=business, person=person, status=OfferRecipient.Status.SENT)
                .select_related("offer").order_by("-pk")[:10])


def offer_figures(business, *, week_ago, month_ago):
    """Offers sent and replied to in the last 7 and 30 days, for insights (one query)."""
    replied = Exists(Message.objects.filter(thread_id=OuterRef("message__thread_id"), sender_id=OuterRef("person_id"),
                                            seq__gt=OuterRef("message__seq")))
    rows = OfferRecipient.objects.filter(offer__business=business, status=OfferRecipient.Status.SENT,
                                         message__created__gte=month_ago)
    return rows.aggregate(
        week_sent=Count("pk", filter=Q(message__created__gte=week_ago)),
        week_replied=Count("pk", filter=Q(replied, message__created__gte=week_ago)),
        month_sent=Count("pk"),
        month_replied=Count("pk", filter=replied),
    )
