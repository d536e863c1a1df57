"""Uploading: what is accepted and how it is stored, and every bad input refused with nothing stored."""

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from media import services
from media.models import Attachment
from tests.media import samples

UPLOAD_URL = "/media/upload/"
KEY = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}(-thumb)?\.[a-z0-9]+$")


def post_file(client, name, data, content_type="application/octet-stream"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data, content_type)})


def stored_bytes(attachment):
    with attachment.file.open("rb") as file:
        return file.read()


# --- Accepted -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, data, content_type, kind",
    [
        ("photo.jpg", samples.jpeg(), "image/jpeg", "image"),
        ("drawing.png", samples.png(), "image/png", "image"),
        ("party.gif", samples.animated_gif(), "image/gif", "image"),
        ("sticker.webp", samples.webp(), "image/webp", "image"),
        ("clip.mp4", samples.iso_media(), "video/mp4", "video"),
        ("clip.webm", samples.webm(), "video/webm", "video"),
        ("voice.m4a", samples.iso_media(b"M4A ", b"soun"), "audio/mp4", "audio"),
        ("song.mp3", samples.mp3(), "audio/mpeg", "audio"),
        ("voice.ogg", samples.ogg(), "audio/ogg", "audio"),
        ("voice.webm", samples.webm(track_types=(2,)), "audio/webm", "audio"),
        ("report.pdf", samples.pdf(), "application/pdf", "document"),
        ("letter.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "document"),
        ("sheet.ods", samples.ods(), "application/vnd.oasis.opendocument.spreadsheet", "document"),
        ("bundle.zip", samples.plain_zip(), "application/zip", "document"),
        ("notes.txt", samples.text(), "text/plain", "document"),
        ("money.csv", samples.csv_file(), "text/csv", "document"),
    ],
)
def test_every_accepted_kind_is_stored_under_a_random_key_with_its_detected_type(
    upload, alice, stored_files, name, data, content_type, kind
):
    attachment = upload(alice, name, data, content_type="application/x-anything")

    assert (attachment.kind, attachment.content_type) == (kind, content_type)
    assert attachment.original_name == name
    assert KEY.match(attachment.file.name)
    assert name.rsplit(".", 1)[0] not in attachment.file.name
    assert attachment.owner == alice and attachment.message is None
    assert attachment.file.name in stored_files()
    # The digest is of what was stored (a picture's clean re-encoded copy, anything else as sent).
    assert attachment.content_digest == hashlib.sha256(stored_bytes(attachment)).hexdigest()
    if kind != "image":
        assert stored_bytes(attachment) == data
        assert attachment.size == len(data)
        assert attachment.width is None and attachment.height is None


def test_the_stored_copy_of_a_jpeg_with_gps_exif_has_no_exif_and_is_turned_upright(upload, alice):
    original = samples.jpeg(size=(64, 48), gps=True, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the sample really carries GPS

    attachment = upload(alice, "IMG_0001.jpg", original)

    data = stored_bytes(attachment)
    stored = Image.open(io.BytesIO(data))
    assert dict(stored.getexif()) == {}
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"taken at home" not in data
    # Orientation 6 means "rotate 90°": the stored pixels are upright, so width and height swap.
    assert stored.size == (48, 64)
    assert (attachment.width, attachment.height) == (48, 64)
    assert attachment.size == len(data)


def test_an_animated_gif_keeps_its_frames_and_timing_in_the_copy_and_the_thumbnail(upload, alice):
    attachment = upload(alice, "dance.gif", samples.animated_gif(size=(600, 100), durations=(100, 200, 300)))

    for field in (attachment.file, attachment.thumbnail):
        with field.open("rb") as file:
            image = Image.open(io.BytesIO(file.read()))
        durations = []
        for frame in range(image.n_frames):
            image.seek(frame)
            durations.append(image.info["duration"])
        assert image.format == "GIF"
        assert durations == [100, 200, 300]
        assert image.info["loop"] == 0
    assert Image.open(attachment.thumbnail.open("rb")).size == (480, 80)
    assert (attachment.width, attachment.height) == (600, 100)


def test_a_large_picture_gets_a_thumbnail_and_a_small_one_is_its_own(upload, alice, stored_files):
    large = upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))
    small = upload(alice, "small.png", samples.png(size=(100, 80)))

    assert KEY.match(large.thumbnail.name) and large.thumbnail.name.endswith("-thumb.webp")
    assert Image.open(large.thumbnail.open("rb")).size == (480, 270)
    assert not small.thumbnail
    assert len(stored_files()) == 3


def test_a_still_gif_is_stored_as_png(upload, alice):
    attachment = upload(alice, "still.gif", samples.still_gif())

    assert attachment.content_type == "image/png"
    assert attachment.original_name == "still.png"
    assert stored_bytes(attachment).startswith(b"\x89PNG")


def test_a_complete_png_with_html_glued_behind_is_stored_without_the_html(upload, alice):
    attachment = upload(alice, "trick.png", samples.png() + b"<html><script>alert(1)</script></html>")

    assert b"<script>" not in stored_bytes(attachment)


def test_the_upload_view_answers_the_attachment_json(alice_client, alice):
    response = post_file(alice_client, "photo.jpg", samples.jpeg(size=(64, 48)))

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert response.json() == {
        "id": attachment.pk,
        "kind": "image",
        "name": "photo.jpg",
        "size": attachment.size,
        "url": f"/media/{attachment.pk}/",
        "thumbnail_url": f"/media/{attachment.pk}/thumbnail/",
        "width": 64,
        "height": 48,
    }


def test_a_document_upload_answers_without_thumbnail_or_dimensions(alice_client):
    response = post_file(alice_client, "report.pdf", samples.pdf())

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["thumbnail_url"], body["width"], body["height"]) == ("document", None, None, None)


# --- Names ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "client_name, shown",
    [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\notes.txt", "notes.txt"),
        ("bad\x00na\x07me\x1b[31m.txt", "badname[31m.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.txt"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("page.html", "page.txt"),
        ("README", "README.txt"),
        ("...", "file.txt"),
        ("", "file.txt"),
        ("x" * 400 + ".txt", "x" * 146 + ".txt"),
        ("Résumé – été.TXT", "Résumé – été.TXT"),
    ],
)
def test_client_names_are_display_text_only_and_sanitised(client_name, shown):
    from media import kinds

    assert services.clean_display_name(client_name, kinds.TEXT) == shown


def test_path_traversal_and_control_characters_in_the_name_never_reach_storage(alice_client, stored_files):
    response = post_file(alice_client, "../../evil\x00\u202e\r\n.txt", b"just text\n")

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert KEY.match(attachment.file.name)
    assert stored_files() == [attachment.file.name]
    assert "/" not in attachment.original_name and "\u202e" not in attachment.original_name
    assert not any(ord(char) < 32 for char in attachment.original_name)


def test_a_file_named_like_another_kind_than_its_bytes_is_refused(upload, alice, assert_nothing_stored):
    with pytest.raises(services.Refused) as refusal:
        upload(alice, "holiday.pdf", samples.jpeg())

    assert refusal.value.code == "wrong_kind"
    assert refusal.value.detail.startswith("This file is named like a document, but its contents are a picture.")
    assert_nothing_stored()


def test_a_name_of_the_same_kind_is_corrected_to_what_the_bytes_are(upload, alice):
    assert upload(alice, "scan.jpg", samples.png()).original_name == "scan.png"
    assert upload(alice, "voice.mp4", samples.iso_media(b"M4A ", b"soun")).original_name == "voice.mp4"
    assert upload(alice, "table.txt", samples.csv_file()).original_name == "table.csv"


# --- Refused, with nothing stored ------------------------------------------------------------

@pytest.mark.parametrize(
    "name, data, code, status",
    [
        ("photo.jpg", b"Just some text, honestly.\n", "wrong_kind", 400),
        ("photo.jpg", b"<html><body><script>alert(document.cookie)</script></body></html>", "unsupported_type", 400),
        ("image.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "not_an_image", 400),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "unsupported_type",
         400),
        ("bomb.png", samples.png_bomb(50_000, 50_000), "too_many_pixels", 400),
        ("frames.gif", samples.gif_with_frames(5000), "too_many_frames", 400),
        ("invoice.pdf", samples.exe(), "unsupported_type", 400),
        ("empty.txt", b"", "empty_file", 400),
    ],
    ids=["text renamed jpg", "html renamed jpg", "html after png header", "svg with script", "png bomb",
         "thousands of frames", "exe renamed pdf", "empty"],
)
def test_bad_files_are_refused_with_a_clear_error_and_nothing_stored(
    alice_client, assert_nothing_stored, name, data, code, status
):
    response = post_file(alice_client, name, data, content_type="image/png")

    assert response.status_code == status
    body = response.json()
    assert body["error"] == code
    assert body["detail"] and body["detail"].endswith(".")
    assert_nothing_stored()


def test_the_refusal_messages_name_the_reason(alice_client):
    messages = {
        "bomb.png": post_file(alice_client, "bomb.png", samples.png_bomb()).json()["detail"],
        "frames.gif": post_file(alice_client, "frames.gif", samples.gif_with_frames(5000)).json()["detail"],
        "a.pdf": post_file(alice_client, "a.pdf", samples.exe()).json()["detail"],
    }

    assert messages == {
        "bomb.png": "This picture has too many pixels. The limit is 40 megapixels.",
        "frames.gif": "This animation has too many frames. The limit is 1,000 frames.",
        "a.pdf": "This kind of file isn't supported. Send photos, videos, audio, PDFs, text or Office files.",
    }


def test_an_animation_too_large_to_re_encode_is_refused(alice_client, settings, assert_nothing_stored):
    settings.ATTACHMENT_ANIMATION_MAX_PIXELS = 1000

    response = post_file(alice_client, "dance.gif", samples.animated_gif(size=(24, 16), durations=(100,) * 3))

    assert response.status_code == 400
    assert response.json()["error"] == "animation_too_large"
    assert_nothing_stored()


def test_a_file_over_the_size_limit_is_refused_as_it_streams_in(alice_client, settings, assert_nothing_stored):
    settings.ATTACHMENT_MAX_BYTES = 1000

    response = post_file(alice_client, "notes.txt", b"a" * 1001)

    assert response.status_code == 413
    assert response.json() == {"error": "too_large", "detail": "This file is too large. The limit is 1000 bytes."}
    assert_nothing_stored()


def test_a_request_declaring_a_body_far_over_the_limit_is_refused_before_reading_it(
    alice_client, settings, assert_nothing_stored
):
    settings.ATTACHMENT_MAX_BYTES = 1000

    response = post_file(alice_client, "notes.txt", b"a" * 200_000)

    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert_nothing_stored()


def test_the_service_refuses_a_file_over_the_size_limit_too(upload, alice, settings, assert_nothing_stored):
    settings.ATTACHMENT_MAX_BYTES = 10

    with pytest.raises(services.Refused) as refusal:
        upload(alice, "notes.txt", b"more than ten bytes")

    assert (refusal.value.code, refusal.value.status) == ("too_large", 413)
    assert_nothing_stored()


def test_uploads_past_the_daily_volume_are_refused(alice_client, alice, bob, settings, upload, stored_files):
    first = upload(alice, "a.txt", b"x" * 60)
    old = upload(alice, "old.txt", b"x" * 60)
    Attachment.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=1, minutes=1))
    settings.ATTACHMENT_DAILY_BYTES_PER_USER = 100

    response = post_file(alice_client, "b.txt", b"y" * 50)

    assert response.status_code == 413
    assert response.json()["error"] == "daily_limit"
    assert set(Attachment.objects.values_list("pk", flat=True)) == {first.pk, old.pk}
    assert len(stored_files()) == 2
    # Another person's volume is their own.
    assert upload(bob, "b.txt", b"y" * 50).pk


def test_one_file_per_request_and_a_missing_file_are_refused(alice_client, assert_nothing_stored):
    missing = alice_client.post(UPLOAD_URL, {})
    several = alice_client.post(UPLOAD_URL, {"file": [SimpleUploadedFile("a.txt", b"a\n"),
                                                       SimpleUploadedFile("b.txt", b"b\n")]})

    assert (missing.status_code, missing.json()["error"]) == (400, "no_file")
    assert (several.status_code, several.json()["error"]) == (400, "one_file_per_request")
    assert_nothing_stored()


def test_logged_out_uploads_are_refused(client, assert_nothing_stored):
    response = post_file(client, "notes.txt", b"hello\n")

    assert response.status_code == 401
    assert response.json()["error"] == "login_required"
    assert_nothing_stored()


def test_uploads_need_the_csrf_token(alice, assert_nothing_stored):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = post_file(client, "notes.txt", b"hello\n")

    assert response.status_code == 403
    assert_nothing_stored()


def test_uploads_with_the_csrf_token_in_the_header_are_accepted(alice):
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret

    response = client.post(UPLOAD_URL, {"file": SimpleUploadedFile("notes.txt", b"hello\n")},
                           headers={"X-CSRFToken": _mask_cipher_secret(secret)})

    assert response.status_code == 201


def test_upload_is_post_only(alice_client):
    assert alice_client.get(UPLOAD_URL).status_code == 405


# --- Interrupted uploads -------------------------------------------------------------------

def test_an_upload_cut_off_midway_stores_nothing(alice, rf, assert_nothing_stored):
    from django.core.handlers.wsgi import LimitedStream

    from media.views import upload

    boundary = "parleyboundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="report.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + samples.pdf()
    request = rf.generic("POST", UPLOAD_URL, content_type=f"multipart/form-data; boundary={boundary}")
    # The connection dropped here: less than announced arrives, and never the closing boundary.
    request.META["CONTENT_LENGTH"] = str(len(body) + 5000)
    request._stream = LimitedStream(io.BytesIO(body), len(body) + 5000)
    request.user = alice
    request._dont_enforce_csrf_checks = True

    response = upload(request)

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "no_file"
    assert_nothing_stored()


@pytest.mark.django_db(transaction=True)
async def test_a_client_disconnecting_midway_through_the_body_stores_nothing(alice, stored_files):
    from asgiref.sync import sync_to_async
    from django.core.handlers.asgi import ASGIHandler
    from django.db import connections
    from django.test import Client

    client = Client()
    await sync_to_async(client.force_login)(alice)
    body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n" + samples.pdf()
    events = [
        {"type": "http.request", "body": body, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = []

    async def receive():
        return events.pop(0)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": UPLOAD_URL, "raw_path": UPLOAD_URL.encode(), "query_string": b"", "root_path": "",
        "server": ("localhost", 80), "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"content-length", str(len(body) * 3).encode()),
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        ],
    }

    await ASGIHandler()(scope, receive, send)

    assert not any(message.get("status") == 201 for message in sent)
    assert await sync_to_async(Attachment.objects.count)() == 0
    assert stored_files() == []
    # The ORM calls above ran on asgiref's worker thread: close its connection (PostgreSQL drops the database later).
    await sync_to_async(connections.close_all)()


class BreaksMidway(io.BytesIO):
    """An uploaded file whose reading fails after a few reads, like a temporary file on a failing disk."""

    def __init__(self, data, reads_before_failing):
        super().__init__(data)
        self.reads_left = reads_before_failing

    def read(self, size=-1):
        self.reads_left -= 1
        if self.reads_left < 0:
            raise OSError("read failed")
        return super().read(size)


def test_a_file_that_fails_while_being_stored_leaves_nothing_behind(alice, assert_nothing_stored):
    from django.core.files.uploadedfile import UploadedFile

    data = samples.pdf() * 20_000
    broken = UploadedFile(BreaksMidway(data, reads_before_failing=8), name="big.pdf", size=len(data))

    with pytest.raises(OSError):
        services.store_upload(owner=alice, uploaded_file=broken)

    assert_nothing_stored()


def test_a_storage_failure_on_the_thumbnail_deletes_the_picture_already_written(
    alice, upload, monkeypatch, assert_nothing_stored
):
    from django.core.files.storage import FileSystemStorage

    real_save = FileSystemStorage.save
    calls = []

    def save_then_fail(storage, name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(storage, name, content, *args, **kwargs)

    monkeypatch.setattr(FileSystemStorage, "save", save_then_fail)

    with pytest.raises(OSError):
        upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))

    assert len(calls) == 2
    assert_nothing_stored()


def test_a_database_failure_after_writing_deletes_the_written_files(alice, upload, monkeypatch,
                                                                     assert_nothing_stored):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment.objects, "create", fail)

    with pytest.raises(RuntimeError):
        upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))

    assert_nothing_stored()
