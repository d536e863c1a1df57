"""Fixtures for attachments: uploads from the samples, conversations, and what storage holds."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from media import services
from media.models import Attachment
# Conversations are built through the inbox services, with the inbox tests' own factory.
from tests.inbox.conftest import dave, make_thread  # noqa: F401  (fixtures)


@pytest.fixture
def stored_files(isolated_storage):
    """Every file under the upload folder, as paths relative to it."""

    def files():
        root = Path(isolated_storage)
        if not root.exists():
            return []
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())

    return files


@pytest.fixture
def assert_nothing_stored(db, stored_files):
    def check():
        assert Attachment.objects.count() == 0
        assert stored_files() == []

    return check


@pytest.fixture
def upload(db):
    """store_upload with bytes and a client file name."""

    def store(owner, name, data, content_type="application/octet-stream"):
        return services.store_upload(owner=owner, uploaded_file=SimpleUploadedFile(name, data, content_type))

    return store


@pytest.fixture
def send(db):
    """Send a message with attachments through the inbox's one send path."""
    from inbox.services import send_message

    def send_with_files(sender, thread, body="Here you go", attachments=()):
        message, _created = send_message(
            sender=sender, thread=thread, body=body, attachment_ids=[attachment.pk for attachment in attachments]
        )
        return message

    return send_with_files


@pytest.fixture
def conversation(make_thread, alice, bob):
    return make_thread(alice, bob)
