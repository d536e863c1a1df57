"""Fetching attachments: only the uploader before sending, only current participants after;
everyone else, logged out or not, gets exactly what a missing attachment gets."""

import re

import pytest
from django.test import Client

from tests.media import samples

FILE_CSP = "default-src 'none'; sandbox"


@pytest.fixture
def photo(upload, alice):
    return upload(alice, "photo.jpg", samples.jpeg(size=(1600, 900)))


@pytest.fixture
def document(upload, alice):
    return upload(alice, "Résumé été.pdf", samples.pdf())


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def content_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def without_csrf_token(html):
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", html)


def assert_protected(response):
    """The headers every file answer carries: no sniffing, a sandbox, no shared caches."""
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_CSP
    assert response["Cache-Control"].startswith("private")


def urls_of(attachment):
    return [f"/media/{attachment.pk}/", f"/media/{attachment.pk}/thumbnail/"]


# --- Who may fetch ----------------------------------------------------------------------------

def test_before_sending_only_the_uploader_can_fetch_it(photo, alice, bob, carol):
    for url in urls_of(photo):
        assert client_for(alice).get(url).status_code == 200
        assert client_for(bob).get(url).status_code == 404
        assert client_for(carol).get(url).status_code == 404
        assert client_for(None).get(url).status_code == 404


def test_after_sending_every_participant_can_fetch_it_and_nobody_else(photo, conversation, send, alice, bob, carol):
    send(alice, conversation, attachments=[photo])

    for url in urls_of(photo):
        assert client_for(alice).get(url).status_code == 200
        assert client_for(bob).get(url).status_code == 200
        assert client_for(carol).get(url).status_code == 404
        assert client_for(None).get(url).status_code == 404


def test_outsiders_get_exactly_what_a_missing_attachment_gets(photo, conversation, send, alice, carol):
    send(alice, conversation, attachments=[photo])
    missing = photo.pk + 1000

    for user in (carol, None):
        client = client_for(user)
        refused, absent = client.get(f"/media/{photo.pk}/"), client.get(f"/media/{missing}/")
        assert refused.status_code == absent.status_code == 404
        # The same page, byte for byte, apart from the per-response mask of the CSRF token.
        assert without_csrf_token(refused.content) == without_csrf_token(absent.content)
        assert refused.get("Content-Type") == absent.get("Content-Type")


def test_a_member_removed_from_the_group_can_no_longer_fetch_its_files(make_thread, upload, send, alice, bob, dave):
    from inbox.services import remove_participant

    group = make_thread(alice, bob, dave, name="Trip")
    photo = upload(alice, "photo.jpg", samples.jpeg())
    send(alice, group, attachments=[photo])
    assert client_for(dave).get(f"/media/{photo.pk}/").status_code == 200

    remove_participant(user=alice, thread=group, member=dave)

    assert client_for(dave).get(f"/media/{photo.pk}/").status_code == 404
    assert client_for(dave).get(f"/media/{photo.pk}/thumbnail/").status_code == 404
    assert client_for(bob).get(f"/media/{photo.pk}/").status_code == 200


def test_files_sent_in_one_conversation_stay_out_of_another(make_thread, upload, send, alice, bob, carol):
    with_bob = make_thread(alice, bob)
    make_thread(alice, carol)
    photo = upload(alice, "photo.jpg", samples.jpeg())
    send(alice, with_bob, attachments=[photo])

    assert client_for(carol).get(f"/media/{photo.pk}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/999999/",
        "/media/0/",
        "/media/-1/",
        "/media/99999999999999999999999/",
        "/media/abc/",
        "/media/1.0/",
        "/media/%d/../",
        "/media/%d/thumbnail/../../",
        "/media/%d/download/",
        "/uploads/",
    ],
)
def test_guessed_and_tampered_urls_are_not_found(photo, alice, path):
    response = client_for(alice).get(path.replace("%d", str(photo.pk)))

    assert response.status_code == 404


def test_the_upload_folder_is_never_served_directly(photo, alice):
    response = client_for(alice).get(f"/uploads/{photo.file.name}")

    assert response.status_code == 404


def test_a_document_has_no_thumbnail(document, alice):
    assert client_for(alice).get(f"/media/{document.pk}/thumbnail/").status_code == 404


# --- What is answered -------------------------------------------------------------------------

def test_pictures_show_inline_with_protective_headers(photo, alice):
    response = client_for(alice).get(f"/media/{photo.pk}/")

    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert_protected(response)
    assert content_of(response) == photo.file.open("rb").read()


def test_the_thumbnail_is_the_small_copy(photo, alice):
    response = client_for(alice).get(f"/media/{photo.pk}/thumbnail/")

    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == 'inline; filename="photo.webp"'
    assert_protected(response)
    assert content_of(response) == photo.thumbnail.open("rb").read()


def test_a_small_picture_is_its_own_thumbnail(upload, alice):
    small = upload(alice, "icon.png", samples.png())

    response = client_for(alice).get(f"/media/{small.pk}/thumbnail/")

    assert response["Content-Type"] == "image/png"
    assert content_of(response) == small.file.open("rb").read()


def test_documents_download_with_an_encoded_file_name(document, alice):
    response = client_for(alice).get(f"/media/{document.pk}/")

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.pdf"
    assert_protected(response)
    assert content_of(response) == samples.pdf()


@pytest.mark.parametrize(
    "name, data, content_type, disposition",
    [
        ("notes.txt", samples.text(), "text/plain", "attachment"),
        ("table.csv", samples.csv_file(), "text/csv", "attachment"),
        ("letter.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "attachment"),
        ("bundle.zip", samples.plain_zip(), "application/zip", "attachment"),
        ("clip.mp4", samples.iso_media(), "video/mp4", "inline"),
        ("clip.webm", samples.webm(), "video/webm", "inline"),
        ("song.mp3", samples.mp3(), "audio/mpeg", "inline"),
        ("voice.ogg", samples.ogg(), "audio/ogg", "inline"),
        ("voice.m4a", samples.iso_media(b"M4A ", b"soun"), "audio/mp4", "inline"),
        ("party.gif", samples.animated_gif(), "image/gif", "inline"),
    ],
)
def test_only_pictures_video_and_audio_show_inline(upload, alice, name, data, content_type, disposition):
    attachment = upload(alice, name, data)

    response = client_for(alice).get(f"/media/{attachment.pk}/")

    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'{disposition}; filename="{name}"'
    assert_protected(response)


def test_a_quote_in_the_name_cannot_break_out_of_the_header(upload, alice):
    attachment = upload(alice, 'say "hi"; filename=evil.html.txt', b"hello\n")

    response = client_for(alice).get(f"/media/{attachment.pk}/")

    assert response["Content-Disposition"] == 'attachment; filename="say \\"hi\\"; filename=evil.html.txt"'


def test_video_answers_byte_ranges_so_players_can_seek(upload, alice):
    data = samples.iso_media() + bytes(range(256)) * 40
    video = upload(alice, "clip.mp4", data)
    client = client_for(alice)

    first = client.get(f"/media/{video.pk}/", headers={"Range": "bytes=0-9"})
    middle = client.get(f"/media/{video.pk}/", headers={"Range": "bytes=100-"})
    suffix = client.get(f"/media/{video.pk}/", headers={"Range": "bytes=-16"})
    beyond = client.get(f"/media/{video.pk}/", headers={"Range": f"bytes={len(data)}-"})
    whole = client.get(f"/media/{video.pk}/")

    assert (first.status_code, first["Content-Range"], content_of(first)) == (206, f"bytes 0-9/{len(data)}", data[:10])
    assert first["Content-Length"] == "10"
    assert (middle.status_code, content_of(middle)) == (206, data[100:])
    assert (suffix.status_code, content_of(suffix)) == (206, data[-16:])
    assert (beyond.status_code, beyond["Content-Range"]) == (416, f"bytes */{len(data)}")
    assert (whole.status_code, whole["Accept-Ranges"], content_of(whole)) == (200, "bytes", data)
    for response in (first, middle, suffix):
        assert_protected(response)


def test_ranges_are_still_access_checked(upload, alice, bob):
    video = upload(alice, "clip.mp4", samples.iso_media())

    response = client_for(bob).get(f"/media/{video.pk}/", headers={"Range": "bytes=0-9"})

    assert response.status_code == 404


def test_downloads_are_get_and_head_only(photo, alice):
    client = client_for(alice)

    assert client.head(f"/media/{photo.pk}/").status_code == 200
    assert client.post(f"/media/{photo.pk}/").status_code == 405


# --- Queries ----------------------------------------------------------------------------------

def test_a_download_costs_three_queries_however_busy_the_conversation(
    upload, conversation, send, alice, bob, django_assert_num_queries
):
    first = upload(alice, "a.pdf", samples.pdf())
    send(alice, conversation, attachments=[first])
    client = client_for(bob)
    # session, user, the attachment joined with its thread's participants
    with django_assert_num_queries(3):
        content_of(client.get(f"/media/{first.pk}/"))

    for index in range(10):
        more = [upload(alice, f"b{index}-{n}.pdf", samples.pdf()) for n in range(3)]
        send(alice, conversation, attachments=more)

    with django_assert_num_queries(3):
        content_of(client.get(f"/media/{first.pk}/"))
    with django_assert_num_queries(3):
        content_of(client.get(f"/media/{more[-1].pk}/"))
