"""Files in conversations through the inbox: the one send path, the push, the pages and the form post.

media/ decides what a file is and who may fetch it (tests/media); these tests check that the inbox
sends, shows and pushes what media stored, and that a refused send leaves nothing behind.
"""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inbox import events, services
from inbox.models import Message
from media import services as media_services
from media.models import Attachment
from tests.media import samples

from .test_services import SAVEPOINT

pytestmark = pytest.mark.django_db


@pytest.fixture
def direct(make_thread, alice, bob):
    return make_thread(alice, bob)


def upload(owner, name, data):
    return media_services.store_upload(owner=owner, uploaded_file=SimpleUploadedFile(name, data))


def stored_files(root):
    root = Path(root)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def new_frames(pushes, group):
    return [frame for to, frame in pushes if to == group and frame["type"] == "message.new"]


# --- The send path ------------------------------------------------------------------------------


def test_a_message_can_be_files_only(direct, alice):
    photo = upload(alice, "beach.jpg", samples.jpeg())

    message, created = services.send_message(sender=alice, thread=direct, body="  \n ", attachment_ids=[photo.pk])

    assert created and message.body == "" and message.seq == 1
    assert list(message.attachments.all()) == [photo]


def test_a_message_without_text_or_files_is_still_refused(direct, alice):
    with pytest.raises(services.Refused) as refusal:
        services.send_message(sender=alice, thread=direct, body=" ", attachment_ids=[])
    assert refusal.value.code == "empty_body"


def test_every_participant_hears_the_files_with_the_message_and_the_frame_is_json(
    direct, alice, bob, pushes, django_capture_on_commit_callbacks
):
    photo = upload(alice, "beach.jpg", samples.jpeg(size=(900, 600)))
    document = upload(alice, "Itinéraire.pdf", samples.pdf())

    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(sender=alice, thread=direct, body="Our trip", attachment_ids=[document.pk, photo.pk])

    for person in (alice, bob):
        (frame,) = new_frames(pushes, f"user.{person.pk}")
        assert json.loads(json.dumps(frame)) == frame
        assert frame["message"]["attachments"] == [
            media_services.attachment_payload(photo), media_services.attachment_payload(document)
        ]
        assert frame["message"]["attachments"][0] == {
            "id": photo.pk, "kind": "image", "name": "beach.jpg", "size": photo.size, "url": f"/media/{photo.pk}/",
            "thumbnail_url": f"/media/{photo.pk}/thumbnail/", "width": 900, "height": 600,
        }
        assert f'src="/media/{photo.pk}/thumbnail/"' in frame["html"]
        assert f'href="/media/{document.pk}/" download' in frame["html"]
        assert "Itinéraire.pdf" in frame["html"]


def test_a_message_without_files_says_so_in_its_payload(direct, alice, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(sender=alice, thread=direct, body="just words")

    (frame,) = new_frames(pushes, f"user.{alice.pk}")
    assert frame["message"]["attachments"] == []
    assert 'class="attachments"' not in frame["html"]


def test_someone_elses_upload_refuses_the_whole_message_and_no_seq_is_lost(direct, alice, bob, pushes,
                                                                          django_capture_on_commit_callbacks):
    bobs = upload(bob, "secret.pdf", samples.pdf())
    mine = upload(alice, "mine.pdf", samples.pdf())

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.Refused) as refusal:
        services.send_message(sender=alice, thread=direct, body="look", attachment_ids=[mine.pk, bobs.pk])

    assert refusal.value.code == "attachment_not_found"
    assert pushes == []
    assert not Message.objects.exists()
    assert Attachment.objects.filter(message__isnull=False).count() == 0
    direct.refresh_from_db()
    assert direct.last_seq == 0
    # The refusal kept alice's upload unsent: she can send it now.
    message, _created = services.send_message(sender=alice, thread=direct, body="look", attachment_ids=[mine.pk])
    assert message.seq == 1 and list(message.attachments.all()) == [mine]


@pytest.mark.parametrize("ids, code", [(["x"], "bad_request"), ([0], "bad_request"), ([True], "bad_request"),
                                       ({"id": 1}, "bad_request"), (list(range(1, 12)), "too_many_files")])
def test_bad_attachment_lists_are_refused_before_the_database(direct, alice, ids, code, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(services.Refused) as refusal:
        services.send_message(sender=alice, thread=direct, body="hi", attachment_ids=ids)
    assert refusal.value.code == code


def test_an_outsider_cannot_send_even_their_own_upload_into_a_conversation(direct, carol):
    carols = upload(carol, "c.pdf", samples.pdf())

    with pytest.raises(services.Refused) as refusal:
        services.send_message(sender=carol, thread=direct, body="hi", attachment_ids=[carols.pk])

    assert refusal.value.code == "not_found"
    assert Attachment.objects.get(pk=carols.pk).message is None


def test_retrying_a_client_id_returns_the_original_message_with_its_files(direct, alice, pushes,
                                                                          django_capture_on_commit_callbacks):
    photo = upload(alice, "a.jpg", samples.jpeg())
    with django_capture_on_commit_callbacks(execute=True):
        first, created = services.send_message(sender=alice, thread=direct, body="", client_id="c-1",
                                               attachment_ids=[photo.pk])
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again, created_again = services.send_message(sender=alice, thread=direct, body="", client_id="c-1",
                                                     attachment_ids=[photo.pk])

    assert created and not created_again and again.pk == first.pk
    assert events.message_payload(again)["attachments"] == [media_services.attachment_payload(photo)]
    assert pushes == [] and Message.objects.count() == 1


def test_sending_files_costs_a_fixed_number_of_queries_and_text_costs_none_more(
    direct, alice, no_rate_limit, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # savepoint; seq under the thread lock; the 1:1's route (inbox.social.check_direct_send); read
    # mark + unarchive; insert the message; move the thread's last message; release (unchanged by
    # attachments: a message without files reads none)
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(5 + SAVEPOINT):
        services.send_message(sender=alice, thread=direct, body="no files")
    # the push: the members with read marks, badge totals and profiles; the files are already in hand
    with django_assert_num_queries(1):
        callbacks[0]()

    for count in (1, 10):
        files = [upload(alice, f"{count}-{n}.txt", b"notes\n") for n in range(count)]
        # the same five, plus attach_to_message: savepoint, claim the uploads (UPDATE), read them back, release
        with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(7 + 2 * SAVEPOINT):
            services.send_message(sender=alice, thread=direct, body="files", attachment_ids=[f.pk for f in files])
        with django_assert_num_queries(1):
            callbacks[0]()


def test_a_page_of_history_loads_every_messages_files_in_one_more_query(direct, alice, bob, no_rate_limit,
                                                                       django_assert_num_queries):
    for n in range(30):
        sender = alice if n % 2 else bob
        ids = [upload(sender, f"{n}.txt", b"x\n").pk] if n % 3 == 0 else []
        services.send_message(sender=sender, thread=direct, body=f"message {n}", attachment_ids=ids)

    # the messages with senders and profiles; all their attachments; all their reactions
    with django_assert_num_queries(3):
        page = services.messages_page(thread=direct)
        html = [events.render_message_html(message) for message in page]
        payloads = [events.message_payload(message)["attachments"] for message in page]
    assert sum(len(files) for files in payloads) == 10
    assert sum(chunk.count('class="attachment attachment-document"') for chunk in html) == 10

    # the same for what a reconnecting tab missed
    with django_assert_num_queries(3):
        missed = services.messages_after(user=bob, thread=direct, after_seq=20)
        assert [events.message_payload(message)["attachments"] != [] for message in missed] == [
            (seq - 1) % 3 == 0 for seq in range(21, 31)
        ]


# --- The conversation page ------------------------------------------------------------------------


def test_the_conversation_page_shows_pictures_players_and_document_cards(direct, alice, bob, client):
    photo = upload(alice, "beach.jpg", samples.jpeg(size=(1200, 800)))
    document = upload(alice, "plan.pdf", samples.pdf())
    services.send_message(sender=alice, thread=direct, body="", attachment_ids=[photo.pk, document.pk])
    client.force_login(bob)

    html = client.get(f"/inbox/{direct.pk}/").content.decode()

    assert f'<a class="attachment attachment-image" href="/media/{photo.pk}/"' in html
    assert f'src="/media/{photo.pk}/thumbnail/" width="1200" height="800" alt="beach.jpg"' in html
    assert "plan.pdf" in html and f'href="/media/{document.pk}/" download' in html
    # A message of files only has no empty text bubble.
    assert '<div class="message-bubble"></div>' not in html


def test_the_composer_offers_attach_files_and_posts_multipart(direct, alice_client):
    html = alice_client.get(f"/inbox/{direct.pk}/").content.decode()

    assert 'enctype="multipart/form-data" data-composer' in html
    assert 'title="Attach files"' in html and '<span class="composer-attach-text">Attach files</span>' in html
    assert 'type="file" name="files" multiple' in html
    assert "js/attachments.js" in html and "css/attachments.css" in html


def test_the_inbox_row_previews_a_message_of_files_only(direct, alice, bob, alice_client, client):
    services.send_message(sender=bob, thread=direct, body="", attachment_ids=[upload(bob, "a.pdf", samples.pdf()).pk])

    assert "📎 Attachment" in alice_client.get("/inbox/").content.decode()
    client.force_login(bob)
    assert "You: 📎 Attachment" in client.get("/inbox/").content.decode()


# --- The form post without JavaScript -------------------------------------------------------------


def test_the_form_post_sends_the_chosen_files_with_the_text(direct, alice, alice_client, pushes,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/inbox/{direct.pk}/", {
            "body": "See attached",
            "files": [SimpleUploadedFile("beach.jpg", samples.jpeg()), SimpleUploadedFile("plan.pdf", samples.pdf())],
        })

    assert response.status_code == 302 and response["Location"] == f"/inbox/{direct.pk}/"
    message = Message.objects.get()
    assert message.body == "See attached"
    assert [a.original_name for a in message.attachments.order_by("pk")] == ["beach.jpg", "plan.pdf"]
    assert [f["message"]["attachments"][1]["name"] for f in new_frames(pushes, f"user.{alice.pk}")] == ["plan.pdf"]


def test_the_form_post_carries_uploads_the_script_already_made(direct, alice, alice_client):
    photo = upload(alice, "a.jpg", samples.jpeg())

    response = alice_client.post(f"/inbox/{direct.pk}/", {"body": "", "attachment": [str(photo.pk)]})

    assert response.status_code == 302
    assert Attachment.objects.get(pk=photo.pk).message == Message.objects.get()


def test_a_refused_file_sends_nothing_stores_nothing_and_keeps_the_text(
    direct, alice, alice_client, isolated_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/inbox/{direct.pk}/", {
            "body": "Invoice attached",
            "files": [SimpleUploadedFile("fine.pdf", samples.pdf()), SimpleUploadedFile("invoice.pdf", samples.exe())],
        })

    assert response.status_code == 400
    html = response.content.decode()
    assert "isn&#x27;t supported" in html or "isn't supported" in html
    assert "Invoice attached</textarea>" in html
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert stored_files(isolated_storage) == []


def test_a_refused_message_discards_the_files_it_would_have_carried(
    direct, alice, alice_client, isolated_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/inbox/{direct.pk}/", {
            "body": "x" * (services.MAX_BODY_LENGTH + 1), "files": [SimpleUploadedFile("a.jpg", samples.jpeg())],
        })

    assert response.status_code == 400
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert stored_files(isolated_storage) == []


def test_posting_the_same_form_twice_sends_its_files_once(direct, alice, alice_client, isolated_storage,
                                                         django_capture_on_commit_callbacks):
    def post():
        with django_capture_on_commit_callbacks(execute=True):
            return alice_client.post(f"/inbox/{direct.pk}/", {
                "body": "once", "client_id": "form-1", "files": [SimpleUploadedFile("a.pdf", samples.pdf())],
            })

    assert post().status_code == 302 and post().status_code == 302

    message = Message.objects.get()
    assert Attachment.objects.get().message == message
    assert stored_files(isolated_storage) == [message.attachments.get().file.name]


def test_an_outsider_posting_files_gets_404_and_nothing_is_stored(direct, carol, client, isolated_storage):
    client.force_login(carol)

    response = client.post(f"/inbox/{direct.pk}/", {"body": "hi", "files": [SimpleUploadedFile("a.pdf", samples.pdf())]})

    assert response.status_code == 404
    assert not Attachment.objects.exists() and stored_files(isolated_storage) == []
