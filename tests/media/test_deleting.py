"""The ways files leave storage with what they belong to: an account deleted in the admin, a message
removed by moderation (inbox.services.remove_message)."""

import pytest

from inbox import services as inbox_services
from media.models import Attachment
from tests.accounts.test_admin import admin_client  # noqa: F401  (fixture)
from tests.media import samples

pytestmark = pytest.mark.django_db


def test_deleting_an_account_in_the_admin_deletes_its_files_once_committed(
    admin_client, upload, send, conversation, alice, bob, stored_files, django_capture_on_commit_callbacks
):
    send(alice, conversation, attachments=[upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))])
    upload(alice, "draft.pdf", samples.pdf())
    bobs = upload(bob, "b.pdf", samples.pdf())
    send(bob, conversation, attachments=[bobs])
    assert len(stored_files()) == 4  # alice's picture and its thumbnail, her draft, bob's document
    # The confirmation lists what goes, as metadata: no words, no file names.
    confirmation = admin_client.get(f"/admin/accounts/user/{alice.pk}/delete/").content.decode()
    assert "Here you go" not in confirmation and "wide.jpg" not in confirmation and "draft.pdf" not in confirmation
    assert "Yes, I’m sure" in confirmation or "Yes, I'm sure" in confirmation

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert list(Attachment.objects.all()) == [bobs]
    assert stored_files() == [bobs.file.name]


def test_deleting_accounts_from_the_admin_list_deletes_all_their_files(
    admin_client, upload, alice, bob, carol, stored_files, django_capture_on_commit_callbacks
):
    upload(alice, "a.pdf", samples.pdf())
    upload(bob, "b.pdf", samples.pdf())
    carols = upload(carol, "c.pdf", samples.pdf())

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/accounts/user/", {
            "action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes",
        })

    assert list(Attachment.objects.all()) == [carols]
    assert stored_files() == [carols.file.name]


def test_removing_a_message_deletes_its_files_and_leaves_the_others(
    upload, send, conversation, alice, stored_files, django_user_model, django_capture_on_commit_callbacks
):
    removed = send(alice, conversation, attachments=[upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))])
    kept = upload(alice, "kept.pdf", samples.pdf())
    send(alice, conversation, attachments=[kept])

    staff = django_user_model.objects.create_user("mod", is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):
        inbox_services.remove_message(message=removed, removed_by=staff)

    assert list(Attachment.objects.all()) == [kept]
    assert stored_files() == [kept.file.name]
