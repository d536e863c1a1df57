"""When people were last active, from their sockets ("Active now", "Active 5 min ago").

Kept in Django's cache, never the database: Redis when REDIS_URL is set, so every daphne process
and every tab of a person counts towards one "last active" time. A tab reports itself while it
is visible and its person uses it (inbox.js sends "presence" at most once a minute), so a tab
left idle or in the background ages out after ACTIVE_WINDOW by itself, whatever the number of
tabs and processes. Seen only between people who both show their activity (Profile.show_activity).
"""

import time
from datetime import datetime, timezone as dt_timezone

from django.core.cache import cache

ACTIVE_WINDOW = 120  # seconds since the last report that still count as "Active now"
KEPT_FOR = 24 * 3600  # older than a day: nothing is shown
REPORT_EVERY = 50  # seconds: more frequent reports from one person change nothing worth pushing


def _key(user_id):
    return f"presence:{user_id}"


def note_active(user_id, *, now=None):
    """Record that the person is active now; True when this report should be pushed to others
    (the first in REPORT_EVERY seconds, over all their tabs and processes)."""
    now = time.time() if now is None else now
    cache.set(_key(user_id), now, timeout=KEPT_FOR)
    return cache.add(f"presence-pushed:{user_id}", 1, timeout=REPORT_EVERY)


def last_active(user_ids):
    """{user_id: unix time} of those active in the last day (one cache round trip)."""
    found = cache.get_many([_key(user_id) for user_id in user_ids])
    return {int(key.split(":", 1)[1]): value for key, value in found.items()}


def label(seconds_ago):
    """ "Active now", "Active 5 min ago", "Active 3 h ago", or "" after a day."""
    if seconds_ago is None or seconds_ago >= KEPT_FOR:
        return ""
    if seconds_ago < ACTIVE_WINDOW:
        return "Active now"
    minutes = int(seconds_ago // 60)
    if minutes < 60:
        return f"Active {minutes} min ago"
    return f"Active {minutes // 60} h ago"


def visible_between(viewer, person):
    """Whether viewer may see person's activity: both show theirs (reciprocal)."""
    return _shows(viewer) and _shows(person)


def _shows(user):
    profile = getattr(user, "profile", None)
    return profile is None or profile.show_activity


def presence_of(viewer, people, *, now=None):
    """{user_id: {"label", "active", "iso"}} for the people viewer may see: one cache call, and
    the people's profiles as loaded; the viewer's own setting is read (at most one query) only
    when someone was active in the last day."""
    shown = [person for person in people if _shows(person)]
    times = last_active([person.pk for person in shown]) if shown else {}
    if not times or not _shows(viewer):
        return {}
    now = time.time() if now is None else now
    result = {}
    for person in shown:
        moment = times.get(person.pk)
        if moment is None:
            continue
        ago = max(now - moment, 0)
        result[person.pk] = {
            "label": label(ago),
            "active": ago < ACTIVE_WINDOW,
            "iso": datetime.fromtimestamp(moment, tz=dt_timezone.utc).isoformat(),
        }
    return result
