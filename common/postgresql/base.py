"""Django's PostgreSQL backend, checking a persistent connection's health at most once per interval.

With CONN_HEALTH_CHECKS, Django marks the connection "unchecked" in close_if_unusable_or_obsolete,
which runs at the start and end of every request and around every database_sync_to_async call,
and the next cursor then pays a SELECT 1 round trip first (close_if_health_check_failed): one per
WebSocket frame. Here a connection checked less than HEALTH_CHECK_INTERVAL seconds ago (a key of
the DATABASES entry, PARLEY_DB_HEALTH_CHECK_INTERVAL) is trusted. A connection that breaks inside
the interval fails the one query that meets it, with a clean error; Django then notices the error
(errors_occurred) and closes the connection at the end of that request or call, so the next one
reconnects.
"""

import time

from django.db.backends.postgresql import base

DEFAULT_HEALTH_CHECK_INTERVAL = 10.0


class DatabaseWrapper(base.DatabaseWrapper):
    _health_checked_at = None

    def close_if_health_check_failed(self):
        if self.connection is not None and self.health_check_enabled and not self.health_check_done:
            interval = float(self.settings_dict.get("HEALTH_CHECK_INTERVAL", DEFAULT_HEALTH_CHECK_INTERVAL))
            now = time.monotonic()
            if self._health_checked_at is not None and now - self._health_checked_at < interval:
                self.health_check_done = True
                return
            self._health_checked_at = now
        super().close_if_health_check_failed()

    def connect(self):
        super().connect()
        # A new connection is as fresh as a checked one.
        self._health_checked_at = time.monotonic()
