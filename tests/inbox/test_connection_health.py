"""On PostgreSQL, a persistent connection's health check runs once per interval, not once per socket frame."""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection

from common.postgresql.base import DatabaseWrapper
from inbox.models import Participant

pytestmark = pytest.mark.services


@pytest.fixture
def health_checks(monkeypatch):
    """Every SELECT 1 of Django's health check (is_usable talks to psycopg directly, past execute_wrapper)."""
    calls = []
    real = DatabaseWrapper.is_usable

    def counting(self):
        calls.append(self.alias)
        return real(self)

    monkeypatch.setattr(DatabaseWrapper, "is_usable", counting)
    return calls


@pytest.mark.django_db(transaction=True)
def test_twenty_database_calls_cost_at_most_one_health_check(on_postgresql, alice, health_checks):
    # What database_sync_to_async does around each socket frame's service call, and a request around a
    # page: close_old_connections marks the connection unchecked, then the call's first query runs.
    connection.ensure_connection()
    health_checks.clear()
    for _ in range(20):
        close_old_connections()
        assert Participant.objects.filter(user=alice).count() == 0
        close_old_connections()
    # Django's own backend: a SELECT 1 before each of the 20 calls.
    assert len(health_checks) <= 1


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_fails_one_query_and_then_reconnects(on_postgresql, settings):
    connection.ensure_connection()
    backend_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])

    close_old_connections()  # a new request or socket frame starts: inside the interval, no SELECT 1
    with pytest.raises(OperationalError):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    close_old_connections()  # that request ends: the error is noticed and the connection dropped

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != backend_pid
