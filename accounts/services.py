"""Rules about accounts: creating them, profiles and avatars, login throttling, closing sockets.

Views and management commands call these; nothing here sees a request or builds a response.
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

from media.images import reencode_image

from .models import Profile, User

logger = logging.getLogger(__name__)

# The longest a throttled login waits before its password is even checked.
MAX_LOGIN_DELAY = 4.0


class Refused(Exception):
    """A business refusal: `code` for programs, `detail` for people."""

    def __init__(self, code, detail):
        super().__init__(detail)
        self.code = code
        self.detail = detail


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
