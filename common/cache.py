"""Django's Redis cache, made to outlive Redis.

What Parley keeps in the cache can all be lost: rate-limit counts, presence, typing throttles, the
automatic-reply settings read on every send (rebuilt from the database). When Redis is down, a
read is a miss and a write is dropped, so pages and sends keep working (and rate limits let
everything through) until it is back, instead of every request failing with ConnectionError.
"""

import logging
import time

from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY = 10.0  # seconds: one log line per outage and process, not one per request
_last_warning = 0.0


def _unreachable(error):
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning("The Redis cache is unreachable (%s): reads miss and writes are dropped", type(error).__name__)


def _or(fallback):
    """Run the client method, answering fallback(*args) when Redis cannot be reached."""
    def wrap(method):
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as error:
                _unreachable(error)
                return fallback(*args)
        guarded.__name__ = method.__name__
        return guarded
    return wrap


Client = django_redis.RedisCacheClient


class ResilientRedisCacheClient(Client):
    add = _or(lambda key, value, timeout: False)(Client.add)
    get = _or(lambda key, default: default)(Client.get)
    set = _or(lambda key, value, timeout: None)(Client.set)
    touch = _or(lambda key, timeout: False)(Client.touch)
    delete = _or(lambda key: False)(Client.delete)
    get_many = _or(lambda keys: {})(Client.get_many)
    has_key = _or(lambda key: False)(Client.has_key)
    # A counter that cannot be reached counts nothing, so every rate limit lets the event through.
    incr = _or(lambda key, delta: 0)(Client.incr)
    set_many = _or(lambda data, timeout: [])(Client.set_many)
    delete_many = _or(lambda keys: None)(Client.delete_many)
    clear = _or(lambda: False)(Client.clear)


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
