"""Attaching uploads to a message, the JSON that describes them, and deleting their files."""

import json

import pytest
from django.db import transaction

from inbox import services as inbox_services
from media import services
from media.models import Attachment
from tests.media import samples


@pytest.fixture
def message(conversation, alice):
    from inbox.services import send_message

    sent, _created = send_message(sender=alice, thread=conversation, body="Photos from Sunday")
    return sent


def test_attaching_links_the_uploads_to_the_message_in_upload_order(upload, alice, message):
    first = upload(alice, "a.jpg", samples.jpeg())
    second = upload(alice, "b.pdf", samples.pdf())

    attached = services.attach_to_message(owner=alice, attachment_ids=[str(second.pk), first.pk], message=message)

    assert attached == [first, second]
    assert list(message.attachments.order_by("pk")) == [first, second]


def test_repeated_ids_count_once(upload, alice, message):
    photo = upload(alice, "a.jpg", samples.jpeg())

    assert services.attach_to_message(owner=alice, attachment_ids=[photo.pk, photo.pk], message=message) == [photo]


def test_no_ids_attach_nothing(alice, message):
    assert services.attach_to_message(owner=alice, attachment_ids=[], message=message) == []


def test_more_than_ten_files_are_refused_and_the_message_is_not_kept(upload, conversation, alice, send):
    from inbox.models import Message

    files = [upload(alice, f"note{n}.txt", f"note {n}\n".encode()) for n in range(11)]

    with pytest.raises(inbox_services.Refused) as refusal:
        send(alice, conversation, attachments=files)

    assert (refusal.value.code, refusal.value.detail) == ("too_many_files", "A message can carry at most 10 files.")
    assert not Message.objects.filter(thread=conversation, body="Here you go").exists()
    assert Attachment.objects.filter(message__isnull=False).count() == 0


def test_ten_files_are_fine(upload, conversation, alice, send):
    files = [upload(alice, f"note{n}.txt", f"note {n}\n".encode()) for n in range(10)]

    message = send(alice, conversation, attachments=files)

    assert message.attachments.count() == 10


def test_someone_elses_upload_cannot_be_attached(upload, conversation, alice, bob, send):
    from inbox.models import Message

    bobs = upload(bob, "secret.pdf", samples.pdf())

    with pytest.raises(inbox_services.Refused) as refusal:
        send(alice, conversation, attachments=[bobs])

    assert refusal.value.code == "attachment_not_found"
    assert Attachment.objects.get(pk=bobs.pk).message is None
    assert not Message.objects.filter(body="Here you go").exists()


def test_an_upload_already_sent_cannot_be_sent_again(upload, conversation, alice, send, make_thread, carol):
    photo = upload(alice, "a.jpg", samples.jpeg())
    first = send(alice, conversation, attachments=[photo])

    with pytest.raises(inbox_services.Refused) as refusal:
        send(alice, make_thread(alice, carol), attachments=[photo])

    assert refusal.value.code == "attachment_not_found"
    assert Attachment.objects.get(pk=photo.pk).message == first


def test_unknown_and_malformed_ids_are_refused(alice, message):
    with pytest.raises(services.Refused) as unknown:
        services.attach_to_message(owner=alice, attachment_ids=[123456], message=message)
    for bad in (["x"], [0], [-3], [True], [1.5j], [2**70]):
        with pytest.raises(services.Refused) as malformed:
            services.attach_to_message(owner=alice, attachment_ids=bad, message=message)
        assert malformed.value.code == "bad_request"

    assert unknown.value.code == "attachment_not_found"


def test_only_the_sender_of_a_message_can_attach_to_it(upload, bob, message):
    bobs = upload(bob, "b.pdf", samples.pdf())

    with pytest.raises(services.Refused):
        services.attach_to_message(owner=bob, attachment_ids=[bobs.pk], message=message)

    assert Attachment.objects.get(pk=bobs.pk).message is None


def test_the_payload_is_the_contract_and_json_safe(upload, alice):
    photo = upload(alice, "photo.jpg", samples.jpeg(size=(64, 48)))
    document = upload(alice, "report.pdf", samples.pdf())

    payloads = json.loads(json.dumps([services.attachment_payload(photo), services.attachment_payload(document)]))

    assert payloads == [
        {"id": photo.pk, "kind": "image", "name": "photo.jpg", "size": photo.size, "url": f"/media/{photo.pk}/",
         "thumbnail_url": f"/media/{photo.pk}/thumbnail/", "width": 64, "height": 48},
        {"id": document.pk, "kind": "document", "name": "report.pdf", "size": len(samples.pdf()),
         "url": f"/media/{document.pk}/", "thumbnail_url": None, "width": None, "height": None},
    ]


def test_the_no_javascript_form_stores_all_files_or_none(alice, assert_nothing_stored,
                                                          django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [SimpleUploadedFile("a.txt", b"fine\n"), SimpleUploadedFile("b.jpg", b"not a picture\n"),
             SimpleUploadedFile("c.pdf", samples.pdf())]

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.Refused) as refusal:
        services.store_uploads(owner=alice, uploaded_files=files)

    assert refusal.value.code == "wrong_kind"
    assert_nothing_stored()


def test_the_no_javascript_form_refuses_more_than_ten_files_before_storing_any(alice, assert_nothing_stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(services.Refused) as refusal:
        services.store_uploads(owner=alice, uploaded_files=[SimpleUploadedFile(f"{n}.txt", b"x\n") for n in range(11)])

    assert refusal.value.code == "too_many_files"
    assert_nothing_stored()


# --- Deleting ---------------------------------------------------------------------------------

def test_deleting_a_message_deletes_its_files_once_committed(
    upload, conversation, alice, send, stored_files, django_capture_on_commit_callbacks
):
    kept = upload(alice, "kept.pdf", samples.pdf())
    photo = upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))
    message = send(alice, conversation, attachments=[photo])
    assert len(stored_files()) == 3

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.delete_files_of(Attachment.objects.filter(message=message))
            message.delete()

    assert Attachment.objects.filter(pk=photo.pk).count() == 0
    assert stored_files() == [kept.file.name]


def test_files_stay_when_the_deletion_rolls_back(upload, conversation, alice, send, stored_files,
                                                  django_capture_on_commit_callbacks):
    photo = upload(alice, "a.jpg", samples.jpeg())
    message = send(alice, conversation, attachments=[photo])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.delete_files_of(Attachment.objects.filter(message=message))
            message.delete()
            raise RuntimeError("changed my mind")

    assert callbacks == []
    assert stored_files() == [photo.file.name]


def test_deleting_an_account_deletes_every_file_it_uploaded(
    upload, conversation, alice, bob, send, stored_files, django_capture_on_commit_callbacks
):
    sent = upload(alice, "a.jpg", samples.jpeg())
    send(alice, conversation, attachments=[sent])
    upload(alice, "draft.pdf", samples.pdf())
    bobs = upload(bob, "b.pdf", samples.pdf())

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.delete_user_files(alice)
            alice.delete()

    assert list(Attachment.objects.all()) == [bobs]
    assert stored_files() == [bobs.file.name]


def test_the_prefetch_loads_every_messages_attachments_in_one_query(
    upload, conversation, alice, send, django_assert_num_queries
):
    from inbox.models import Message

    for round_number in range(3):
        send(alice, conversation, attachments=[upload(alice, f"{round_number}-{n}.txt", b"x\n") for n in range(2)])

    # the messages, then all their attachments
    with django_assert_num_queries(2):
        messages = list(Message.objects.filter(thread=conversation).prefetch_related(services.attachments_prefetch())
                        .order_by("seq"))
        payloads = [[services.attachment_payload(a)["name"] for a in m.files] for m in messages]

    assert payloads == [["0-0.txt", "0-1.txt"], ["1-0.txt", "1-1.txt"], ["2-0.txt", "2-1.txt"]]
