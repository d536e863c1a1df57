"""Demo conversations between the demo people (`manage.py seed_demo`).

Everything goes through inbox.services, the same path as the site; only the timestamps are moved
into the past afterwards, so the inbox shows a believable spread of "today" and "yesterday".
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import services
from .models import Message, Thread
from .scale import seed_scale

# (people, group name, [(minutes ago, author, text), ...]); the first person starts the conversation.
DEMO_CONVERSATIONS = [
    (
        ["alice", "bob"],
        "",
        [
            (1500, "alice", "Are you still up for the lake loop on Saturday?"),
            (1490, "bob", "Definitely. 9am at the bakery?"),
            (1488, "alice", "Perfect. I'll bring the spare tube this time 😅"),
            (95, "bob", "Forecast says sun all morning ☀️"),
            (93, "bob", "Also: Spokehouse fixed my gears, the bike feels new."),
            (12, "alice", "Great news! See you at 9 then."),
            (3, "bob", "See you there. Coffee's on me."),
        ],
    ),
    (
        ["alice", "northwind"],
        "",
        [
            (2900, "alice", "Hi! Is the Ethiopia Guji back in stock? I'd like two bags, whole bean."),
            (2870, "northwind", "Hi Alice! It's roasting on Friday. Shall we set two bags aside for you?"),
            (2865, "alice", "Yes please, I'll pick them up on Saturday afternoon."),
            (2860, "northwind", "Done: two bags of Guji under your name. Thanks for ordering with us!"),
        ],
    ),
    (
        ["dan", "alice", "bob", "carol"],
        "Garden party 🌻",
        [
            (700, "dan", "I'll take photos at the garden party, anyone want prints afterwards?"),
            (690, "carol", "Yes! The tomatoes deserve a portrait."),
            (650, "alice", "Count me in. I'll bring lemonade."),
            (40, "bob", "I can bring the folding tables on the cargo bike."),
        ],
    ),
    (
        ["bob", "spokehouse"],
        "",
        [
            (4300, "bob", "Hello, could I book a full service for my road bike next week?"),
            (4280, "spokehouse", "Hi Bob, Tuesday 10:00 or Thursday 16:00 are free. Which suits you?"),
            (4275, "bob", "Tuesday 10:00, thanks!"),
            (4270, "spokehouse", "Booked. Bring it in any time after 9:30."),
        ],
    ),
    (
        # Alice does not follow Erin: this one waits in Alice's Requests.
        ["erin", "alice"],
        "",
        [
            (25, "erin", "Hi Alice! Bob said you ride the lake loop on Saturdays. Could I join you one day?"),
        ],
    ),
]


def seed_for_demo_people(*, people, scale=None, **_signal):
    """accounts' demo_people_created receiver: the demo conversations (and the scale data with
    --scale), and what the command prints."""
    summary = f"Demo conversations: {seed_conversations(people)} created."
    if scale:
        summary += "\n" + seed_scale(factor=scale)
    return summary


def seed_conversations(people):
    """Create the demo conversations that are missing; return how many were created.

    A conversation counts as present when its first person already has one with exactly these
    people that holds messages, so running seed_demo twice creates nothing new.
    """
    created = 0
    for usernames, name, lines in DEMO_CONVERSATIONS:
        members = [people[username] for username in usernames]
        if _conversation_exists(members):
            continue
        with transaction.atomic():
            _seed_conversation(members, name, lines, people)
        created += 1
    return created


def _conversation_exists(members):
    member_ids = {member.pk for member in members}
    candidate_ids = Thread.objects.for_user(members[0]).values_list("pk", flat=True)
    for thread in Thread.objects.filter(pk__in=list(candidate_ids), last_seq__gt=0).prefetch_related("participants"):
        if {participant.user_id for participant in thread.participants.all()} == member_ids:
            return True
    return False


def _seed_conversation(members, name, lines, people):
    creator, recipients = members[0], members[1:]
    thread, _ = services.start_thread(creator=creator, recipients=recipients, name=name)
    now = timezone.now()
    first_line_at = now - timedelta(minutes=lines[0][0] + 1)
    # The group's own "created the group" line comes just before the first message.
    Message.objects.filter(thread=thread).update(created=first_line_at)
    for minutes_ago, author, text in lines:
        message, _ = services.send_message(sender=people[author], thread=thread, body=text)
        Message.objects.filter(pk=message.pk).update(created=now - timedelta(minutes=minutes_ago))
    last = Message.objects.filter(thread=thread).aggregate(newest=Max("created"))["newest"]
    Thread.objects.filter(pk=thread.pk).update(created=first_line_at, last_message_at=last)
    # The others have read everything, so whoever started each conversation logs in to something unread.
    for member in recipients:
        services.mark_read(user=member, thread=thread)
