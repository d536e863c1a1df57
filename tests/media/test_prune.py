"""prune_uploads: abandoned uploads go after a day, sent ones stay, and running it twice is harmless."""

import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from media import services
from media.models import Attachment
from tests.media import samples


def prune(*args):
    out = StringIO()
    call_command("prune_uploads", *args, stdout=out)
    return out.getvalue()


def age(attachment, hours):
    Attachment.objects.filter(pk=attachment.pk).update(created=timezone.now() - timedelta(hours=hours))


def test_an_abandoned_upload_is_removed_and_sent_ones_stay(
    upload, conversation, alice, send, stored_files, django_capture_on_commit_callbacks
):
    abandoned = upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))
    sent = upload(alice, "sent.pdf", samples.pdf())
    send(alice, conversation, attachments=[sent])
    fresh = upload(alice, "fresh.pdf", samples.pdf())
    for attachment in (abandoned, sent):
        age(attachment, 25)

    with django_capture_on_commit_callbacks(execute=True):
        output = prune()

    assert set(Attachment.objects.values_list("pk", flat=True)) == {sent.pk, fresh.pk}
    assert stored_files() == sorted([sent.file.name, fresh.file.name])
    assert f"Removed unsent upload {abandoned.pk}: image," in output
    assert "by alice" in output
    assert "wide.jpg" not in output  # names are the sender's private text
    assert output.strip().endswith("Pruned 1 unsent upload (" + services.describe_bytes(abandoned.size)
                                   + ") and 0 orphaned files.")


def test_running_it_twice_removes_nothing_more(upload, alice, stored_files, django_capture_on_commit_callbacks):
    abandoned = upload(alice, "a.pdf", samples.pdf())
    age(abandoned, 30)
    with django_capture_on_commit_callbacks(execute=True):
        prune()

    with django_capture_on_commit_callbacks(execute=True):
        output = prune()

    assert output == "Pruned 0 unsent uploads (0 bytes) and 0 orphaned files.\n"
    assert stored_files() == []


def test_the_age_is_configurable(upload, alice, django_capture_on_commit_callbacks):
    upload_two_hours_old = upload(alice, "a.pdf", samples.pdf())
    age(upload_two_hours_old, 2)

    with django_capture_on_commit_callbacks(execute=True):
        assert "Pruned 0 unsent uploads" in prune()
        assert "Pruned 1 unsent upload " in prune("--hours", "1")


def test_old_stored_files_without_a_row_are_swept_and_recent_ones_kept(upload, alice, stored_files, isolated_storage):
    kept = upload(alice, "a.pdf", samples.pdf())
    old_orphan = default_storage.save("attachments/2020/01/" + "a" * 32 + ".pdf", ContentFile(b"%PDF-1.4 left over"))
    new_orphan = default_storage.save(services.storage_key("pdf"), ContentFile(b"%PDF-1.4 being uploaded"))
    two_days_ago = time.time() - 2 * 86400
    os.utime(isolated_storage / old_orphan, (two_days_ago, two_days_ago))
    os.utime(isolated_storage / kept.file.name, (two_days_ago, two_days_ago))

    output = prune()

    assert f"Removed stored file without an attachment: {old_orphan}" in output
    assert stored_files() == sorted([kept.file.name, new_orphan])


@pytest.mark.django_db(transaction=True)
def test_pruning_for_real_deletes_files_after_commit(make_user, stored_files):
    alice = make_user("alice")
    abandoned = services.store_upload(
        owner=alice, uploaded_file=ContentFile(samples.pdf(), name="a.pdf")
    )
    age(abandoned, 48)

    prune()

    assert Attachment.objects.count() == 0
    assert stored_files() == []
