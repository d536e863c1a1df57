"""Brand tools in the inbox everyone has: quick replies, business profiles and hours, automatic
replies, feedback, labels and notes, and the figures of the insights page.

Every rule lives here; the views and the inbox's signal only call it. A refusal raises
common.errors.Refused(code, detail), as in the inbox. Messages are only ever sent through
inbox.services.send_message, so blocks, "who can message me" and rate limits hold for brands too.
"""

import datetime
import logging
import re
import statistics
import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache as shared_cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Follow
from common.errors import Refused
from inbox import services as inbox_services
from inbox.models import Message, Participant, Thread

from .models import (
    BusinessProfile, ConversationFolder, ConversationLabel, ConversationNote, FeedbackRequest, Label, QuickReply,
)

logger = logging.getLogger(__name__)

MAX_QUICK_REPLIES = 100
MAX_REPLY_LENGTH = QuickReply._meta.get_field("text").max_length
SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,29}")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PLACEHOLDER_NAMES = ("first_name", "display_name", "username", "my_name")
MAX_FALLBACK_LENGTH = 40

AUTOMATIC_REPLY = "automatic_reply"
AUTOMATIC_LABEL = "Automatic reply"
AUTOMATIC_REPEAT = datetime.timedelta(hours=24)
FEEDBACK = "feedback"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- Placeholders ---------------------------------------------------------------------------


def check_placeholders(text):
    """Refused("unknown_placeholder") naming every {name} that is not one of PLACEHOLDER_NAMES.

    A fallback follows a bar: {first_name|there}. Text in braces that is no placeholder at all
    ("{", "{ }") is refused as well, so a typo never reaches a customer as "{frist_name}".
    """
    unknown = []
    for match in PLACEHOLDER.finditer(text):
        name, _bar, fallback = match.group(1).partition("|")
        if name.strip() not in PLACEHOLDER_NAMES or len(fallback) > MAX_FALLBACK_LENGTH:
            unknown.append(match.group(0))
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDER_NAMES)
        raise Refused("unknown_placeholder", f"Unknown placeholder {', '.join(unknown)}. Use {known}, "
                      "with a fallback after a bar if you like: {first_name|there}.")


def first_name_of(person):
    """The person's first name: their account's first name, else the first word of their display name."""
    if person.first_name.strip():
        return person.first_name.strip()
    profile = getattr(person, "profile", None)
    display_name = (profile.display_name if profile else "").strip()
    return display_name.split()[0] if display_name else ""


def placeholder_values(*, me, other):
    """What each placeholder means when `me` writes to `other` (None: nobody in particular, as in a group)."""
    values = {"my_name": me.display_name}
    if other is not None:
        profile = getattr(other, "profile", None)
        values.update(
            first_name=first_name_of(other), display_name=(profile.display_name if profile else "").strip(),
            username=other.username,
        )
    return values


def fill_placeholders(text, *, me, other):
    """The text with each placeholder replaced by its value, or by its fallback when the value is empty."""
    values = placeholder_values(me=me, other=other)

    def fill(match):
        name, _bar, fallback = match.group(1).partition("|")
        name = name.strip()
        if name not in PLACEHOLDER_NAMES:
            return match.group(0)
        return values.get(name) or fallback

    return PLACEHOLDER.sub(fill, text)


# --- Quick replies --------------------------------------------------------------------------


def clean_shortcut(shortcut):
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    if not SHORTCUT.fullmatch(shortcut):
        raise Refused("bad_shortcut", "A shortcut is 1 to 30 letters, digits, “-” or “_”, such as /thanks.")
    return shortcut


def clean_reply_text(text):
    text = (text or "").strip()
    if not text:
        raise Refused("empty_body", "Write the text of the reply.")
    if len(text) > MAX_REPLY_LENGTH:
        raise Refused("too_long", f"A quick reply can have at most {MAX_REPLY_LENGTH:,} characters.")
    check_placeholders(text)
    return text


def save_quick_reply(*, owner, shortcut, text, reply=None):
    """Store a new quick reply, or change `reply` (one of owner's). Placeholders are checked here, not at sending."""
    shortcut, text = clean_shortcut(shortcut), clean_reply_text(text)
    if reply is None and QuickReply.objects.filter(owner=owner).count() >= MAX_QUICK_REPLIES:
        raise Refused("too_many", f"You can keep at most {MAX_QUICK_REPLIES} quick replies.")
    try:
        with transaction.atomic():
            if reply is None:
                return QuickReply.objects.create(owner=owner, shortcut=shortcut, text=text)
            if reply.owner_id != owner.pk:
                raise Refused("not_found", "This quick reply does not exist.")
            reply.shortcut, reply.text = shortcut, text
            reply.save(update_fields=["shortcut", "text"])
            return reply
    except IntegrityError:
        raise Refused("duplicate_shortcut", f"You already have a reply for /{shortcut}.") from None


def delete_quick_reply(*, owner, reply_id):
    deleted, _ = QuickReply.objects.filter(owner=owner, pk=reply_id).delete()
    if not deleted:
        raise Refused("not_found", "This quick reply does not exist.")


def quick_replies_of(owner):
    return list(QuickReply.objects.filter(owner=owner).order_by("shortcut"))


def other_person(*, user, thread):
    """The other member of a 1:1 (with profile), or None in a group. The caller checked access."""
    if thread.is_group:
        return None
    member = (
        Participant.objects.filter(thread=thread).exclude(user=user).select_related("user__profile").first()
    )
    return member.user if member else None


def quick_replies_for(*, user, thread_id):
    """The user's quick replies filled in for the other person of the conversation, for the composer.

    Refused("not_found") unless the user is a participant (inbox.services.get_thread_for). Three
    queries: the thread, the other member with profile, the replies.
    """
    thread = inbox_services.get_thread_for(user, thread_id)
    other = other_person(user=user, thread=thread)
    return [
        {"shortcut": reply.shortcut, "text": fill_placeholders(reply.text, me=user, other=other)}
        for reply in quick_replies_of(user)
    ]


# --- Business profile and hours -------------------------------------------------------------


def business_profile_of(user):
    """The account's business profile, or None for a personal account (one query)."""
    if not user.is_authenticated:
        return None
    return BusinessProfile.objects.filter(user_id=user.pk).first()


def require_business(user):
    profile = business_profile_of(user)
    if profile is None:
        raise Refused("not_business", "Only business accounts have this. Switch to business in Settings.")
    return profile


@cache
def time_zone_names():
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def clean_time_zone(name):
    if name not in time_zone_names():
        raise Refused("bad_time_zone", "Choose a time zone from the list.")
    return name


def clean_hours(hours):
    """{weekday: (opens, closes)} as datetime.time pairs → the stored {"0": ["09:00", "17:00"]}.

    A day with neither time is closed; one time without the other is refused. Closing at or
    before opening means the hours run past midnight (22:00 to 2:00).
    """
    stored = {}
    for weekday in range(7):
        opens, closes = hours.get(weekday, (None, None))
        if opens is None and closes is None:
            continue
        if opens is None or closes is None:
            raise Refused("bad_hours", f"Give both an opening and a closing time for {WEEKDAYS[weekday]}, or neither.")
        if opens == closes:
            raise Refused("bad_hours", f"{WEEKDAYS[weekday]} opens and closes at the same time.")
        stored[str(weekday)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
    return stored


def save_business_profile(*, user, category, website, time_zone, hours, open_to_collaborations,
                          greeting_enabled=False, greeting_text="", away_enabled=False, away_text=""):
    """Switch the account to business, or change its business profile. hours: as clean_hours takes them.

    Greeting and away texts may use placeholders, checked here; a switched-on one needs a text.
    """
    time_zone = clean_time_zone(time_zone)
    stored_hours = clean_hours(hours)
    texts = {}
    for kind, enabled, text in (("greeting", greeting_enabled, greeting_text), ("away", away_enabled, away_text)):
        text = (text or "").strip()
        if enabled and not text:
            raise Refused("empty_body", f"Write the {kind} message, or switch it off.")
        if len(text) > MAX_REPLY_LENGTH:
            raise Refused("too_long", f"The {kind} message can have at most {MAX_REPLY_LENGTH:,} characters.")
        check_placeholders(text)
        texts[kind] = text
    if away_enabled and not stored_hours:
        raise Refused("bad_hours", "An away message needs business hours: add them, or switch it off.")
    profile, _created = BusinessProfile.objects.update_or_create(
        user=user,
        defaults={
            "category": (category or "").strip()[:60], "website": (website or "").strip(), "time_zone": time_zone,
            "hours": stored_hours, "open_to_collaborations": bool(open_to_collaborations),
            "greeting_enabled": bool(greeting_enabled), "greeting_text": texts["greeting"],
            "away_enabled": bool(away_enabled), "away_text": texts["away"],
        },
    )
    forget_automatic_repliers()
    announce_business_status(user, True)
    return profile


def switch_to_personal(*, user):
    """Back to a personal account: the business profile goes (quick replies stay: everyone has them)."""
    BusinessProfile.objects.filter(user=user).delete()
    forget_automatic_repliers()
    announce_business_status(user, False)


def _business_status_key(user_id):
    return f"business:is-business:{user_id}"


def announce_business_status(user, is_business):
    """Tell the account's other sessions (its other devices) it switched, through the shared cache
    (business.context_processors reads it, no query): set after commit, so a switch that rolls
    back announces nothing. Kept as long as a session lasts, since a session that logs in again
    reads the database anyway (views.remember_business_on_login)."""
    transaction.on_commit(lambda: shared_cache.set(
        _business_status_key(user.pk), bool(is_business), timeout=settings.SESSION_COOKIE_AGE
    ))


def announced_business_status(user_id):
    """True or False once the account switched during a session's lifetime; None when nobody knows."""
    return shared_cache.get(_business_status_key(user_id))


def _parse_time(text):
    hour, minute = text.split(":")
    return datetime.time(int(hour), int(minute))


def stored_hours(profile):
    """{weekday: (opens, closes)} from the stored hours."""
    return {int(day): (_parse_time(opens), _parse_time(closes)) for day, (opens, closes) in (profile.hours or {}).items()}


def opening_intervals(profile, *, around):
    """The opening intervals, as aware UTC (start, end), from the day before `around` to a week after.

    Each day's times are wall-clock times in the business's time zone (zoneinfo), so 9:00 stays
    9:00 across daylight-saving changes; a day closing at or before its opening ends the next day.
    """
    zone = zoneinfo.ZoneInfo(profile.time_zone)
    hours = stored_hours(profile)
    today = around.astimezone(zone).date()
    intervals = []
    for offset in range(-1, 8):
        day = today + datetime.timedelta(days=offset)
        if day.weekday() not in hours:
            continue
        opens, closes = hours[day.weekday()]
        end_day = day if closes > opens else day + datetime.timedelta(days=1)
        start = datetime.datetime.combine(day, opens, tzinfo=zone).astimezone(datetime.timezone.utc)
        end = datetime.datetime.combine(end_day, closes, tzinfo=zone).astimezone(datetime.timezone.utc)
        intervals.append((start, end))
    return intervals


def is_open(profile, *, at):
    """Whether `at` falls within the business hours. No hours at all: never "open", never "away" either."""
    return any(start <= at < end for start, end in opening_intervals(profile, around=at))


def has_hours(profile):
    return bool(profile.hours)


def _clock(moment):
    return f"{moment.hour}:{moment.minute:02d}"


def hours_status(profile, *, at):
    """"Open now", "Opens at 9:00" (later today), "Opens Monday at 9:00", or "" without hours."""
    if not has_hours(profile):
        return ""
    intervals = opening_intervals(profile, around=at)
    if any(start <= at < end for start, end in intervals):
        return "Open now"
    upcoming = [start for start, _end in intervals if start > at]
    if not upcoming:
        return ""
    zone = zoneinfo.ZoneInfo(profile.time_zone)
    opening = min(upcoming).astimezone(zone)
    local_now = at.astimezone(zone)
    if opening.date() == local_now.date():
        return f"Opens at {_clock(opening)}"
    if opening.date() == local_now.date() + datetime.timedelta(days=1):
        return f"Opens tomorrow at {_clock(opening)}"
    return f"Opens {WEEKDAYS[opening.weekday()]} at {_clock(opening)}"


def hours_table(profile):
    """[(weekday name, "9:00–17:00" or "Closed")] for the profile page."""
    hours = stored_hours(profile)
    rows = []
    for weekday, name in enumerate(WEEKDAYS):
        if weekday in hours:
            opens, closes = hours[weekday]
            rows.append((name, f"{_clock(opens)}–{_clock(closes)}"))
        else:
            rows.append((name, "Closed"))
    return rows


# --- Automatic replies ----------------------------------------------------------------------


def is_automatic(message):
    return bool(message.card) and message.card.get("kind") == AUTOMATIC_REPLY


def answer_automatically(sender, message, **kwargs):
    """inbox.signals.message_sent: the greeting and the away message of a business the message was written to.

    Greeting: when the writer writes to the business for the first time (their first message in
    the conversation, which the business has not written in yet). Away: when the message comes
    outside the business hours, in the business's time zone. Each at most once per conversation
    per 24 hours, never in answer to an automatic message, only in 1:1s, and only when switched on.
    Sent through send_message with an "automatic_reply" card ("Automatic reply") and a client id
    made of the message answered, so a repeated signal sends nothing twice. A refusal (a block, a
    rate limit) is logged and dropped: the customer's message was sent whatever happens here.
    """
    if is_automatic(message) or message.kind != Message.Kind.TEXT or message.sender_id is None:
        return
    if not automatic_repliers():
        return
    business = (
        BusinessProfile.objects.filter(
            Q(greeting_enabled=True) | Q(away_enabled=True),
            user__participations__thread_id=message.thread_id, user__participations__thread__kind=Thread.Kind.DIRECT,
        )
        .exclude(user_id=message.sender_id).select_related("user__profile").first()
    )
    if business is None:
        return
    for kind, text in automatic_replies_due(business=business, message=message):
        customer = message.sender
        try:
            inbox_services.send_message(
                sender=business.user, thread=message.thread_id,
                body=fill_placeholders(text, me=business.user, other=customer),
                client_id=f"auto:{kind}:{message.pk}",
                card={"kind": AUTOMATIC_REPLY, "ref": kind, "label": AUTOMATIC_LABEL},
            )
        except Refused as refusal:
            logger.info("No %s message for message %s: %s", kind, message.pk, refusal.code)


AUTOMATIC_REPLIERS_KEY = "business:automatic-repliers"


def automatic_repliers():
    """The ids of the businesses with a greeting or away message switched on, from the shared cache.

    Every message sent asks, so the common case (nobody it could concern) costs no query: the
    list is read from the database only when the cache lost it, and forgotten whenever a business
    profile changes (forget_automatic_repliers).
    """
    ids = shared_cache.get(AUTOMATIC_REPLIERS_KEY)
    if ids is None:
        ids = list(BusinessProfile.objects.filter(Q(greeting_enabled=True) | Q(away_enabled=True))
                   .values_list("user_id", flat=True))
        shared_cache.set(AUTOMATIC_REPLIERS_KEY, ids, timeout=None)
    return ids


def forget_automatic_repliers():
    # After the commit: a request reading the list in between would otherwise cache the old one.
    transaction.on_commit(lambda: shared_cache.delete(AUTOMATIC_REPLIERS_KEY))


def automatic_replies_due(*, business, message):
    """[(kind, text)] of the automatic replies this message calls for, greeting first (one query)."""
    since = message.created - AUTOMATIC_REPEAT
    earlier = Message.objects.filter(thread_id=message.thread_id, seq__lt=message.seq).aggregate(
        from_writer=Count("pk", filter=Q(sender_id=message.sender_id)),
        by_business=Count("pk", filter=Q(sender_id=business.user_id) & ~Q(card_key__startswith=f"{AUTOMATIC_REPLY}:")),
        greeting=Count("pk", filter=Q(sender_id=business.user_id, card_key=f"{AUTOMATIC_REPLY}:greeting",
                                      created__gte=since)),
        away=Count("pk", filter=Q(sender_id=business.user_id, card_key=f"{AUTOMATIC_REPLY}:away", created__gte=since)),
    )
    due = []
    if business.greeting_enabled and business.greeting_text and not earlier["from_writer"] \
            and not earlier["by_business"] and not earlier["greeting"]:
        due.append(("greeting", business.greeting_text))
    if business.away_enabled and business.away_text and has_hours(business) and not earlier["away"] \
            and not is_open(business, at=message.created):
        due.append(("away", business.away_text))
    return due


# --- Feedback -------------------------------------------------------------------------------


def feedback_card(request):
    card = {"kind": FEEDBACK, "ref": request.pk, "label": "Feedback", "title": "How did we do?",
            "url": f"/business/feedback/{request.pk}/"}
    if request.rating:
        card.update(unavailable=True, unavailable_text=f"Rated {stars(request.rating)}",
                    excerpt=request.comment[:300])
    return card


def stars(rating):
    return "1 star" if rating == 1 else f"{rating} stars"


def ask_for_feedback(*, business_user, thread_id):
    """Send a rating card in a 1:1 of a business: (request, message). One transaction: no card without its request."""
    require_business(business_user)
    thread = inbox_services.get_thread_for(business_user, thread_id)
    customer = other_person(user=business_user, thread=thread)
    if customer is None:
        raise Refused("not_allowed", "Feedback can only be asked for in a one-to-one conversation.")
    with transaction.atomic():
        request = FeedbackRequest.objects.create(business=business_user, customer=customer, thread=thread)
        message, _created = inbox_services.send_message(
            sender=business_user, thread=thread, body="", card=feedback_card(request),
            client_id=f"feedback:{request.pk}",
        )
    return request, message


def get_feedback_for(user, request_id):
    """The feedback request, for its customer or its business; Refused("not_found") for anyone else."""
    if not user.is_authenticated or not str(request_id).isdigit():
        raise Refused("not_found", "This feedback request does not exist.")
    request = FeedbackRequest.objects.filter(Q(customer=user) | Q(business=user), pk=request_id).first()
    if request is None:
        raise Refused("not_found", "This feedback request does not exist.")
    return request


def answer_feedback(*, customer, request_id, rating, comment=""):
    """The customer's rating (1 to 5) and optional comment, once per card; the card then shows the answer.

    A conditional UPDATE takes the answer, so two clicks at once store one. Refused("already_answered")
    the second time, Refused("not_allowed") for the business itself. The answer changes the card
    of the message that asked (no new message): inbox.services.update_cards pushes "message.updated"
    to every open tab of the conversation after commit, so the business sees the rating live.
    """
    request = get_feedback_for(customer, request_id)
    if request.customer_id != customer.pk:
        raise Refused("not_allowed", "Only the person asked can answer.")
    if isinstance(rating, str) and rating.isdigit():
        rating = int(rating)
    if type(rating) is not int or not 1 <= rating <= 5:
        raise Refused("bad_request", "Choose from 1 to 5 stars.")
    comment = " ".join((comment or "").split())
    if len(comment) > 300:
        raise Refused("too_long", "A comment can have at most 300 characters.")
    with transaction.atomic():
        answered = FeedbackRequest.objects.filter(pk=request.pk, rating__isnull=True).update(
            rating=rating, comment=comment, answered=timezone.now()
        )
        if not answered:
            raise Refused("already_answered", "You already answered this. Thank you!")
        request.rating, request.comment = rating, comment
        card = feedback_card(request)
        inbox_services.update_cards(
            kind=FEEDBACK, ref=request.pk, unavailable=True, unavailable_text=card["unavailable_text"],
            excerpt=card["excerpt"],
        )
    return request


# --- Labels and notes -----------------------------------------------------------------------


def create_label(*, owner, name, colour):
    require_business(owner)
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 30:
        raise Refused("bad_request", "A label name has 1 to 30 characters.")
    if colour not in Label.Colour.values:
        raise Refused("bad_request", "Choose one of the colours.")
    try:
        with transaction.atomic():
            return Label.objects.create(owner=owner, name=name, colour=colour)
    except IntegrityError:
        raise Refused("duplicate", f"You already have a label “{name}”.") from None


def set_conversation_labels(*, owner, thread_id, label_ids):
    """Put exactly these labels (owner's own) on the conversation."""
    thread = inbox_services.get_thread_for(owner, thread_id)
    labels = set(Label.objects.filter(owner=owner, pk__in=[int(pk) for pk in label_ids if str(pk).isdigit()])
                 .values_list("pk", flat=True))
    with transaction.atomic():
        ConversationLabel.objects.filter(thread=thread, label__owner=owner).exclude(label_id__in=labels).delete()
        ConversationLabel.objects.bulk_create(
            [ConversationLabel(label_id=pk, thread=thread) for pk in labels], ignore_conflicts=True
        )


def save_note(*, owner, thread_id, text):
    thread = inbox_services.get_thread_for(owner, thread_id)
    text = (text or "").strip()
    if len(text) > 2000:
        raise Refused("too_long", "A note can have at most 2,000 characters.")
    ConversationNote.objects.update_or_create(owner=owner, thread=thread, defaults={"text": text, "updated": timezone.now()})


def customer_panel(*, business_user, thread_id):
    """What the business sees beside a conversation: the customer, whether they follow, labels, note, feedback.

    Only for the business (require_business) and only in its own 1:1s. Seven queries.
    """
    from .offers import offers_for_customer

    require_business(business_user)
    thread = inbox_services.get_thread_for(business_user, thread_id)
    customer = other_person(user=business_user, thread=thread)
    if customer is None:
        raise Refused("not_allowed", "The customer panel is for one-to-one conversations.")
    labels = list(Label.objects.filter(owner=business_user).order_by("name"))
    chosen = set(ConversationLabel.objects.filter(thread=thread, label__owner=business_user).values_list("label_id", flat=True))
    note = ConversationNote.objects.filter(owner=business_user, thread=thread).values_list("text", flat=True).first() or ""
    return {
        "thread": thread,
        "customer": customer,
        "follows": Follow.objects.filter(follower=customer, followed=business_user).exists(),
        "labels": [(label, label.pk in chosen) for label in labels],
        "note": note,
        "feedback": list(FeedbackRequest.objects.filter(business=business_user, customer=customer,
                                                        rating__isnull=False).order_by("-answered")[:10]),
        "offers": offers_for_customer(business=business_user, person=customer),
    }


# --- The business inbox: folders and filters ------------------------------------------------

FOLDERS = ("primary", "general")
FILTERS = ("all", "unread", "unanswered", "waiting")
BUSINESS_INBOX_PAGE = 50


def move_conversation(*, owner, thread_id, folder):
    """Move one of the business's conversations to Primary or General (only for the business)."""
    require_business(owner)
    thread = inbox_services.get_thread_for(owner, thread_id)
    if folder not in FOLDERS:
        raise Refused("bad_request", "Choose Primary or General.")
    if folder == "general":
        ConversationFolder.objects.get_or_create(owner=owner, thread=thread)
    else:
        ConversationFolder.objects.filter(owner=owner, thread=thread).delete()


def _business_memberships(owner, folder):
    in_general = Exists(ConversationFolder.objects.filter(owner_id=owner.pk, thread_id=OuterRef("thread_id")))
    memberships = Participant.objects.filter(
        user=owner, archived=False, state=Participant.State.ACCEPTED, thread__last_seq__gt=0
    ).annotate(in_general=in_general).filter(in_general=(folder == "general"))
    return memberships


def business_inbox(*, owner, folder="primary", show="all", label_id=None):
    """A business inbox's folder, with filters and their counts: a dict for the page. Seven queries whatever its size.

    show: "all", "unread", "unanswered" (the last message is the other person's), "waiting"
    (unanswered, the one waiting longest first, with waiting_since: the first message of the
    other person after the business's last one). label_id: only conversations with that label.
    The counts are for the folder: one statement for unread/unanswered, one for the labels.
    """
    require_business(owner)
    if folder not in FOLDERS:
        folder = "primary"
    if show not in FILTERS:
        show = "all"
    base = _business_memberships(owner, folder)
    unread_ids = base.unread().values("pk")
    unanswered = base.filter(thread__last_message__kind=Message.Kind.TEXT).exclude(
        thread__last_message__sender_id=owner.pk
    )
    counts = base.aggregate(
        all=Count("pk"),
        unread=Count("pk", filter=Q(pk__in=unread_ids)),
        unanswered=Count("pk", filter=Q(pk__in=unanswered.values("pk"))),
    )
    counts["waiting"] = counts["unanswered"]
    labels = list(
        Label.objects.filter(owner=owner).annotate(
            count=Count("uses", filter=Q(uses__thread_id__in=base.values("thread_id")))
        ).order_by("name")
    )
    rows = base
    if show == "unread":
        rows = rows.filter(pk__in=unread_ids)
    elif show in ("unanswered", "waiting"):
        rows = rows.filter(pk__in=unanswered.values("pk"))
    chosen_label = None
    if label_id is not None and str(label_id).isdigit():
        chosen_label = next((label for label in labels if label.pk == int(label_id)), None)
        rows = rows.filter(thread_id__in=ConversationLabel.objects.filter(label_id=int(label_id),
                                                                          label__owner=owner).values("thread_id"))
    last_mine = (Message.objects.filter(thread_id=OuterRef(OuterRef("thread_id")), sender_id=owner.pk)
                 .order_by("-seq").values("seq")[:1])
    waiting_since = (
        Message.objects.filter(thread_id=OuterRef("thread_id"), seq__gt=Coalesce(Subquery(last_mine), 0),
                               kind=Message.Kind.TEXT).exclude(sender_id=owner.pk)
        .order_by("seq").values("created")[:1]
    )
    rows = rows.with_unheard().annotate(waiting_since=Subquery(waiting_since))
    ordering = ("waiting_since", "thread_id") if show == "waiting" else ("-thread__last_message_at", "-thread_id")
    members = Participant.objects.select_related("user__profile").order_by("joined", "pk")
    chosen = ConversationLabel.objects.filter(label__owner=owner).select_related("label").order_by("label__name")
    page = list(
        rows.select_related("thread__last_message__sender__profile")
        .prefetch_related(Prefetch("thread__participants", queryset=members))
        .order_by(*ordering)[:BUSINESS_INBOX_PAGE]
    )
    thread_labels = {}
    for use in chosen.filter(thread_id__in=[row.thread_id for row in page]):
        thread_labels.setdefault(use.thread_id, []).append(use.label)
    now = timezone.now()
    for row in page:
        row.labels = thread_labels.get(row.thread_id, [])
        row.waited = (now - row.waiting_since).total_seconds() if row.waiting_since else None
    return {"folder": folder, "show": show, "counts": counts, "labels": labels, "label": chosen_label, "rows": page}


# --- Response times and insights ------------------------------------------------------------


def _conversation_rows(business_user, since):
    """(thread_id, sender_id, created, automatic) of every message in the business's 1:1s since `since`, in order.

    One query whatever the number of messages (a row each: small tuples, no model instances).
    """
    threads = Participant.objects.filter(user_id=business_user.pk, thread__kind=Thread.Kind.DIRECT).values("thread_id")
    return list(
        Message.objects.filter(thread_id__in=threads, created__gte=since, kind=Message.Kind.TEXT)
        .order_by("thread_id", "seq")
        .values_list("thread_id", "sender_id", "created", "card_key")
    )


def response_times(rows, business_id):
    """From conversation rows: (first response seconds per conversation, every response seconds).

    A response is the business's first own message (automatic replies do not count) after one or
    more messages of the customer; it is timed from the oldest of those. A conversation's first
    response is its first response in the rows.
    """
    first, every = [], []
    current_thread, waiting_since, answered_once = None, None, False
    for thread_id, sender_id, created, card_key in rows:
        if thread_id != current_thread:
            current_thread, waiting_since, answered_once = thread_id, None, False
        if sender_id == business_id:
            if card_key and card_key.startswith(f"{AUTOMATIC_REPLY}:"):
                continue
            if waiting_since is not None:
                seconds = (created - waiting_since).total_seconds()
                every.append(seconds)
                if not answered_once:
                    first.append(seconds)
                    answered_once = True
                waiting_since = None
        elif waiting_since is None:
            waiting_since = created
    return first, every


def describe_response_time(seconds):
    if seconds <= 15 * 60:
        return "Usually replies within minutes"
    if seconds <= 60 * 60:
        return "Usually replies within an hour"
    if seconds <= 6 * 60 * 60:
        return "Usually replies within a few hours"
    if seconds <= 24 * 60 * 60:
        return "Usually replies within a day"
    return "Usually replies within a few days"


RESPONSIVENESS_MINIMUM = 10


def responsiveness(business_user, *, now=None):
    """"Usually replies within …" from the median first response of the last 30 days, once at least
    10 conversations were answered in them; else "". One query."""
    now = now or timezone.now()
    first, _every = response_times(_conversation_rows(business_user, now - datetime.timedelta(days=30)), business_user.pk)
    if len(first) < RESPONSIVENESS_MINIMUM:
        return ""
    return describe_response_time(statistics.median(first))


def describe_duration(seconds):
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def insights(business_user, *, now=None):
    """The insights page's figures for the last 7 and 30 days, from six queries whatever the number of messages.

    {"periods": [{"days", "conversations_started", "received", "sent", "median_first_response",
    "median_response", "feedback_count", "feedback_average", "feedback_distribution"}], "unanswered",
    "daily": [(date, received, sent)] for the last 30 days}.
    """
    require_business(business_user)
    now = now or timezone.now()
    month_ago = now - datetime.timedelta(days=30)
    rows = _conversation_rows(business_user, month_ago)
    threads = Participant.objects.filter(user_id=business_user.pk, thread__kind=Thread.Kind.DIRECT)
    week_ago = now - datetime.timedelta(days=7)
    started = threads.aggregate(
        week=Count("pk", filter=Q(thread__created__gte=week_ago)),
        month=Count("pk", filter=Q(thread__created__gte=month_ago)),
    )
    # Unanswered now: the conversation's last message is the other person's.
    unanswered = threads.filter(thread__last_message__isnull=False).exclude(
        thread__last_message__sender_id=business_user.pk
    ).exclude(thread__last_message__kind=Message.Kind.SYSTEM).count()
    feedback = list(
        FeedbackRequest.objects.filter(business=business_user, answered__gte=month_ago)
        .values_list("rating", "answered")
    )
    from .offers import offer_figures

    offered = offer_figures(business_user, week_ago=week_ago, month_ago=month_ago)
    periods = []
    for days, since in ((7, week_ago), (30, month_ago)):
        period_rows = [row for row in rows if row[2] >= since]
        first, every = response_times(period_rows, business_user.pk)
        ratings = [rating for rating, answered in feedback if answered >= since]
        periods.append({
            "days": days,
            "conversations_started": started["week" if days == 7 else "month"],
            "received": sum(1 for row in period_rows if row[1] != business_user.pk),
            "sent": sum(1 for row in period_rows if row[1] == business_user.pk),
            "median_first_response": statistics.median(first) if first else None,
            "median_response": statistics.median(every) if every else None,
            "feedback_count": len(ratings),
            "feedback_average": round(sum(ratings) / len(ratings), 1) if ratings else None,
            "feedback_distribution": [(score, ratings.count(score)) for score in range(1, 6)],
            "offers_sent": offered["week_sent" if days == 7 else "month_sent"],
            "offers_replied": offered["week_replied" if days == 7 else "month_replied"],
        })
    zone = timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    daily = {today - datetime.timedelta(days=offset): [0, 0] for offset in range(29, -1, -1)}
    for _thread_id, sender_id, created, _card_key in rows:
        day = created.astimezone(zone).date()
        if day in daily:
            daily[day][1 if sender_id == business_user.pk else 0] += 1
    return {
        "periods": periods,
        "unanswered": unanswered,
        "daily": [(day, received, sent) for day, (received, sent) in daily.items()],
    }


def insights_csv_rows(figures):
    """The insights as CSV rows: a header, then one row per figure with its 7- and 30-day values."""
    week, month = figures["periods"]
    rows = [["Figure", "Last 7 days", "Last 30 days"]]
    for label, key in (("Conversations started", "conversations_started"), ("Messages received", "received"),
                       ("Messages sent", "sent"), ("Median first response (seconds)", "median_first_response"),
                       ("Median response (seconds)", "median_response"), ("Feedback answers", "feedback_count"),
                       ("Feedback average", "feedback_average"), ("Offers sent", "offers_sent"),
                       ("Offers replied to", "offers_replied")):
        rows.append([label, _csv_value(week[key]), _csv_value(month[key])])
    for score in range(1, 6):
        rows.append([f"Feedback {stars(score)}", week["feedback_distribution"][score - 1][1],
                     month["feedback_distribution"][score - 1][1]])
    rows.append(["Unanswered now", figures["unanswered"], figures["unanswered"]])
    return rows


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return value


def get_user_by_name(username):
    return get_user_model().objects.filter(username=username, is_active=True).first()
