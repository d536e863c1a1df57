"""Per-hour limits counted in Django's cache (Redis when REDIS_URL is set, so every process shares them).

A limit allows at most `limit` events in any span of `window` seconds. Events are counted in
buckets one window long; an event is allowed while the current and the previous bucket together
hold fewer than `limit`. That is never more than the limit in any rolling window (no double burst
at a bucket edge, unlike a plain fixed window), at the price of sometimes waiting up to two
windows after a burst. Two cache keys per subject, never the database.

A refused event is not counted, so someone who keeps trying is not locked out for longer.
Limits of 0 or less are switched off.
"""

import math
import time

from django.core.cache import cache

PREFIX = "ratelimit"


def now():
    """The limiter's clock (tests move it instead of sleeping)."""
    return time.time()


def _buckets(name, subject, window, moment):
    bucket = int(moment // window)
    current = f"{PREFIX}:{name}:{subject}:{bucket}"
    previous = f"{PREFIX}:{name}:{subject}:{bucket - 1}"
    elapsed = moment - bucket * window
    return current, previous, elapsed


def _seconds_to_wait(current_count, limit, window, elapsed):
    # At the next bucket edge the previous bucket drops out and the current one becomes "previous":
    # an event fits then if the current bucket alone is under the limit, else one window later.
    wait = window - elapsed if current_count < limit else 2 * window - elapsed
    return max(1, math.ceil(wait))


def retry_after(name, subject, *, limit, window):
    """Seconds until one more event is allowed (0: allowed now). Counts nothing."""
    if limit <= 0:
        return 0
    moment = now()
    current, previous, elapsed = _buckets(name, subject, window, moment)
    counts = cache.get_many([current, previous])
    current_count = int(counts.get(current) or 0)
    if current_count + int(counts.get(previous) or 0) < limit:
        return 0
    return _seconds_to_wait(current_count, limit, window, elapsed)


def consume(name, subject, *, limit, window):
    """Count one event if the limit allows it: 0 when counted, else the seconds to wait (nothing counted).

    The increment comes first and is atomic, so two events at the same moment cannot both take
    the last place; the one that overshoots takes its count back.
    """
    if limit <= 0:
        return 0
    moment = now()
    current, previous, elapsed = _buckets(name, subject, window, moment)
    # Each bucket is read while it is current and while it is previous: it lives two windows.
    cache.add(current, 0, timeout=int(2 * window) + 60)
    try:
        current_count = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout=int(2 * window) + 60)
        current_count = 1
    if current_count + int(cache.get(previous) or 0) <= limit:
        return 0
    try:
        cache.decr(current)
    except ValueError:
        pass
    return _seconds_to_wait(current_count - 1, limit, window, elapsed)
