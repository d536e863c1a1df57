"""Conversations in the admin: who, how many, when, and never what was said."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.models import Message, Thread
from inbox.services import send_message

pytestmark = pytest.mark.django_db

SECRET = "my bank PIN is 4921"


@pytest.fixture
def staff_client(client, make_user):
    staff = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_messages_have_no_admin_of_their_own():
    assert Message not in admin.site._registry
    assert Thread in admin.site._registry


def test_the_list_shows_people_counts_and_dates_but_no_bodies(staff_client, make_thread, alice, bob, carol):
    thread = make_thread(alice, bob, carol, name="Trip")
    send_message(sender=bob, thread=thread, body=SECRET)
    page = staff_client.get("/admin/inbox/thread/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "alice, bob, carol" in html and "Trip" in html
    assert SECRET not in html and "created the group" not in html


def test_a_conversation_page_shows_members_but_no_bodies(staff_client, make_thread, alice, bob):
    thread = make_thread(alice, bob)
    send_message(sender=alice, thread=thread, body=SECRET)
    page = staff_client.get(f"/admin/inbox/thread/{thread.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "alice" in html and "bob" in html
    assert SECRET not in html
    assert "/admin/inbox/message/" not in html


def test_staff_cannot_add_edit_or_delete_conversations_here(staff_client, make_thread, alice, bob):
    thread = make_thread(alice, bob)
    assert staff_client.get("/admin/inbox/thread/add/").status_code == 403
    assert staff_client.post(f"/admin/inbox/thread/{thread.pk}/change/", {"name": "x"}).status_code == 403
    assert staff_client.post(f"/admin/inbox/thread/{thread.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Thread.objects.filter(pk=thread.pk, name="").exists()


def test_the_list_costs_the_same_queries_for_1_or_10_conversations(staff_client, make_thread, make_user, alice):
    make_thread(alice, make_user("friend0"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get("/admin/inbox/thread/").status_code == 200
        return len(queries)

    one = count()
    for n in range(1, 10):
        make_thread(alice, make_user(f"friend{n}"), make_user(f"other{n}"))
    assert count() == one
