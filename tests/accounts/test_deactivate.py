import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

from .test_login import listen_to_user_group, log_in, receive

pytestmark = pytest.mark.django_db


def test_deactivation_page_asks_for_the_password(alice_client):
    html = alice_client.get("/settings/deactivate/").content.decode()
    assert '<label for="id_password">Password</label>' in html
    assert ">Deactivate my account</button>" in html


def test_wrong_password_keeps_the_account(alice_client, alice):
    response = alice_client.post("/settings/deactivate/", {"password": "wrong"})
    assert response.status_code == 200
    assert "That password isn&#x27;t right." in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active


@pytest.mark.usefixtures("in_memory_channel_layer")
def test_deactivation_logs_out_everywhere_and_keeps_the_data(alice_client, alice, django_capture_on_commit_callbacks):
    other_device = Client()
    other_device.force_login(alice)
    layer, channel = listen_to_user_group(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/settings/deactivate/", {"password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "Your account is deactivated and you are logged out everywhere." in response.content.decode()
    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.profile.display_name == "Alice Martin"
    assert alice_client.get("/settings/").status_code == 302
    assert other_device.get("/settings/").status_code == 302
    assert receive(layer, channel) == {"type": "session.revoke", "session": None}
    assert User.objects.filter(username="alice").exists()


def test_deactivated_account_cannot_log_in(client, alice, alice_client):
    alice_client.post("/settings/deactivate/", {"password": PASSWORD})
    assert log_in(client, "alice", PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session


def test_deactivation_needs_login(client):
    assert client.post("/settings/deactivate/", {"password": PASSWORD}).status_code == 302
