"""Who can reach whom, inside the inbox: routes, message requests, blocks and mutes.

accounts.services holds the social rules themselves (message_routes, sender_audience, the
per-hour limits). This module applies them wherever the inbox opens a door, and holds the
Requests tab's actions:

- Starting a conversation or adding people: every newcomer's route, all or nothing, before
  anything is created (joining_states). A newcomer outside the circle they chose joins as a
  message request; a refused one refuses the whole action.
- Every message into a 1:1, inside the send transaction once the thread row is locked
  (check_direct_send): a block committed a moment earlier refuses it, whatever carries the
  message (the form, an old thread id over the socket, a message of files only). Groups have no
  route check: after a block both stay members, and only what the blocker is shown changes
  (inbox.services.messages_page / messages_after, inbox.events).
- A request gives the sender no read receipts and the recipient no badge, only a requests count;
  Accept moves it into the inbox, Delete out of sight, Block blocks the person who wrote.

Every refusal reads "You can't message this person" (code cannot_message), whatever the reason,
so nobody learns whether they were blocked or the other person only hears from people they follow.
"""

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from accounts import services as accounts_services
from accounts.models import Block, Profile
from common.errors import Refused

from . import events
from .models import NOT_FOUND, Participant, Thread, direct_key, hand_written_sql, thread_id_of

ACCEPTED = Participant.State.ACCEPTED
REQUEST = Participant.State.REQUEST
DELETED = Participant.State.DELETED


def _state_for(route):
    return ACCEPTED if route == accounts_services.ROUTE_INBOX else REQUEST


def joining_states(*, sender, recipients):
    """Where the conversation lands for each person sender brings in: {user_id: Participant.State}.

    Refused("cannot_message") for the whole action when anyone may not be reached (a block
    either way, or "Only people I follow"); for several people the words name the first one.
    One query for any number of people.
    """
    routes = accounts_services.message_routes(sender=sender, recipients=recipients)
    return {user_id: _state_for(route) for user_id, route in routes.items()}


def count_new_conversation(*, creator, others):
    """Count a new conversation against NEW_CONVERSATIONS_PER_HOUR (only one with someone who doesn't follow creator).

    Refused("rate_limited") with retry_after in seconds past the limit. Call it once the
    conversation is certain to be created.
    """
    accounts_services.check_new_conversation_rate(creator, recipients=others)


def check_direct_send(*, sender, thread_id):
    """May sender write into this 1:1, and where does it land for the other person? Returns their state.

    Runs inside the send transaction once the thread row is locked, in a statement of its own, so
    it sees a block, a policy change or an accepted request committed before the lock was granted
    (a statement that waited for the lock would judge its own older snapshot on PostgreSQL). A
    refusal raises Refused("cannot_message") and the transaction rolls back with its seq: nothing
    stored, nothing pushed. An accepted conversation stays open whatever the policy; only a block
    closes it (accounts.services.route_for is the rule).

    The other person's membership follows the message: a deleted request comes back as a request
    (as an archived conversation comes back), and a request whose writer they now follow, or with
    "Everyone" chosen, moves into their inbox. If the conversation was a request for the sender,
    writing accepts it (inbox.services._mark_read_on_write); their other tabs get their new
    requests count after commit. One query, two when the other person's state moves.
    """
    members = _direct_route_facts(sender_id=sender.pk, thread_id=thread_id)
    mine = next((row for row in members if row[0] == sender.pk), None)
    peer = next((row for row in members if row[0] != sender.pk), None)
    if mine is not None and mine[1] != ACCEPTED:
        transaction.on_commit(lambda: events.send_requests_update(user_id=sender.pk))
    if peer is None:  # the other account was deleted: nobody to protect or to route to
        return None
    peer_id, peer_state, policy, follows_sender, blocked = peer
    route = accounts_services.route_for(
        policy=policy or Profile.MessagePolicy.REQUESTS,
        follows_sender=bool(follows_sender),
        blocked=bool(blocked),
        accepted=peer_state == ACCEPTED,
    )
    if route is None:
        raise Refused("cannot_message", accounts_services.CANNOT_MESSAGE)
    state = _state_for(route)
    if state != peer_state:
        Participant.objects.filter(thread_id=thread_id, user_id=peer_id, state=peer_state).update(state=state)
    return state


def _direct_route_facts(*, sender_id, thread_id):
    """Both members of a 1:1: (user_id, state, message policy, follows the sender, block either way).

    One hand-written statement: it runs on every 1:1 send, where building the ORM's version of it
    would cost more than running it. The facts are the ones accounts.services.message_routes reads.
    """
    sql = hand_written_sql(
        "SELECT p.user_id, p.state, pr.message_policy, "
        "EXISTS (SELECT 1 FROM {follow} f WHERE f.follower_id = p.user_id AND f.followed_id = %(sender)s), "
        "EXISTS (SELECT 1 FROM {block} b WHERE (b.blocker_id = p.user_id AND b.blocked_id = %(sender)s) "
        "OR (b.blocker_id = %(sender)s AND b.blocked_id = p.user_id)) "
        "FROM {member} p LEFT JOIN {profile} pr ON pr.user_id = p.user_id WHERE p.thread_id = %(thread)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"sender": sender_id, "thread": thread_id})
        return cursor.fetchall()


# --- The Requests tab -------------------------------------------------------------------------


def request_writer(*, thread, others):
    """Who a request is from: the other person of a 1:1; whoever started a group (else its longest-standing member).

    others: the other members' Participant rows with users loaded (no query).
    """
    people = [member.user for member in others]
    starter = next((person for person in people if person.pk == thread.creator_id), None)
    return starter or (people[0] if people else None)


def describe_request(*, viewer, thread, membership, others):
    """For a conversation page: {"person": the writer, "reason": why viewer sees them} when it is a
    request (or a deleted one) for viewer (membership), else None. One query, none for an accepted one."""
    if membership.state == ACCEPTED:
        return None
    writer = request_writer(thread=thread, others=others)
    if writer is None:
        return None
    return {"person": writer, "reason": accounts_services.connection_reason(viewer=viewer, other=writer)}


def describe_requests(*, viewer, memberships):
    """Set .writer (request_writer) and .reason ("Follows you", "No connection", ...) on each request row.

    The rows come from inbox.services.inbox_page, with the members prefetched: one query for the
    whole page (connection_reasons), none per row.
    """
    memberships = list(memberships)
    for membership in memberships:
        membership.writer = request_writer(thread=membership.thread, others=membership.others)
    writers = {membership.writer.pk for membership in memberships if membership.writer}
    reasons = accounts_services.connection_reasons(viewer=viewer, others=writers) if writers else {}
    for membership in memberships:
        membership.reason = reasons.get(membership.writer.pk) if membership.writer else None
    return memberships


def accept_request(*, user, thread):
    """Move a message request into the user's inbox. True if it was a request (or a deleted one).

    From now on the sender sees the user's read marks: the read mark moves to the newest message
    and, after commit, every member gets "read" ("Seen"), and the user's own sockets their new
    badge and requests counts. Accepting an accepted conversation changes nothing.
    """
    thread_id = thread_id_of(thread)
    with transaction.atomic():
        members = list(
            Participant.objects.filter(thread_id=thread_id).values_list("user_id", "state", "last_read_seq", "thread__last_seq")
        )
        mine = next((member for member in members if member[0] == user.pk), None)
        if mine is None:
            raise Refused("not_found", NOT_FOUND)
        _user_id, state, previous, last_seq = mine
        if state == ACCEPTED:
            return False
        Participant.objects.filter(thread_id=thread_id, user=user).update(
            state=ACCEPTED, last_read_seq=Greatest(F("last_read_seq"), Value(last_seq)), marked_unread=False
        )
        member_ids = [member[0] for member in members]
        if last_seq > previous:
            transaction.on_commit(
                lambda: events.broadcast_read(thread_id=thread_id, username=user.username, seq=last_seq, member_ids=member_ids)
            )
        transaction.on_commit(lambda: events.send_unread_update(user_id=user.pk, thread_id=thread_id))
        transaction.on_commit(lambda: events.send_requests_update(user_id=user.pk))
    return True


def _request_ids(threads):
    ids = set()
    for thread in threads:
        try:
            ids.add(thread_id_of(thread))
        except Refused:  # a stray value in a bulk form is not one of their requests: skip it
            continue
    return ids


def delete_requests(*, user, threads):
    """Remove message requests from the user's view (one UPDATE); returns how many were removed.

    user: a User or a user id.
    Only the user's own pending requests move; other ids are ignored, so a bulk form cannot touch
    anything else. The writer is not told; a new message in a deleted 1:1 brings it back as a request.
    """
    ids = _request_ids(threads)
    if not ids:
        return 0
    user_id = accounts_services.user_id_of(user)
    with transaction.atomic():
        deleted = Participant.objects.filter(user_id=user_id, thread_id__in=ids, state=REQUEST).update(state=DELETED)
        if deleted:
            transaction.on_commit(lambda: events.send_requests_update(user_id=user_id))
    return deleted


def forget_request_of_blocked(*, blocker_id, blocked_id, **_signal):
    """When blocker blocks blocked (accounts' person_blocked signal, inside the block's transaction),
    the 1:1 request blocked sent blocker, if one is pending, leaves blocker's Requests as the
    Requests tab's Block would leave it: it could never be answered or written to again. Their
    group requests stay, since other people are in those groups (blocker can still delete them).
    """
    direct = Thread.objects.filter(direct_key=direct_key(blocker_id, blocked_id)).values_list("pk", flat=True)
    delete_requests(user=blocker_id, threads=list(direct))


def block_requests(*, user, threads):
    """Block whoever wrote each of the user's message requests, and delete those requests. Returns the people blocked.

    The writer of a 1:1 is the other person; of a group, whoever started it. All or nothing, in
    one transaction. From the commit on they cannot write to the user (accounts.services.block).
    """
    ids = _request_ids(threads)
    if not ids:
        return []
    with transaction.atomic():
        requests = list(
            Participant.objects.filter(user=user, thread_id__in=ids, state=REQUEST)
            .values_list("thread_id", "thread__kind", "thread__creator_id")
        )
        direct_ids = [thread_id for thread_id, kind, _creator in requests if kind == Thread.Kind.DIRECT]
        writers = {creator for _thread, kind, creator in requests if kind == Thread.Kind.GROUP and creator}
        writers.update(
            Participant.objects.filter(thread_id__in=direct_ids).exclude(user=user).values_list("user_id", flat=True)
        )
        writers.discard(user.pk)
        people = list(get_user_model().objects.filter(pk__in=writers).order_by("username"))
        for person in people:
            accounts_services.block(blocker=user, blocked=person)
        delete_requests(user=user, threads=[thread_id for thread_id, _kind, _creator in requests])
    return people


# --- Blocks as a conversation page shows them -------------------------------------------------


def block_between(viewer, other):
    """Who blocked whom between two people: "you" (viewer blocked other), "them", or None. One query.

    For the frozen 1:1: the page says "You blocked @bob" to the blocker and only the neutral
    words to the blocked person.
    """
    blockers = set(
        Block.objects.filter(
            accounts_services.between(viewer, other, left="blocker_id", right="blocked_id")
        ).values_list("blocker_id", flat=True)
    )
    if viewer.pk in blockers:
        return "you"
    return "them" if blockers else None
