"""Counters in Django's cache (Redis when REDIS_URL is set, so every daphne process shares them).

They never touch the database: a flooding socket is refused at the price of a cache round trip,
and the database thread stays free for everyone else.
"""

import time

from django.conf import settings
from django.core.cache import cache


def allow_send(user_id):
    """Count one send for the user in the current minute; False once SEND_RATE_PER_MINUTE is used up.

    A fixed one-minute window: at most twice the limit can pass around a window edge, which is
    fine for a flood guard and costs one or two cache calls instead of a list per user.
    The counter lives two minutes, so it never expires while its own minute still counts.
    """
    return _count_in_minute("send", user_id, settings.SEND_RATE_PER_MINUTE)


def allow_change(user_id):
    """Count one change to a sent message (a reaction, an edit, an unsend, a hide) in the current
    minute, as allow_send counts sends; False once CHANGE_RATE_PER_MINUTE is used up."""
    return _count_in_minute("change", user_id, settings.CHANGE_RATE_PER_MINUTE)


def _count_in_minute(counter, user_id, limit):
    if limit <= 0:
        return True
    window = int(time.time() // 60)
    key = f"inbox:{counter}:{user_id}:{window}"
    try:
        count = cache.incr(key)
    except ValueError:  # the first send of this window
        # add() only creates a missing counter: of two first sends at once, one adds and one counts.
        if cache.add(key, 1, timeout=120):
            return True
        count = cache.incr(key)
    return count <= limit


def seconds_to_next_send_window():
    """When allow_send counts afresh: the start of the next one-minute window (a form's Retry-After)."""
    return 60 - int(time.time()) % 60


def first_in(key, seconds):
    """True the first time key is seen within the given seconds (an atomic cache add)."""
    return cache.add(f"inbox:once:{key}", 1, timeout=seconds)
