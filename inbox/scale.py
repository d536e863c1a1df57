"""A database the shape of a big site, for the pages benchmark (`manage.py seed_demo --scale [FACTOR]`).

At factor 1: 1,000,000 messages in 20,000 one-to-one conversations; one person ("scale", the demo
password) is in 2,000 of them, some unread and a few waiting as message requests; one of theirs
holds 100,000 messages. A smaller factor shrinks every count alike (0.01: 10,000 messages), so a
test builds the same shape in seconds.

The rows go in with executemany in big batches, not through inbox.services: the send path takes a
row lock and pushes per message, which would take hours here. What the send path keeps true is
kept true by construction, in one transaction: seqs 1..N with no gap per conversation,
Thread.last_seq, last_message and last_message_at pointing at the newest row, each sender's read
mark at or past their own newest message. Columns come from each model's concrete fields with their
defaults (as services._insert_message does), so a column added later is filled as create() would.
The full-text index fills itself on the way in (search's triggers on SQLite, its GIN index on
PostgreSQL): nothing is dropped.
"""

import math
import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Profile, User

from .models import Message, Participant, Thread, direct_key

SCALE_USERNAME = "scale"
FULL_MESSAGES = 1_000_000
FULL_THREADS = 20_000
FULL_PERSON_THREADS = 2_000
FULL_LONG_THREAD = 100_000
# Among the person's conversations: one in UNREAD_EVERY has the other's last messages unread, and
# one in REQUEST_EVERY (at least two in all) is a message request from someone they do not follow.
UNREAD_EVERY = 7
REQUEST_EVERY = 100
BATCH = 20_000
# A word the bodies carry now and then, for the search benchmark and tests: rare enough that a
# search for it has to look past most messages, common enough to fill a page of results.
SEEDED_WORD = "lighthouse"
SEEDED_EVERY = 997
WORDS = (
    "coffee morning ride lake bakery tomorrow weekend garden photos tickets train station dinner lunch "
    "meeting project deadline review draft slides budget invoice order delivery package parcel bike "
    "repair service booking table concert movie museum market river bridge mountain trail forecast rain "
    "sunny cloudy tea sandwich pizza pasta salad birthday party present card holiday flight hotel beach "
    "ferry island village city street corner office desk laptop phone charger keys wallet umbrella "
    "jacket shoes bag book library chapter story song album guitar piano lesson class homework exam "
    "result score match team goal season league coach practice run swim climb walk dog cat garden "
    "tomatoes basil lemonade cake bread cheese soup recipe kitchen oven fridge window door paint wall "
    "floor chair sofa lamp plant flower tree park bench picnic blanket camera lens print frame gallery"
).split()


def counts_for(factor):
    """The sizes at this factor: {messages, threads, person_threads, long_thread}, each at least what the shape needs."""
    if not 0 < factor <= 1:
        raise ValueError("the scale factor must be above 0 and at most 1")
    threads = max(10, round(FULL_THREADS * factor))
    person_threads = max(5, round(FULL_PERSON_THREADS * factor))
    long_thread = max(400, round(FULL_LONG_THREAD * factor))
    messages = max(long_thread + threads - 1, round(FULL_MESSAGES * factor))
    return {"messages": messages, "threads": threads, "person_threads": person_threads, "long_thread": long_thread}


def seed_scale(*, factor=1.0, seed=1):
    """Build the scale world unless its person exists already; return the line seed_demo prints."""
    if User.objects.filter(username=SCALE_USERNAME).exists():
        return f"Scale data already there; login: {SCALE_USERNAME} (password: {DEMO_PASSWORD})."
    sizes = counts_for(factor)
    with transaction.atomic():
        _build(sizes, random.Random(seed))
    _reset_sequences()
    if connection.vendor == "postgresql":
        # The planner's statistics would otherwise still describe empty tables until autovacuum
        # comes round, and it would pick plans no running site gets.
        with connection.cursor() as cursor:
            for model in (User, Profile, Thread, Participant, Message):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return (
        f"Scale data: {sizes['messages']:,} messages in {sizes['threads']:,} conversations; "
        f"login: {SCALE_USERNAME} (password: {DEMO_PASSWORD}), in {sizes['person_threads']:,} of them, "
        f"one of {sizes['long_thread']:,} messages."
    )


def _build(sizes, rng):
    person_threads, threads = sizes["person_threads"], sizes["threads"]
    partners_needed = person_threads
    other_threads = threads - person_threads
    # Other people talk among themselves in pairs: enough of them for every pair to be a new 1:1.
    crowd = max(10, round(partners_needed / 2), math.ceil(math.sqrt(2 * other_threads)) + 2)
    person, partners, others = _people(partners_needed, crowd)
    pool = partners + others

    pairs = [(person, partner) for partner in partners]
    pairs += _distinct_pairs(pool, other_threads)
    message_counts = _message_counts(sizes, rng)

    now = timezone.now()
    next_thread_id = (Thread.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    first_message_id = (Message.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    # Spread over the person's conversations, never the long one (the first).
    requests = max(2, round(person_threads / REQUEST_EVERY))
    spacing = max(1, (person_threads - 1) // requests)
    request_indexes = {person_threads - 1 - number * spacing for number in range(requests)}
    plans = []
    for index, ((first, second), count) in enumerate(zip(pairs, message_counts)):
        is_person = first is person
        is_request = is_person and index in request_indexes
        unread = 0
        if is_request:
            unread = count
        elif is_person and index % UNREAD_EVERY == 1:
            unread = min(count, 1 + index % 5)
        # The long conversation is the newest; the rest spread over the past year, newest first.
        last_at = now - timedelta(minutes=1 + index * (525_600 / len(pairs)))
        step = timedelta(seconds=max(1, min(3600, 30 * 86_400 // count)))
        plans.append((next_thread_id + index, first, second, count, unread, is_request, last_at, step))

    # Ids follow time over the whole site, as the send path gives them (one conversation's messages
    # are interleaved with everyone else's): "newest first" by id, as search orders, means what it
    # does on a real site.
    timeline = []
    for index, (_thread_id, _first, _second, count, _unread, _request, last_at, step) in enumerate(plans):
        last, seconds = last_at.timestamp(), step.total_seconds()
        timeline.extend((last - seconds * (count - seq), index, seq) for seq in range(1, count + 1))
    timeline.sort()
    last_message_ids = {}
    for position, (_at, index, seq) in enumerate(timeline):
        if seq == plans[index][3]:
            last_message_ids[index] = first_message_id + position

    thread_writer, member_writer = _Writer(Thread), _Writer(Participant, with_ids=False)
    for index, (thread_id, first, second, count, unread, is_request, last_at, step) in enumerate(plans):
        created = last_at - step * count
        # last_message points ahead at a row written below: the foreign keys are checked at the
        # commit (deferred), when it exists.
        thread_writer.add(
            id=thread_id, kind=Thread.Kind.DIRECT, creator_id=second if is_request else first,
            direct_key=direct_key(first, second), created=created, last_message_at=last_at,
            last_seq=count, last_message_id=last_message_ids[index],
        )
        # The other person has read everything; so has the person, but for their unread messages.
        member_writer.add(
            thread_id=thread_id, user_id=first, joined=created, last_read_seq=count - unread,
            state=Participant.State.REQUEST if is_request else Participant.State.ACCEPTED,
        )
        member_writer.add(thread_id=thread_id, user_id=second, joined=created, last_read_seq=count)
    thread_writer.flush()
    member_writer.flush()

    message_writer = _Writer(Message)
    vocabulary = WORDS
    for position, (_at, index, seq) in enumerate(timeline):
        thread_id, first, second, count, unread, _request, last_at, step = plans[index]
        message_id = first_message_id + position
        # The last `unread` messages (all of a request) come from the other person.
        sender = second if seq > count - unread or not seq % 3 else first
        words = rng.choices(vocabulary, k=3 + seq % 9)
        if message_id % SEEDED_EVERY == 0:
            words[len(words) // 2] = SEEDED_WORD
        message_writer.add(
            id=message_id, thread_id=thread_id, sender_id=sender, body=" ".join(words).capitalize(),
            seq=seq, created=last_at - step * (count - seq),
        )
    message_writer.flush()


class _Writer:
    """INSERTs of one model's rows in batches of BATCH through executemany.

    The columns are every concrete field of the model; a field left out of add() gets its default,
    prepared for the database once (a callable default such as timezone.now is called once: every
    row of the load shares that instant).
    """

    def __init__(self, model, *, with_ids=True):
        self.model = model
        # With ids, rows can point at each other before they are written (a thread at its last message).
        self.fields = [field for field in model._meta.concrete_fields if with_ids or not field.primary_key]
        self.defaults = {
            field.attname: field.get_db_prep_save(field.get_default(), connection)
            for field in self.fields if not field.primary_key
        }
        quote = connection.ops.quote_name
        self.sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in self.fields)}) "
            f"VALUES ({', '.join(['%s'] * len(self.fields))})"
        )
        self.rows = []
        # The given values that need converting (dates, JSON, ...); ints and strings go as they are.
        self.prepared = {}

    def add(self, **values):
        row = []
        for field in self.fields:
            name = field.attname
            if name not in values:
                row.append(self.defaults[name])
                continue
            value = values[name]
            if not isinstance(value, (int, str)) or isinstance(value, bool):
                value = field.get_db_prep_save(value, connection)
            row.append(value)
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self):
        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.rows = []


def _people(partner_count, crowd_count):
    """The person, the people they talk to and the others: (person id, [partner ids], [other ids])."""
    person = User.objects.create_user(username=SCALE_USERNAME, email="scale@scale.invalid", password=DEMO_PASSWORD)
    Profile.objects.create(user=person, display_name="Sam Scale")
    # No usable password for the crowd: hashing one costs ~0.3 s each, and nobody logs in as them.
    unusable = make_password(None)
    names = [f"crowd{number:05d}" for number in range(1, partner_count + crowd_count + 1)]
    users = User.objects.bulk_create(
        [User(username=name, email=f"{name}@scale.invalid", password=unusable) for name in names], batch_size=2000
    )
    Profile.objects.bulk_create(
        [Profile(user_id=user.pk, display_name=f"Crowd {user.username[5:]}") for user in users], batch_size=2000
    )
    ids = [user.pk for user in users]
    return person.pk, ids[:partner_count], ids[partner_count:]


def _distinct_pairs(pool, count):
    """count different pairs of people from pool: neighbours first, then further apart."""
    pairs, size = [], len(pool)
    for distance in range(1, size // 2 + 1):
        for start in range(size):
            if len(pairs) == count:
                return pairs
            if distance * 2 == size and start >= distance:
                break  # the opposite pairs come round twice
            pairs.append((pool[start], pool[(start + distance) % size]))
    if len(pairs) < count:
        raise ValueError(f"{size} people make only {len(pairs)} pairs, {count} needed")
    return pairs


def _message_counts(sizes, rng):
    """Messages per conversation, in the order of the pairs: the long one first, the rest varied, the total exact."""
    rest_threads = sizes["threads"] - 1
    rest_messages = sizes["messages"] - sizes["long_thread"]
    mean = rest_messages / rest_threads
    counts = [max(1, round(mean * rng.uniform(0.2, 1.8))) for _ in range(rest_threads)]
    difference = rest_messages - sum(counts)
    index = 0
    while difference:
        step = 1 if difference > 0 else -1
        if counts[index] + step >= 1:
            counts[index] += step
            difference -= step
        index = (index + 1) % rest_threads
    return [sizes["long_thread"], *counts]


def _reset_sequences():
    # Rows were written with their ids: PostgreSQL's sequences must move past them (SQLite needs nothing).
    statements = connection.ops.sequence_reset_sql(no_style(), [Thread, Message])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
