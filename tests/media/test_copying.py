"""copy_attachment: a file sent again (forwarded, a GIF from the picker) is a real copy of its own.

The same tests run on local storage and on the S3 path of django-storages (a local moto server),
because "a real copy" means different calls on each.
"""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError

from media import services
from media.models import Attachment
from tests.media import samples
from tests.media.test_s3 import bucket, moto_endpoint  # noqa: F401  (fixtures)

COPIED_FIELDS = ("kind", "content_type", "size", "width", "height", "original_name", "content_digest")


@pytest.fixture(params=["local", "s3"])
def storage(request):
    """Each test once on the local file backend and once on a fresh private bucket."""
    if request.param == "s3":
        request.getfixturevalue("bucket")
    return request.param


def read(name):
    with default_storage.open(name, "rb") as file:
        return file.read()


def stored_names():
    names = []
    pending = [services.STORAGE_FOLDER]
    while pending:
        folder = pending.pop()
        try:
            folders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        pending.extend(f"{folder}/{sub}" for sub in folders)
        names.extend(f"{folder}/{name}" for name in files)
    return sorted(names)


@pytest.fixture
def sent_gif(storage, upload, conversation, send, alice):
    # Larger than the thumbnail box, so it has an (animated) thumbnail of its own to copy too.
    gif = upload(alice, "dance.gif", samples.animated_gif(size=(640, 320)))
    send(alice, conversation, attachments=[gif])
    gif.refresh_from_db()
    assert gif.thumbnail
    return gif


def test_the_copy_is_a_new_unsent_attachment_of_the_new_owner_with_the_same_description(sent_gif, bob):
    copy = services.copy_attachment(owner=bob, attachment=sent_gif)

    assert copy.pk != sent_gif.pk and copy.owner == bob and copy.message_id is None
    assert {field: getattr(copy, field) for field in COPIED_FIELDS} == {
        field: getattr(sent_gif, field) for field in COPIED_FIELDS
    }
    assert Attachment.objects.get(pk=copy.pk).owner_id == bob.pk
    assert copy.content_digest == hashlib.sha256(read(copy.file.name)).hexdigest()


def test_the_copy_holds_the_same_bytes_under_new_random_keys(sent_gif, bob):
    copy = services.copy_attachment(owner=bob, attachment=sent_gif)

    assert copy.file.name != sent_gif.file.name and copy.thumbnail.name != sent_gif.thumbnail.name
    for name in (copy.file.name, copy.thumbnail.name):
        assert name.startswith("attachments/") and name.endswith(".gif")
    assert copy.thumbnail.name.endswith("-thumb.gif")
    assert read(copy.file.name) == read(sent_gif.file.name)
    assert read(copy.thumbnail.name) == read(sent_gif.thumbnail.name)
    assert len(stored_names()) == 4


def test_deleting_the_originals_files_leaves_the_copy_whole(
    sent_gif, bob, django_capture_on_commit_callbacks
):
    original_bytes = read(sent_gif.file.name)
    copy = services.copy_attachment(owner=bob, attachment=sent_gif)

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_files_of(Attachment.objects.filter(pk=sent_gif.pk))
        Attachment.objects.filter(pk=sent_gif.pk).delete()

    assert stored_names() == sorted([copy.file.name, copy.thumbnail.name])
    assert read(copy.file.name) == original_bytes


def test_a_file_without_thumbnail_is_copied_without_one(storage, upload, alice, bob):
    document = upload(alice, "plan.pdf", samples.pdf())

    copy = services.copy_attachment(owner=bob, attachment=document)

    assert copy.thumbnail.name == "" and copy.file.name.endswith(".pdf")
    assert read(copy.file.name) == samples.pdf()
    assert len(stored_names()) == 2


def test_the_copy_counts_against_the_owners_daily_volume(sent_gif, bob, settings):
    settings.ATTACHMENT_DAILY_BYTES_PER_USER = sent_gif.size * 2
    services.copy_attachment(owner=bob, attachment=sent_gif)
    services.copy_attachment(owner=bob, attachment=sent_gif)

    with pytest.raises(services.Refused) as refused:
        services.copy_attachment(owner=bob, attachment=sent_gif)

    assert refused.value.code == "daily_limit" and refused.value.status == 413
    assert Attachment.objects.filter(owner=bob).count() == 2
    assert len(stored_names()) == 2 + 2 * 2


def test_when_the_row_cannot_be_created_the_copied_files_are_deleted_again(sent_gif, bob, monkeypatch):
    before = stored_names()

    def broken_create(**fields):
        raise IntegrityError("the database said no")

    monkeypatch.setattr(Attachment.objects, "create", broken_create)
    with pytest.raises(IntegrityError):
        services.copy_attachment(owner=bob, attachment=sent_gif)

    assert stored_names() == before
    assert Attachment.objects.filter(owner=bob).count() == 0


class FailingSecondSave:
    """The storage, except that its second save fails (after the first copy was written)."""

    def __init__(self, storage):
        self.storage = storage
        self.saves = 0

    def __getattr__(self, name):
        return getattr(self.storage, name)

    def save(self, name, content, *args, **kwargs):
        self.saves += 1
        if self.saves == 2:
            raise OSError("disk full")
        return self.storage.save(name, content, *args, **kwargs)


def test_a_failing_second_write_deletes_the_first_copy(sent_gif, bob, monkeypatch):
    before = stored_names()
    monkeypatch.setattr(services, "default_storage", FailingSecondSave(default_storage))

    with pytest.raises(OSError):
        services.copy_attachment(owner=bob, attachment=sent_gif)

    assert stored_names() == before
    assert Attachment.objects.filter(owner=bob).count() == 0


def test_copies_for_several_ids_are_all_or_none(sent_gif, upload, make_thread, send, alice, bob, carol):
    elsewhere = upload(carol, "secret.gif", samples.animated_gif())
    send(carol, make_thread(carol, alice), attachments=[elsewhere])
    before = stored_names()

    with pytest.raises(services.Refused) as refused:
        services.copy_attachments_for(owner=bob, attachment_ids=[sent_gif.pk, elsewhere.pk])

    assert refused.value.code == "attachment_not_found"
    assert stored_names() == before and Attachment.objects.filter(owner=bob).count() == 0

    copies = services.copy_attachments_for(owner=bob, attachment_ids=[sent_gif.pk])
    assert [copy.owner for copy in copies] == [bob]


def test_copying_several_files_deletes_the_first_copies_when_a_later_one_is_refused(
    sent_gif, upload, bob, settings, django_capture_on_commit_callbacks
):
    document = upload(bob, "plan.pdf", samples.pdf())
    before = stored_names()
    settings.ATTACHMENT_DAILY_BYTES_PER_USER = document.size + sent_gif.size + 1

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.Refused) as refused:
        services.copy_attachments(owner=bob, attachments=[sent_gif, document])

    assert refused.value.code == "daily_limit"
    assert stored_names() == before
    assert list(Attachment.objects.filter(owner=bob)) == [document]
