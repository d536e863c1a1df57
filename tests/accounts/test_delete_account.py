"""Deleting one's account: gone for good as far as others can tell, while their conversations stay whole."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import services as accounts_services
from accounts.models import Follow, Profile, User
from inbox import services as inbox
from inbox.models import Message, Reaction
from media import services as media_services
from moderation import services as moderation
from tests.inbox.conftest import make_thread, make_user  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_limits")]


@pytest.fixture
def talk(make_thread, alice, bob, carol):
    """bob wrote in a 1:1 with alice (one with a file) and in a group; alice reported one of his messages."""
    direct = make_thread(alice, bob)
    group = make_thread(alice, bob, carol)
    upload = media_services.store_upload(owner=bob, uploaded_file=SimpleUploadedFile("plan.txt", b"the plan\n"))
    inbox.send_message(sender=alice, thread=direct, body="hi bob")
    rude = inbox.send_message(sender=bob, thread=direct, body="something rude")[0]
    inbox.send_message(sender=bob, thread=direct, body="", attachment_ids=[upload.pk])
    inbox.send_message(sender=alice, thread=direct, body="bye")
    inbox.send_message(sender=bob, thread=group, body="group words")
    inbox.react(user=bob, thread=direct, seq=1, emoji="❤️")
    report, _ = moderation.report_message(reporter=alice, message_id=rude.pk, reason="harassment")
    Follow.objects.create(follower=alice, followed=bob)
    return direct, group, upload.file.name, report


def test_deleting_empties_the_account_and_its_messages_but_keeps_every_seq(talk, alice, bob, django_capture_on_commit_callbacks):
    direct, group, stored, report = talk
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.delete_account(user=bob)
    bob = User.objects.select_related("profile").get(pk=bob.pk)
    assert (bob.username, bob.email, bob.is_active, bob.has_usable_password()) == (f"deleted-{bob.pk}", "", False, False)
    assert bob.display_name == "Deleted account" and bob.profile.bio == ""
    assert not default_storage.exists(stored)
    assert not Reaction.objects.exists() and not Follow.objects.exists()
    assert list(Message.objects.filter(thread=direct).order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert not Message.objects.filter(sender=bob).exclude(body="").exists()
    # alice's conversation is whole and syncs from anywhere without a gap
    page = inbox.messages_page(thread=direct, viewer=alice)
    assert [m.body for m in page] == ["hi bob", "", "", "bye"]
    assert [m.seq for m in inbox.messages_after(user=alice, thread=direct, after_seq=0)] == [1, 2, 3, 4]
    html = Client()
    html.force_login(alice)
    shown = html.get(f"/inbox/{direct.pk}/").content.decode()
    assert "Message from a deleted account" in shown and "Deleted account" in shown and "something rude" not in shown
    report.refresh_from_db()
    assert "something rude" in str(report.snapshot)  # the report keeps its own copy
    assert not Client().login(username=f"deleted-{bob.pk}", password="x")


def test_the_settings_page_asks_for_the_password(alice, client):
    from tests.conftest import PASSWORD

    client.force_login(alice)
    assert "Delete my account" in client.get("/settings/delete/").content.decode()
    wrong = client.post("/settings/delete/", {"password": "wrong"})
    assert wrong.status_code == 400 and User.objects.get(pk=alice.pk).is_active
    response = client.post("/settings/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert Profile.objects.get(user=alice).deleted_at is not None


def test_staff_deleting_an_account_in_the_admin_goes_through_the_same_service(talk, bob, make_user):
    admin_user = make_user("boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    direct, _group, _stored, _report = talk
    response = client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert User.objects.filter(pk=bob.pk, is_active=False, username=f"deleted-{bob.pk}").exists()
    assert Message.objects.filter(thread=direct).count() == 4
