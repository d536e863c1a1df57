"""Rules about accounts: creating them, profiles and avatars, login throttling, closing sockets,
and the social graph: follows, blocks, mutes, who can message whom, and per-hour rate limits.

Views, management commands and the inbox call these; nothing here sees a request or builds a
response. How the inbox wires in the social rules: docs in message_routes and sender_audience.
"""

import hashlib
import ipaddress
import logging
import math
import time
import unicodedata
import uuid
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from common import ratelimit
from common.errors import Refused
from media import services as media_services
from media.images import reencode_image
from media.models import Attachment

from . import signals
from .models import Block, Follow, PersonMute, Profile, User

logger = logging.getLogger(__name__)

# The longest a throttled login waits before its password is even checked.
MAX_LOGIN_DELAY = 4.0


# --- Accounts and profiles ------------------------------------------------------------------


def create_account(*, username, email, password):
    """Create a person's account and their profile in one transaction.

    Raises Refused("taken") when the username or e-mail address was claimed by a concurrent
    sign-up after the form checked it (the database constraints decide).
    """
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            user.profile = Profile.objects.create(user=user)
    except IntegrityError:
        raise Refused("taken", "That username or e-mail address is already in use.") from None
    return user


def get_profile(user):
    """The user's profile, created on first access (createsuperuser and the admin make users without one)."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        user.profile = profile
        return profile


def prepare_avatar(file):
    """Check and re-encode an uploaded avatar; raises media.images.ImageRefused, storing nothing."""
    return reencode_image(
        file,
        max_bytes=settings.AVATAR_MAX_BYTES,
        max_pixels=settings.IMAGE_MAX_PIXELS,
        square_size=settings.AVATAR_SIZE,
    )


def update_profile(*, user, display_name=None, bio=None, avatar=None, remove_avatar=False):
    """Change what is given (None leaves a field as it is): display name, bio, a new or no avatar.

    `avatar` is what prepare_avatar returned. The new file is stored under a random name before
    the row changes; the previous file is deleted only once the new row is committed, so a
    failure at any point leaves the old avatar showing.
    """
    new_name = store_avatar_file(avatar) if avatar is not None else None
    try:
        with transaction.atomic():
            # Locked, so two uploads at once cannot both think they replace the same old file.
            profile = Profile.objects.select_for_update().get(pk=get_profile(user).pk)
            old_name = profile.avatar.name
            changed = []
            if display_name is not None:
                profile.display_name = display_name
                changed.append("display_name")
            if bio is not None:
                profile.bio = bio
                changed.append("bio")
            if new_name or remove_avatar:
                profile.avatar.name = new_name or ""
                changed.append("avatar")
            if changed:
                profile.save(update_fields=changed)
            if old_name and old_name != profile.avatar.name:
                transaction.on_commit(lambda: delete_avatar_file(old_name))
    except BaseException:
        if new_name:
            delete_avatar_file(new_name)
        raise
    user.profile = profile
    return profile


def store_avatar_file(avatar):
    # A random name: never the sender's, and a new URL (?v=) for every new picture.
    return default_storage.save(f"avatars/{uuid.uuid4().hex}.{avatar.format}", avatar.content)


def delete_avatar_file(name):
    try:
        default_storage.delete(name)
    except Exception:
        # A leftover file costs disk space only; the profile already points elsewhere.
        logger.warning("Could not delete the replaced avatar file %s", name, exc_info=True)


PEOPLE_SEARCH_LIMIT = 8


def search_people(*, viewer, query, limit=PEOPLE_SEARCH_LIMIT):
    """People the viewer might pick (to write to, add to a group): active accounts whose username
    starts with the query or whose display name has a word starting with it, case-insensitively,
    exact and followed people first. Never the viewer, nor anyone with a block between them. One
    query, with profiles."""
    words = " ".join((query or "").split()).lstrip("@")[:50]
    if not words or not viewer.is_authenticated:
        return []
    blocked = Block.objects.filter(
        Q(blocker_id=viewer.pk, blocked_id=OuterRef("pk")) | Q(blocker_id=OuterRef("pk"), blocked_id=viewer.pk)
    )
    followed = Follow.objects.filter(follower_id=viewer.pk, followed_id=OuterRef("pk"))
    matches = Q(username__istartswith=words) | Q(profile__display_name__istartswith=words) | Q(
        profile__display_name__icontains=f" {words}"
    )
    people = (
        User.objects.filter(matches, is_active=True).exclude(pk=viewer.pk).exclude(Exists(blocked))
        .select_related("profile")
        .annotate(followed=Exists(followed))
        .order_by("-followed", "username")[: limit * 3]
    )
    ranked = sorted(people, key=lambda person: (person.username.lower() != words.lower(), not person.followed))
    return ranked[:limit]


def get_active_user(username):
    """The active account with exactly this username, its profile preloaded; Refused("not_found") otherwise."""
    user = User.objects.select_related("profile").filter(username=username, is_active=True).first()
    if user is None:
        raise Refused("not_found", "There is no such person on Parley.")
    get_profile(user)
    return user


def deactivate_account(*, user):
    """Switch the account off: its sessions stop working and its open sockets close. Data is kept.

    Django refuses an inactive user's sessions on their next request; the sockets, which checked
    the user once at connect, are told to close after the change is committed.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        transaction.on_commit(lambda: close_user_sockets(user))


def delete_account(*, user):
    """Delete the account for good, as far as others can tell, while their conversations stay whole.

    One transaction: the apps above wipe what they hold (accounts.signals.account_deleted: the
    inbox empties the person's messages, which keep their seqs and show "Deleted account"; the
    public side deletes their posts), then the profile is emptied (name, bio, picture), follows,
    blocks and mutes go, every file they uploaded is deleted once this commits, and the user row
    stays only as a place holder: renamed, without e-mail or usable password, inactive. Reports
    about them keep their own snapshots. The admin's "delete" comes here too (accounts.admin).
    """
    with transaction.atomic():
        signals.account_deleted.send(sender=User, user=user)
        media_services.delete_user_files(user)
        Attachment.objects.filter(owner=user).delete()
        Follow.objects.filter(Q(follower=user) | Q(followed=user)).delete()
        Block.objects.filter(Q(blocker=user) | Q(blocked=user)).delete()
        PersonMute.objects.filter(Q(muter=user) | Q(muted=user)).delete()
        profile = get_profile(user)
        old_avatar = profile.avatar.name if profile.avatar else ""
        Profile.objects.filter(pk=profile.pk).update(
            display_name="", bio="", avatar="", show_activity=False, read_receipts=False, deleted_at=timezone.now(),
        )
        if old_avatar:
            transaction.on_commit(lambda: delete_avatar_file(old_avatar))
        user.username, user.email, user.first_name, user.last_name = f"deleted-{user.pk}", "", "", ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        transaction.on_commit(lambda: close_user_sockets(user))
    return user


def close_user_sockets(user, session_key=None):
    """Close the user's open WebSockets: those of one session, or all of them when session_key is None.

    The inbox consumer listens on group "user.<id>" for "session.revoke" (see inbox.consumers).
    Logging out must not fail because the channel layer is down, so a failure is only logged.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(f"user.{user.pk}", {"type": "session.revoke", "session": session_key})
    except Exception:
        logger.warning("Could not tell user %s's sockets to close", user.pk, exc_info=True)


# --- Login throttling -----------------------------------------------------------------------
#
# Failures are counted per username and per client address in the cache, in buckets one window
# long; the current and the previous bucket are added, so every failure of the last window
# counts. Reaching the limit sets a lock for one window and starts the count afresh: an attacker
# gets at most LIMIT guesses per window, and a real owner is never locked out for good.


@dataclass(frozen=True)
class LoginThrottle:
    delay: float  # seconds to wait before checking the password
    retry_after: int  # seconds until a login may be tried again; 0 when it may be tried now

    @property
    def refused(self):
        return self.retry_after > 0


def now():
    """The throttle's clock (tests move it instead of sleeping)."""
    return time.time()


def sleep(seconds):
    time.sleep(seconds)


def login_delay(failures, *, slow_after, step, cap=MAX_LOGIN_DELAY):
    """How long an attempt waits after `failures` recent failures: nothing, then doubling from `step`, capped."""
    if failures < slow_after or step <= 0:
        return 0.0
    return min(step * 2 ** (failures - slow_after), cap)


def client_address(remote_addr):
    """The throttled address: the IPv4 address, or the /64 network of an IPv6 one (one customer's block)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def throttle_subjects(username, remote_addr):
    """Cache-safe names for the username (whatever its case) and the address, with their limits."""
    # NFKC as Django's username field applies it, so "ａｌｉｃｅ" is checked as the "alice" it logs in as.
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    name_digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    address_digest = hashlib.sha256(client_address(remote_addr).encode()).hexdigest()[:32]
    return [
        (f"login:user:{name_digest}", settings.LOGIN_THROTTLE_LIMIT, settings.LOGIN_THROTTLE_SLOW_AFTER),
        (f"login:ip:{address_digest}", settings.LOGIN_THROTTLE_IP_LIMIT, settings.LOGIN_THROTTLE_IP_LIMIT // 2),
    ]


def bucket_keys(subject, moment):
    bucket = int(moment // settings.LOGIN_THROTTLE_WINDOW)
    return f"{subject}:count:{bucket}", f"{subject}:count:{bucket - 1}"


def recent_failures(values, subject, moment):
    return sum(int(values.get(key) or 0) for key in bucket_keys(subject, moment))


def login_throttle(*, username, remote_addr):
    """Whether this login attempt may go ahead now, and how long it should wait first."""
    moment = now()
    subjects = throttle_subjects(username, remote_addr)
    keys = [f"{subject}:lock" for subject, _, _ in subjects]
    keys += [key for subject, _, _ in subjects for key in bucket_keys(subject, moment)]
    values = cache.get_many(keys)
    retry_after = 0
    delay = 0.0
    for subject, _limit, slow_after in subjects:
        locked_until = values.get(f"{subject}:lock") or 0
        if locked_until > moment:
            retry_after = max(retry_after, math.ceil(locked_until - moment))
        failures = recent_failures(values, subject, moment)
        delay = max(delay, login_delay(failures, slow_after=slow_after, step=settings.LOGIN_THROTTLE_DELAY_STEP))
    return LoginThrottle(delay=delay, retry_after=retry_after)


def record_login_failure(*, username, remote_addr):
    """Count a failed login for the username and the address; lock either one that reaches its limit."""
    moment = now()
    window = settings.LOGIN_THROTTLE_WINDOW
    for subject, limit, _slow_after in throttle_subjects(username, remote_addr):
        current, previous = bucket_keys(subject, moment)
        # Two buckets are read, so each must live two windows.
        cache.add(current, 0, timeout=2 * window)
        try:
            count = cache.incr(current)
        except ValueError:  # expired between add and incr
            cache.set(current, 1, timeout=2 * window)
            count = 1
        count += int(cache.get(previous) or 0)
        if count >= limit:
            cache.set(f"{subject}:lock", moment + window, timeout=window + 60)
            cache.delete_many([current, previous])


def record_login_success(*, username):
    """A correct password clears the username's failures (never the address's: one valid account must
    not reset the count of an address that is guessing at others)."""
    subject = throttle_subjects(username, "")[0][0]
    cache.delete_many([f"{subject}:lock", *bucket_keys(subject, now())])


# --- Social graph: follows, blocks, mutes ---------------------------------------------------
#
# Wherever these take a person, a User or a user id will do: the inbox often holds only ids.
# None of them pushes anything on the channel layer. A block or a mute is in force from its commit
# on, on sockets already open too, because the inbox asks message_routes inside every send and
# sender_audience before every push, instead of remembering anything at connect.

# The one answer to every refused contact, whatever the reason (a block either way, or a
# recipient who only hears from people they follow): the sender must not learn which.
CANNOT_MESSAGE = "You can't message this person"
CANNOT_FOLLOW = "You can't follow this person"

ROUTE_INBOX = "inbox"
ROUTE_REQUEST = "request"


def user_id_of(person):
    return person if isinstance(person, int) else person.pk


def between(first, second, *, left, right):
    """Q for a row linking the two people in either direction (left/right name the two fields)."""
    a, b = user_id_of(first), user_id_of(second)
    return Q(**{left: a, right: b}) | Q(**{left: b, right: a})


def lock_pair(first, second):
    """Lock both accounts' rows, in id order, until the transaction ends.

    follow() and block() take this lock first, so a follow and a block of one pair cannot
    interleave (no follow may survive a block committed beside it). SQLite's IMMEDIATE
    transactions already serialise writers; this is for PostgreSQL.
    """
    ids = sorted({user_id_of(first), user_id_of(second)})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def follow(*, follower, followed):
    """follower follows followed. Returns True when the follow is new, False when it already existed.

    Refused("not_allowed") for oneself; Refused("cannot_follow") with the same neutral words when
    either person blocked the other. One transaction that locks the pair first (see lock_pair).
    Nobody is notified.
    """
    if user_id_of(follower) == user_id_of(followed):
        raise Refused("not_allowed", "You can't follow yourself.")
    with transaction.atomic():
        lock_pair(follower, followed)
        if Block.objects.filter(between(follower, followed, left="blocker_id", right="blocked_id")).exists():
            raise Refused("cannot_follow", CANNOT_FOLLOW)
        _link, created = Follow.objects.get_or_create(
            follower_id=user_id_of(follower), followed_id=user_id_of(followed)
        )
    return created


def unfollow(*, follower, followed):
    """Stop following. Returns True when a follow was removed; unfollowing again changes nothing."""
    deleted, _ = Follow.objects.filter(follower_id=user_id_of(follower), followed_id=user_id_of(followed)).delete()
    return deleted > 0


def block(*, blocker, blocked):
    """blocker blocks blocked. Returns True when the block is new, False when it already existed.

    One transaction: lock the pair, store the block, delete the follows in both directions (as on
    the big platforms; unblocking does not bring them back). From the commit on neither can start
    a conversation with the other, send into their 1:1 or add the other to a group (message_routes),
    and blocker stops receiving blocked's messages in shared groups (sender_audience). Open sockets
    need no push: the inbox checks per frame. The blocked person is not told. person_blocked is
    sent inside the transaction, so what other apps do about the block (the inbox drops the 1:1
    request blocked sent) commits with it.
    """
    blocker_id, blocked_id = user_id_of(blocker), user_id_of(blocked)
    if blocker_id == blocked_id:
        raise Refused("not_allowed", "You can't block yourself.")
    with transaction.atomic():
        lock_pair(blocker, blocked)
        _link, created = Block.objects.get_or_create(blocker_id=blocker_id, blocked_id=blocked_id)
        Follow.objects.filter(between(blocker, blocked, left="follower_id", right="followed_id")).delete()
        signals.person_blocked.send(sender=Block, blocker_id=blocker_id, blocked_id=blocked_id)
    return created


def unblock(*, blocker, blocked):
    """Lift a block. Returns True when one was removed; follows are not restored. Idempotent."""
    deleted, _ = Block.objects.filter(blocker_id=user_id_of(blocker), blocked_id=user_id_of(blocked)).delete()
    return deleted > 0


def mute_person(*, muter, muted):
    """Mute a person: their messages stop counting in muter's badge and notifications. Returns True when new.

    Silent: muted is not told and still sees everything as before; muter still receives and can
    read the messages (sender_audience tells the inbox whom not to notify).
    """
    if user_id_of(muter) == user_id_of(muted):
        raise Refused("not_allowed", "You can't mute yourself.")
    _link, created = PersonMute.objects.get_or_create(muter_id=user_id_of(muter), muted_id=user_id_of(muted))
    return created


def unmute_person(*, muter, muted):
    """Unmute. Returns True when a mute was removed. Idempotent."""
    deleted, _ = PersonMute.objects.filter(muter_id=user_id_of(muter), muted_id=user_id_of(muted)).delete()
    return deleted > 0


def is_blocked_between(first, second):
    """Whether either person blocked the other (one query)."""
    return Block.objects.filter(between(first, second, left="blocker_id", right="blocked_id")).exists()


def blocked_user_ids(user):
    """Ids of everyone with a block between them and user, in either direction (one query)."""
    user_id = user_id_of(user)
    pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list("blocker_id", "blocked_id")
    return {blocked_id if blocker_id == user_id else blocker_id for blocker_id, blocked_id in pairs}


def ids_blocked_by(user):
    """Ids of the people user blocked (one query): whose messages user must not see in shared groups."""
    return set(Block.objects.filter(blocker_id=user_id_of(user)).values_list("blocked_id", flat=True))


def muted_user_ids(user):
    """Ids of the people user muted (one query): whose messages do not count in user's unread badge."""
    return set(PersonMute.objects.filter(muter_id=user_id_of(user)).values_list("muted_id", flat=True))


def muted_ids_subquery(user_ref):
    """The ids user_ref muted, as a subquery: `sender_id__in=` inside another query (user_ref may be an OuterRef).

    For the inbox's unread counts and badge, which must not count a muted person's messages,
    without a second round trip.
    """
    return PersonMute.objects.filter(muter_id=user_ref).values("muted_id")


def blocked_ids_subquery(user_ref):
    """The ids user_ref blocked, as a subquery (user_ref may be an OuterRef): hidden senders in groups."""
    return Block.objects.filter(blocker_id=user_ref).values("blocked_id")


@dataclass(frozen=True)
class Audience:
    """Who of a message's recipients hears it how (see sender_audience)."""

    hidden: frozenset  # blocked the sender: no push, not counted as unread, not shown to them
    quiet: frozenset  # muted the sender: pushed and shown, but no badge bump or notification


def sender_audience(*, sender, recipient_ids):
    """Which of recipient_ids blocked the sender and which muted them, in one query.

    For the push after a group message: the sender's blockers get nothing, their muters get the
    message without an "unread" bump.
    """
    sender_id = user_id_of(sender)
    recipient_ids = [user_id_of(person) for person in recipient_ids]
    if not recipient_ids:
        return Audience(hidden=frozenset(), quiet=frozenset())
    blockers = (
        Block.objects.filter(blocked_id=sender_id, blocker_id__in=recipient_ids)
        .annotate(kind=Value("hidden"))
        .values_list("blocker_id", "kind")
    )
    muters = (
        PersonMute.objects.filter(muted_id=sender_id, muter_id__in=recipient_ids)
        .annotate(kind=Value("quiet"))
        .values_list("muter_id", "kind")
    )
    found = {"hidden": set(), "quiet": set()}
    for user_id, kind in blockers.union(muters, all=True):
        found[kind].add(user_id)
    return Audience(hidden=frozenset(found["hidden"]), quiet=frozenset(found["quiet"] - found["hidden"]))


# --- Who can message whom -------------------------------------------------------------------


def route_for(*, policy, follows_sender, blocked, accepted):
    """The rule itself, for one recipient: "inbox", "request", or None when refused."""
    if blocked:
        return None
    if accepted or follows_sender or policy == Profile.MessagePolicy.EVERYONE:
        return ROUTE_INBOX
    if policy == Profile.MessagePolicy.FOLLOWED:
        return None
    return ROUTE_REQUEST


def message_routes(*, sender, recipients, accepted=()):
    """Where a message from sender lands for each recipient: {user_id: "inbox" | "request"}.

    The rule: a block in either direction refuses. Otherwise "inbox" when the recipient follows the
    sender, lets everyone in ("Everyone"), or already accepted a conversation with the sender
    (`accepted`: the ids whose membership is not a pending request); "request" under "People I
    follow, and requests from others" (the default); refused under "Only people I follow".

    A refusal covers the whole action (a group start or an add is all or nothing): Refused
    ("cannot_message") for the first refused recipient in the order given, always with the same
    neutral words whatever the reason; for several recipients the words name the person, so the
    sender can take them off the list, and refusal.user_id says who. The sender's own entry, if
    present, is "inbox". One query for any number of recipients.
    """
    sender_id = user_id_of(sender)
    order = list(dict.fromkeys(user_id_of(person) for person in recipients))
    accepted = {user_id_of(person) for person in accepted}
    others = [user_id for user_id in order if user_id != sender_id]
    rows = {}
    if others:
        # One statement: each recipient's policy (none without a profile yet: the default), whether
        # they follow the sender, and whether there is a block either way.
        rows = {
            row[0]: row[1:]
            for row in User.objects.filter(pk__in=others)
            .annotate(
                policy=F("profile__message_policy"),
                follows_sender=Exists(Follow.objects.filter(follower_id=OuterRef("pk"), followed_id=sender_id)),
                blocked=Exists(
                    Block.objects.filter(
                        Q(blocker_id=OuterRef("pk"), blocked_id=sender_id)
                        | Q(blocker_id=sender_id, blocked_id=OuterRef("pk"))
                    )
                ),
            )
            .values_list("pk", "username", "policy", "follows_sender", "blocked")
        }
    routes = {}
    for user_id in order:
        if user_id == sender_id:
            routes[user_id] = ROUTE_INBOX
            continue
        # An id with no account at all is refused like a block: nothing to deliver to.
        username, policy, follows_sender, blocked = rows.get(user_id, ("", None, False, True))
        route = route_for(
            policy=policy or Profile.MessagePolicy.REQUESTS,
            follows_sender=follows_sender,
            blocked=blocked,
            accepted=user_id in accepted,
        )
        if route is None:
            detail = CANNOT_MESSAGE if len(others) == 1 else f"{CANNOT_MESSAGE}: @{username}"
            raise Refused("cannot_message", detail, user_id=user_id)
        routes[user_id] = route
    return routes


def message_route(*, sender, recipient, accepted=False):
    """Where a message from sender to recipient lands: "inbox" or "request" (see message_routes).

    accepted: the recipient already accepted a conversation with the sender; then only a block
    refuses. Raises Refused("cannot_message", CANNOT_MESSAGE), the same words for a block in either
    direction and for "Only people I follow", so the refusal does not reveal the setting. One query.
    """
    recipient_id = user_id_of(recipient)
    return message_routes(sender=sender, recipients=[recipient_id], accepted=[recipient_id] if accepted else ())[
        recipient_id
    ]


def set_message_policy(*, user, policy):
    """Choose who can message user (one of Profile.MessagePolicy). Applies to the next message sent."""
    if policy not in Profile.MessagePolicy.values:
        raise Refused("bad_request", "Choose who can message you from the list.")
    profile = get_profile(user)
    profile.message_policy = policy
    profile.save(update_fields=["message_policy"])
    return profile


def set_sharing(*, user, show_activity, read_receipts):
    """Whether user shows their activity status and sends read receipts (both reciprocal)."""
    profile = get_profile(user)
    profile.show_activity, profile.read_receipts = bool(show_activity), bool(read_receipts)
    profile.save(update_fields=["show_activity", "read_receipts"])
    return profile


def set_theme(*, user, theme):
    """Choose the colours of user's pages (one of User.Theme). The next page drawn uses them."""
    if theme not in User.Theme.values:
        raise Refused("bad_request", "Choose an appearance from the list.")
    user.theme = theme
    user.save(update_fields=["theme"])
    return user


# --- What a viewer sees of a relationship ---------------------------------------------------

FOLLOWS_YOU = "Follows you"
YOU_FOLLOW_THEM = "You follow them"
FOLLOW_EACH_OTHER = "You follow each other"
NO_CONNECTION = "No connection"


def connection_reasons(*, viewer, others):
    """A short text per person for the Requests tab, saying why viewer sees them: {user_id: text}.

    "Follows you", "You follow them", "You follow each other" or "No connection". One query for
    any number of people.
    """
    viewer_id = user_id_of(viewer)
    other_ids = {user_id_of(person) for person in others}
    links = Follow.objects.filter(
        Q(follower_id=viewer_id, followed_id__in=other_ids) | Q(followed_id=viewer_id, follower_id__in=other_ids)
    ).values_list("follower_id", "followed_id")
    follows_viewer, viewer_follows = set(), set()
    for follower_id, followed_id in links:
        if follower_id == viewer_id:
            viewer_follows.add(followed_id)
        else:
            follows_viewer.add(follower_id)
    reasons = {}
    for other_id in other_ids:
        if other_id in follows_viewer and other_id in viewer_follows:
            reasons[other_id] = FOLLOW_EACH_OTHER
        elif other_id in follows_viewer:
            reasons[other_id] = FOLLOWS_YOU
        elif other_id in viewer_follows:
            reasons[other_id] = YOU_FOLLOW_THEM
        else:
            reasons[other_id] = NO_CONNECTION
    return reasons


def connection_reason(*, viewer, other):
    """connection_reasons for one person (one query)."""
    return connection_reasons(viewer=viewer, others=[other])[user_id_of(other)]


@dataclass(frozen=True)
class Relationship:
    """What a profile page shows about a person, seen by one viewer."""

    followers: int
    following: int
    viewer_follows: bool = False
    follows_viewer: bool = False
    viewer_blocked: bool = False  # the viewer blocked this person
    blocked_viewer: bool = False  # this person blocked the viewer
    viewer_muted: bool = False

    @property
    def blocked(self):
        """A block either way: no "Message" or "Follow" button."""
        return self.viewer_blocked or self.blocked_viewer


def active_follow_count(**link):
    """The number of Follow rows matching link (with OuterRef) whose other end is an active account."""
    other = "follower__is_active" if "followed_id" in link else "followed__is_active"
    counted = Follow.objects.filter(**link, **{other: True}).order_by().values(*link).annotate(count=Count("pk"))
    return Coalesce(Subquery(counted.values("count")), 0)


def relationship(*, viewer, person):
    """Follower and following counts of person, and how viewer relates to them, in one query.

    Counts leave deactivated accounts out, like the follower lists. A logged-out viewer relates to
    nobody.
    """
    facts = {
        "followers": active_follow_count(followed_id=OuterRef("pk")),
        "following": active_follow_count(follower_id=OuterRef("pk")),
    }
    viewer_id = user_id_of(viewer) if viewer is not None and getattr(viewer, "is_authenticated", True) else None
    if viewer_id is not None and viewer_id != person.pk:
        facts.update(
            viewer_follows=Exists(Follow.objects.filter(follower_id=viewer_id, followed_id=OuterRef("pk"))),
            follows_viewer=Exists(Follow.objects.filter(follower_id=OuterRef("pk"), followed_id=viewer_id)),
            viewer_blocked=Exists(Block.objects.filter(blocker_id=viewer_id, blocked_id=OuterRef("pk"))),
            blocked_viewer=Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=viewer_id)),
            viewer_muted=Exists(PersonMute.objects.filter(muter_id=viewer_id, muted_id=OuterRef("pk"))),
        )
    return Relationship(**User.objects.filter(pk=person.pk).values(**facts).get())


def follow_list(*, person, direction, viewer=None):
    """The people who follow person ("followers") or whom person follows ("following"), newest first.

    A queryset of Follow rows to paginate, the person to show on each (follower or followed) joined
    with their profile; for a logged-in viewer `viewer_follows` and `blocked` (either
    way) say which button that row gets. Deactivated accounts are left out. Two queries a page
    (count and rows), whatever the number of people.
    """
    if direction == "followers":
        links, other = Follow.objects.filter(followed=person, follower__is_active=True), "follower"
    elif direction == "following":
        links, other = Follow.objects.filter(follower=person, followed__is_active=True), "followed"
    else:
        raise Refused("bad_request", "Choose followers or following.")
    links = links.select_related(f"{other}__profile").order_by("-created", "-pk")
    if viewer is not None and viewer.is_authenticated:
        links = links.annotate(
            viewer_follows=Exists(Follow.objects.filter(follower_id=viewer.pk, followed_id=OuterRef(f"{other}_id"))),
            blocked=Exists(
                Block.objects.filter(
                    Q(blocker_id=viewer.pk, blocked_id=OuterRef(f"{other}_id"))
                    | Q(blocker_id=OuterRef(f"{other}_id"), blocked_id=viewer.pk)
                )
            ),
        )
    return links


def blocked_people(user):
    """The people user blocked, newest first, with their profiles (for the privacy page)."""
    return Block.objects.filter(blocker=user).select_related("blocked__profile").order_by("-created", "-pk")


def muted_people(user):
    """The people user muted, newest first, with their profiles (for the privacy page)."""
    return PersonMute.objects.filter(muter=user).select_related("muted__profile").order_by("-created", "-pk")


# --- Rate limits (common.ratelimit; numbers from settings) --------------------------------

HOUR = 60 * 60


def describe_wait(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def check_new_conversation_rate(user, *, recipients=None):
    """Count one new conversation started by user; Refused("rate_limited") past NEW_CONVERSATIONS_PER_HOUR.

    Only conversations with people who don't follow user count: when recipients are given and
    every one of them follows user, nothing is counted (one query). Call it once it is certain a
    new conversation will be made (no existing 1:1, every route allowed), before creating it.
    """
    if recipients is not None:
        ids = {user_id_of(person) for person in recipients} - {user_id_of(user)}
        followers = Follow.objects.filter(followed_id=user_id_of(user), follower_id__in=ids).count()
        if followers == len(ids):
            return
    wait = ratelimit.consume(
        "conversations", user_id_of(user), limit=settings.NEW_CONVERSATIONS_PER_HOUR, window=HOUR
    )
    if wait:
        raise Refused(
            "rate_limited",
            "You've started many conversations with people who don't follow you. "
            f"Try again in {describe_wait(wait)}.",
            retry_after=wait,
        )


def check_report_rate(user):
    """Count one report by user; Refused("rate_limited") past REPORTS_PER_HOUR."""
    wait = ratelimit.consume("reports", user_id_of(user), limit=settings.REPORTS_PER_HOUR, window=HOUR)
    if wait:
        raise Refused(
            "rate_limited", f"You've sent many reports in a short time. Try again in {describe_wait(wait)}.",
            retry_after=wait,
        )


def signup_subject(remote_addr):
    return hashlib.sha256(client_address(remote_addr).encode()).hexdigest()[:32]


SIGNUPS_REFUSED = "Too many accounts were created from your network in the last hour. Try again in {wait}."


def signup_wait(*, remote_addr):
    """Seconds before this address may create another account (0: now). Counts nothing."""
    return ratelimit.retry_after(
        "signups", signup_subject(remote_addr), limit=settings.SIGNUPS_PER_IP_PER_HOUR, window=HOUR
    )


def count_signup(*, remote_addr):
    """Count one sign-up from this address (IPv6: its /64); Refused("rate_limited") past SIGNUPS_PER_IP_PER_HOUR."""
    wait = ratelimit.consume(
        "signups", signup_subject(remote_addr), limit=settings.SIGNUPS_PER_IP_PER_HOUR, window=HOUR
    )
    if wait:
        raise Refused("rate_limited", SIGNUPS_REFUSED.format(wait=describe_wait(wait)), retry_after=wait)


def password_reset_subjects(email, remote_addr):
    """Cache-safe names for the e-mail address (whatever its case) and the client address."""
    address = unicodedata.normalize("NFKC", email or "").strip().casefold()
    return (
        hashlib.sha256(address.encode()).hexdigest()[:32],
        hashlib.sha256(client_address(remote_addr).encode()).hexdigest()[:32],
    )


def count_password_reset(*, email, remote_addr):
    """Count one password reset request; the seconds to wait when the e-mail address or the client
    address (IPv6: its /64) is over its hourly limit, else 0. Over a limit, nothing may be sent.

    The e-mail address counts whether or not an account uses it, so being limited tells nothing
    about who has an account. An address already over its limit costs the client address nothing.
    """
    email_subject, address_subject = password_reset_subjects(email, remote_addr)
    email_limit = settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR
    wait = ratelimit.retry_after("password_resets:email", email_subject, limit=email_limit, window=HOUR)
    if wait:
        return wait
    wait = ratelimit.consume(
        "password_resets:ip", address_subject, limit=settings.PASSWORD_RESETS_PER_IP_PER_HOUR, window=HOUR
    )
    if wait:
        return wait
    return ratelimit.consume("password_resets:email", email_subject, limit=email_limit, window=HOUR)
