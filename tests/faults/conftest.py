"""Fault tests: Parley against engines that fail under it.

Each test starts what it breaks (its own redis-server, its own daphne processes, its own PostgreSQL
cluster) on free loopback ports, so that it can stop, kill or restart them without touching the
machine's shared services. They run on PostgreSQL (CI's second pass) and skip elsewhere, unless
REQUIRE_SERVICES=1, where a missing engine fails the run.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from tests.conftest import required

LOOPBACK = "127.0.0.1"
REDIS_CACHE_BACKEND = "common.cache.RedisCache"

@pytest.fixture(autouse=True)
def faults_run_on_postgresql(on_postgresql):
    """The faults are those of the scaled-out layout: PostgreSQL, Redis and several daphne processes."""


def free_port():
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def listening(port):
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.2):
        return True
    return False


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: stop() and start() it at will."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self):
        assert self.process is None, "already running"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: listening(self.port), 10, f"redis-server on port {self.port}")

    def stop(self):
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        if required("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES=1 but redis-server is not installed")
        pytest.skip("needs redis-server on the PATH (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def on_redis_layer(settings, private_redis):
    """The test's settings (inherited by forked daphne processes) on the private Redis: channel layer and cache."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "inbox.layers.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [private_redis.url], "prefix": "parley-faults:asgi"},
    }}
    settings.CACHES = {"default": {
        "BACKEND": REDIS_CACHE_BACKEND, "LOCATION": private_redis.url, "KEY_PREFIX": "parley-faults:cache",
    }}
    channel_layers.backends.clear()
    yield private_redis
    channel_layers.backends.clear()
