"""Health probes for load balancers: /healthz (the process answers) and /readyz (what it needs is reachable).

Both are answered by HealthCheckMiddleware, first in MIDDLEWARE, before anything else looks at the
request: no session is read or written, no user is loaded, the host is not checked (a balancer probes
a process by its address, not by the site's name), HTTPS is not enforced (probes come over the
private network), and no request line is logged. The URL patterns in config/urls.py point at the same
views so that the routes have names and keep working should the middleware be taken out.

/readyz checks, in this order and each with a time limit:
  database       SELECT 1 on the connection the process uses (the one thread of database_sync_to_async)
  channel_layer  a group_send to a group nobody is in (a PUBLISH on Redis; no state is left behind)
  cache          a set and a get of one short-lived key
and answers 200 {"status": "ready", ...} or 503 {"status": "unavailable", "failed": [...], ...} with
each check's "ok" or "error". Error details go to the log, never into the response.
"""

import asyncio
import json
import logging
import time

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
CHECK_TIMEOUT_SECONDS = 3.0
PROBE_GROUP = "parley.health"
PROBE_CACHE_KEY = "parley.health"


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def healthz(request=None):
    """The process is up and answering HTTP; nothing else is asked."""
    return _no_store(HttpResponse("ok\n", content_type="text/plain; charset=utf-8"))


def _select_one():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_database():
    try:
        _select_one()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        # A persistent connection the server dropped (a restart) is not an outage: reconnect once.
        connection.close()
        _select_one()


def check_cache():
    token = str(time.monotonic_ns())
    cache.set(PROBE_CACHE_KEY, token, 30)
    if cache.get(PROBE_CACHE_KEY) != token:
        raise RuntimeError("the cache did not return what was just stored")


async def check_channel_layer():
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    await layer.group_send(PROBE_GROUP, {"type": "health.probe"})


def _sync_checks():
    """The database and cache checks, run together in one hop to the database thread."""
    results = {}
    for name, check in (("database", check_database), ("cache", check_cache)):
        try:
            check()
        except Exception as error:  # any failure means "not ready", whatever raised it
            logger.warning("Readiness check %s failed: %s: %s", name, type(error).__name__, error)
            results[name] = False
        else:
            results[name] = True
    return results


async def _channel_layer_ok():
    try:
        await asyncio.wait_for(check_channel_layer(), CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("Readiness check channel_layer failed: %s: %s", type(error).__name__, error)
        return False
    return True


async def _run_checks():
    try:
        sync_results = await asyncio.wait_for(
            sync_to_async(_sync_checks, thread_sensitive=True)(), CHECK_TIMEOUT_SECONDS
        )
    except asyncio.TimeoutError:
        logger.warning("Readiness checks database and cache took over %s s", CHECK_TIMEOUT_SECONDS)
        sync_results = {"database": False, "cache": False}
    channel_layer_ok = await _channel_layer_ok()
    return {
        "database": sync_results["database"],
        "channel_layer": channel_layer_ok,
        "cache": sync_results["cache"],
    }


def _readiness_response(results):
    failed = [name for name, ok in results.items() if not ok]
    body = {
        "status": "unavailable" if failed else "ready",
        "failed": failed,
        "checks": {name: "ok" if ok else "error" for name, ok in results.items()},
    }
    response = HttpResponse(json.dumps(body) + "\n", status=503 if failed else 200, content_type="application/json")
    # Each failed check has logged its own warning; spare the log Django's extra line per 503.
    response._has_been_logged = True
    return _no_store(response)


async def areadyz(request=None):
    return _readiness_response(await _run_checks())


def readyz(request=None):
    """Database, channel layer and cache reachable: 200, or 503 naming what failed."""
    # Under the sync test client or WSGI there is no running loop; async_to_sync gives the checks one.
    return async_to_sync(areadyz)(request)


class HealthCheckMiddleware:
    """Answer /healthz and /readyz before any other middleware sees the request (see the module docstring)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if request.path_info == HEALTH_PATH:
            return healthz(request)
        if request.path_info == READY_PATH:
            return readyz(request)
        return self.get_response(request)

    async def __acall__(self, request):
        if request.path_info == HEALTH_PATH:
            return healthz(request)
        if request.path_info == READY_PATH:
            return await areadyz(request)
        return await self.get_response(request)
