"""The Redis cache with Redis down: misses and dropped writes, never an error on a page or a send."""

import pytest
from django.core.cache import cache

from common import ratelimit

# Nothing listens on port 1 of loopback: every connection is refused at once.
UNREACHABLE_REDIS = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = UNREACHABLE_REDIS


def test_reads_miss_and_writes_are_dropped(redis_down):
    cache.set("key", "value")
    assert cache.get("key") is None
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get_many(["key", "other"]) == {}
    assert cache.add("key", 1) is False
    assert cache.has_key("key") is False
    assert cache.incr("key") == 0
    cache.delete("key")
    cache.set_many({"a": 1})
    cache.delete_many(["a"])


def test_rate_limits_let_everything_through(redis_down):
    assert [ratelimit.consume("send", 1, limit=1, window=60) for _ in range(3)] == [0, 0, 0]


@pytest.mark.django_db
def test_pages_and_sends_work(redis_down, alice_client, alice, bob):
    from inbox.services import start_thread

    thread, _created = start_thread(creator=alice, recipients=[bob])
    response = alice_client.post(f"/inbox/{thread.pk}/", {"body": "Redis is down"}, follow=True)
    assert response.status_code == 200
    assert "Redis is down" in response.content.decode()
    assert alice_client.get("/inbox/").status_code == 200
