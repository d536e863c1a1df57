"""/healthz and /readyz, the load balancer's probes: answered without a session, a host check or a log line."""

import json
from unittest import mock

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from django.db import OperationalError, connection


class UnreachableChannelLayer(InMemoryChannelLayer):
    async def group_send(self, group, message):
        raise ConnectionError("Error connecting to the channel layer's server")


@pytest.fixture
def fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def readiness(response):
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_healthz_answers_200_in_plain_text_without_touching_the_database(client):
    # No db fixture: any database access would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def test_probes_answer_a_balancer_that_uses_the_address_over_plain_http(client, settings, db):
    # A balancer probes each process at its own address; the site's host check and HTTPS redirect are not for it.
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.7:8001")
        assert response.status_code == 200, path
    # Any other page still gets both.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8001").status_code == 400


def test_readyz_is_ready_with_one_query_when_everything_is_up(client, django_assert_num_queries, db):
    # SELECT 1; the channel layer and the cache are not SQL.
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert readiness(response) == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "channel_layer": "ok", "cache": "ok"},
    }
    assert "Set-Cookie" not in response


def test_readyz_names_the_database_when_it_is_down(client, db):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = readiness(response)
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"] == {"database": "error", "channel_layer": "ok", "cache": "ok"}
    assert b"connection refused" not in response.content


def test_readyz_names_the_channel_layer_when_it_is_down(client, settings, fresh_channel_layer, db):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}.UnreachableChannelLayer"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert readiness(response)["failed"] == ["channel_layer"]


def test_readyz_names_the_cache_when_it_is_down(client, settings, db):
    # Nothing listens on port 1 of loopback: a real connection refusal, answered at once. (Django rebuilds
    # its cache handlers whenever CACHES changes, so the next test gets its own cache back.)
    settings.CACHES = {
        "default": {"BACKEND": "common.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert readiness(response)["failed"] == ["cache"]


def test_probes_with_a_session_cookie_neither_read_nor_renew_the_session(alice_client, django_assert_num_queries):
    assert "sessionid" in alice_client.cookies
    with django_assert_num_queries(1):  # SELECT 1 only: no session row, no user
        ready = alice_client.get("/readyz")
    with django_assert_num_queries(0):
        healthy = alice_client.get("/healthz")
    assert ready.status_code == healthy.status_code == 200
    assert "Set-Cookie" not in ready and "Set-Cookie" not in healthy
    assert not ready.cookies and not healthy.cookies


@pytest.mark.django_db(transaction=True)
async def test_probes_answer_on_the_async_path_as_under_daphne(async_client):
    healthy = await async_client.get("/healthz")
    ready = await async_client.get("/readyz")
    assert healthy.status_code == 200 and healthy.content == b"ok\n"
    assert ready.status_code == 200
    assert readiness(ready)["status"] == "ready"
    assert "Set-Cookie" not in ready
