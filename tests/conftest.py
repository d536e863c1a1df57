"""Shared fixtures: three people, factories, query counting, and the switches for optional services.

alice and bob talk to each other; carol is the outsider every access test checks.
"""

import asyncio
import os

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    # The default hasher costs ~0.3 s a hash on this machine; tests need no key stretching.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Login throttling sleeps for real in production; tests check the delay it asks for instead.
    settings.LOGIN_THROTTLE_DELAY_STEP = 0
    settings.MEDIA_ROOT = settings.DATA_DIR / "test-uploads"


def required(variable):
    return os.environ.get(variable) == "1"


@pytest.fixture(scope="session", autouse=True)
def close_worker_thread_connections(django_db_setup, django_db_blocker):
    """Close the connections opened by database_sync_to_async's thread, so the test database can be dropped.

    It depends on django_db_setup so that it is torn down first, while the database still exists.
    """
    yield
    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Every test writes uploads to its own folder, on the local file backend unless a test says otherwise."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.MEDIA_ROOT},
        },
    }
    yield settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def clear_cache():
    """Throttles and rate limits live in the cache: start every test with none counted."""
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, RedisCache):
        # Only our own keys: cache.clear() would flush the whole Redis database, channel layer included.
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
            client.delete(key)
    else:
        cache.clear()
    yield


@pytest.fixture
def make_user(db):
    from accounts.models import Profile, User

    def make(username, *, password=PASSWORD, display_name="", **fields):
        fields.setdefault("email", f"{username}@example.com")
        user = User.objects.create_user(username=username, password=password, **fields)
        Profile.objects.create(user=user, display_name=display_name)
        return user

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice", display_name="Alice Martin")


@pytest.fixture
def bob(make_user):
    return make_user("bob", display_name="Bob Okafor")


@pytest.fixture
def carol(make_user):
    return make_user("carol", display_name="Carol Diaz")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def assert_max_queries(django_assert_max_num_queries):
    return django_assert_max_num_queries


@pytest.fixture
def redis_url():
    """The Redis server of REDIS_URL; tests that need one skip without it, unless REQUIRE_SERVICES=1."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if required("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("needs Redis: set REDIS_URL (CI sets it)")
    return url


@pytest.fixture
def on_postgresql():
    """Skip unless the suite runs on PostgreSQL (DATABASE_URL), except under REQUIRE_SERVICES=1."""
    if connections["default"].vendor != "postgresql":
        if required("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES=1 but the suite is not running on PostgreSQL (set DATABASE_URL)")
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI sets it)")


@pytest.fixture
def in_memory_channel_layer(settings):
    """The in-memory channel layer, for sync tests that listen on a group themselves.

    Each async_to_sync call in a sync test runs in an event loop of its own, and Redis pub/sub keeps
    subscriptions per loop, so a listener made in one call hears nothing in the next. These tests check
    which event Parley sends; how it crosses processes is the consumer and multiprocess tests' job.
    """
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "inbox.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def no_limits(settings):
    """No send or change rate limits (sending and changing many messages in a test)."""
    settings.SEND_RATE_PER_MINUTE = 0
    settings.CHANGE_RATE_PER_MINUTE = 0
