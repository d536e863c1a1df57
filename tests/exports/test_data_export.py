"""Download my data: what the zip holds (mine and what I can see, nothing of others' private data), who may fetch it, for how long."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Follow
from exports import services
from exports.models import DataExport
from inbox import services as inbox
from media import services as media_services
from tests.inbox.conftest import make_thread, make_user  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_limits")]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def built(user, django_capture_on_commit_callbacks):
    """Ask for an export (its job is enqueued after the commit) and build it as the worker would."""
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(user=user)
    assert DBTaskResult.objects.filter(task_path="exports.tasks.build_export_task").exists()
    services.build_export(export.pk)
    export.refresh_from_db()
    assert export.status == "ready", export.status
    with default_storage.open(export.file, "rb") as stored:
        return export, zipfile.ZipFile(io.BytesIO(stored.read()))


def test_the_zip_holds_my_data_and_what_i_can_see_and_nothing_else(make_thread, alice, bob, carol, django_capture_on_commit_callbacks):
    alice.email = "alice@example.com"
    alice.save()
    direct = make_thread(alice, bob)
    photo = media_services.store_upload(owner=alice, uploaded_file=SimpleUploadedFile("notes.txt", b"my notes\n"))
    inbox.send_message(sender=alice, thread=direct, body="mine", attachment_ids=[photo.pk])
    hidden = inbox.send_message(sender=bob, thread=direct, body="hidden for alice")[0]
    inbox.send_message(sender=bob, thread=direct, body="visible")
    inbox.hide_message(user=alice, thread=direct, seq=hidden.seq)
    inbox.hide_message(user=bob, thread=direct, seq=1)  # bob's own "delete for me": not alice's business
    make_thread(bob, carol)
    inbox.send_message(sender=bob, thread=make_thread(bob, carol), body="between bob and carol")
    Follow.objects.create(follower=alice, followed=bob)
    accounts_services.block(blocker=bob, blocked=carol)

    export, archive = built(alice, django_capture_on_commit_callbacks)
    names = archive.namelist()
    assert {"profile.json", "people.json", "conversations.json"} <= set(names)
    assert any(name.startswith("files/") and name.endswith("notes.txt") for name in names)
    profile = json.loads(archive.read("profile.json"))
    assert profile["username"] == "alice" and profile["email"] == "alice@example.com"
    people = json.loads(archive.read("people.json"))
    assert people == {"following": ["bob"], "followers": [], "blocked": [], "muted": []}
    conversations = json.loads(archive.read("conversations.json"))
    assert [conversation["id"] for conversation in conversations] == [direct.pk]
    assert [message["body"] for message in conversations[0]["messages"]] == ["mine", "visible"]
    everything = b"".join(archive.read(name) for name in names)
    assert b"between bob and carol" not in everything and b"hidden for alice" not in everything
    assert b"carol" not in archive.read("people.json")
    (email,) = mail.outbox
    assert email.to == ["alice@example.com"] and "/settings/data/" in email.body


def test_only_its_owner_downloads_it_and_only_for_seven_days(make_thread, alice, bob, django_capture_on_commit_callbacks):
    export, _archive = built(alice, django_capture_on_commit_callbacks)
    url = f"/settings/data/{export.token}/download/"
    response = client_for(alice).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert client_for(bob).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login
    DataExport.objects.filter(pk=export.pk).update(finished=timezone.now() - timedelta(days=8))
    assert client_for(alice).get(url).status_code == 404
    DataExport.objects.filter(pk=export.pk).update(requested=timezone.now() - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.prune_exports() == 1
    assert not default_storage.exists(export.file)


def test_the_page_asks_and_lists(alice, django_capture_on_commit_callbacks):
    client = client_for(alice)
    assert "Download my data" in client.get("/settings/data/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/data/")
    assert response.status_code == 302
    assert "being prepared" in client.get("/settings/data/").content.decode()
    services.build_export(DataExport.objects.get(user=alice).pk)
    assert "Download (" in client.get("/settings/data/").content.decode()
