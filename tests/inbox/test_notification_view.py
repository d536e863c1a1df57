"""GET /inbox/<id>/notification/: may a new message here show a browser notification (static/js/browser_notifications.js)."""

import pytest
from django.test import Client

from inbox.services import remove_participant, set_muted

pytestmark = pytest.mark.django_db


def url(thread):
    return f"/inbox/{thread.pk}/notification/"


def test_a_participant_is_told_to_notify_and_nothing_is_cached(alice_client, alice, bob, make_thread, django_assert_num_queries):
    thread = make_thread(bob, alice)
    # session, user, the participant row (access and muted flag at once)
    with django_assert_num_queries(3):
        response = alice_client.get(url(thread))
    assert response.status_code == 200
    assert response.json() == {"notify": True}
    assert response["Cache-Control"] == "private, no-store"


def test_a_muted_conversation_does_not_notify(alice_client, alice, bob, make_thread):
    thread = make_thread(bob, alice)
    set_muted(user=alice, thread=thread, muted=True)
    assert alice_client.get(url(thread)).json() == {"notify": False}
    # Muting is one person's: Bob is still told.
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(url(thread)).json() == {"notify": True}


def test_an_outsider_and_a_missing_conversation_get_the_same_404(client, alice, bob, carol, make_thread):
    thread = make_thread(alice, bob)
    client.force_login(carol)
    outsider = client.get(url(thread))
    missing = client.get(f"/inbox/{thread.pk + 1000}/notification/")
    assert outsider.status_code == missing.status_code == 404


def test_a_removed_member_gets_404(client, alice, bob, carol, make_thread):
    group = make_thread(alice, bob, carol, name="Trip")
    remove_participant(user=alice, thread=group, member=carol)
    client.force_login(carol)
    assert client.get(url(group)).status_code == 404


def test_logged_out_is_sent_to_log_in(client, alice, bob, make_thread):
    response = client.get(url(make_thread(alice, bob)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_only_get_is_answered(alice_client, alice, bob, make_thread):
    assert alice_client.post(url(make_thread(alice, bob))).status_code == 405
