"""What phones send: HEIC photos become JPEGs without their metadata; QuickTime movies are kept as
sent, recognised from their bytes like any video, and a file merely named .mov is refused."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from PIL import Image

from media import kinds, services
from media.images import reencode_image
from tests.media import samples

UPLOAD_URL = "/media/upload/"


def stored_bytes(field):
    with field.open("rb") as file:
        return file.read()


def ftyp(major, *compatible):
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return samples.box(b"ftyp", payload) + samples.box(b"meta", b"\x00" * 32)


# --- Recognised from the bytes ---------------------------------------------------------------

def test_a_heic_photo_is_recognised_as_a_picture_from_its_bytes():
    data = samples.heic()
    assert data[4:12] == b"ftypheic"  # what pillow-heif (and an iPhone) writes

    assert kinds.detect(io.BytesIO(data)) is kinds.HEIC


@pytest.mark.parametrize("major, compatible", [
    (b"heix", (b"mif1", b"heix")),
    (b"mif1", (b"mif1", b"heic")),
    (b"msf1", (b"msf1", b"hevc")),
])
def test_heif_brands_holding_hevc_pictures_are_heic(major, compatible):
    assert kinds.detect(io.BytesIO(ftyp(major, *compatible))) is kinds.HEIC


@pytest.mark.parametrize("data", [
    pytest.param(samples.quicktime(), id="ftyp qt"),
    pytest.param(samples.quicktime(ftyp=False), id="no ftyp, wide mdat moov"),
    pytest.param(samples.box(b"moov", samples.box(b"mvhd", b"\x00" * 100)) + samples.box(b"mdat", b"\x01" * 10),
                 id="no ftyp, moov first"),
    pytest.param(samples.box(b"free", b"\x00" * 4) + samples.box(b"moov") + b"\x00\x00\x00\x00mdat" + b"\x02" * 50,
                 id="last atom running to the end"),
    pytest.param(samples.quicktime(handler=b"soun"), id="sound only"),
])
def test_quicktime_movies_are_recognised_as_video_from_their_bytes(data):
    detected = kinds.detect(io.BytesIO(data))

    assert detected is kinds.MOV
    assert (detected.kind, detected.content_type, detected.extension) == ("video", "video/quicktime", "mov")


@pytest.mark.parametrize("data", [
    pytest.param(ftyp(b"avif", b"mif1", b"avif"), id="avif"),
    pytest.param(ftyp(b"mif1", b"mif1", b"avif"), id="generic heif holding av1"),
    pytest.param(ftyp(b"3gp4", b"3gp4"), id="3gp"),
    pytest.param(samples.box(b"mdat", b"\x00" * 16) + samples.box(b"free"), id="atoms without a movie"),
    pytest.param(samples.box(b"moov") + samples.box(b"html", b"<script>alert(1)</script>"), id="unknown atom"),
    pytest.param(samples.box(b"moov") + b"\x00\x00\x10\x00mdat" + b"\x00" * 20, id="atom longer than the file"),
    pytest.param(samples.box(b"moov") + b"\x00\x00\x00\x04mdat", id="atom shorter than its header"),
    pytest.param(samples.box(b"moov") + b"\x00\x00", id="trailing bytes"),
])
def test_lookalikes_of_heic_and_quicktime_are_refused(data):
    with pytest.raises(kinds.UnsupportedFile) as refusal:
        kinds.detect(io.BytesIO(data))

    assert refusal.value.code == "unsupported_type"


def test_a_text_whose_first_words_spell_an_atom_is_still_text():
    assert kinds.detect(io.BytesIO(b"So, moov over, the mdat is mine.\n")) is kinds.TEXT


def test_mov_and_heic_names_promise_a_video_and_a_picture():
    assert kinds.kind_claimed_by_name("IMG_0002.MOV") == "video"
    assert kinds.kind_claimed_by_name("IMG_0001.HEIC") == "image"
    assert kinds.kind_claimed_by_name("scan.heif") == "image"


# --- HEIC photos become JPEGs -----------------------------------------------------------------

def test_an_uploaded_heic_becomes_a_jpeg_named_jpg_with_no_metadata(upload, alice):
    original = samples.heic(size=(64, 48), gps=True)
    assert b"PhoneMaker" in original and b"taken at home" in original  # the sample carries EXIF and XMP
    heif = Image.open(io.BytesIO(original))
    assert heif.getexif().get_ifd(0x8825)  # ... including a GPS position

    attachment = upload(alice, "IMG_0001.HEIC", original, content_type="image/heic")

    data = stored_bytes(attachment.file)
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG"
    assert (attachment.kind, attachment.content_type) == ("image", "image/jpeg")
    assert attachment.original_name == "IMG_0001.jpg"
    assert attachment.file.name.endswith(".jpg")
    assert dict(stored.getexif()) == {}
    assert "icc_profile" not in stored.info and "xmp" not in stored.info
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"taken at home" not in data
    assert (attachment.width, attachment.height, attachment.size) == (64, 48, len(data))
    # The pixels survive: the blue photo with its yellow corner.
    red, green, blue = stored.convert("RGB").getpixel((40, 30))
    assert blue > 150 and red < 90
    red, green, blue = stored.convert("RGB").getpixel((4, 4))
    assert red > 200 and green > 150 and blue < 100


def test_a_rotated_heic_is_stored_upright(upload, alice):
    # pillow-heif writes EXIF orientation 6 as the container's rotation, as phones do.
    attachment = upload(alice, "IMG_0003.heic", samples.heic(size=(64, 48), orientation=6))

    stored = Image.open(io.BytesIO(stored_bytes(attachment.file)))
    assert stored.size == (48, 64)
    assert (attachment.width, attachment.height) == (48, 64)
    # Turned a quarter clockwise: the yellow corner moves from the top left to the top right.
    red, green, blue = stored.convert("RGB").getpixel((44, 4))
    assert red > 200 and green > 150 and blue < 100


def test_a_large_heic_gets_a_webp_thumbnail_like_any_picture(upload, alice):
    attachment = upload(alice, "IMG_0004.HEIC", samples.heic(size=(1200, 900)))

    assert attachment.thumbnail.name.endswith("-thumb.webp")
    assert Image.open(io.BytesIO(stored_bytes(attachment.thumbnail))).size == (480, 360)


def test_a_heic_through_the_upload_view_answers_a_jpeg(alice):
    client = Client()
    client.force_login(alice)

    response = client.post(UPLOAD_URL, {"file": SimpleUploadedFile("IMG_0005.HEIC", samples.heic(), "image/heic")})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "IMG_0005.jpg" and body["kind"] == "image"
    download = client.get(body["url"])
    assert download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content).startswith(b"\xff\xd8\xff")


def test_a_damaged_heic_is_refused_and_nothing_stored(upload, alice, assert_nothing_stored):
    data = samples.heic()
    damaged = data[:len(data) // 2]

    with pytest.raises(services.Refused) as refusal:
        upload(alice, "IMG_0006.HEIC", damaged)

    assert refusal.value.code in {"damaged", "not_an_image"}
    assert refusal.value.detail.endswith(".")
    assert_nothing_stored()


def test_an_avatar_can_be_a_heic_photo_too():
    encoded = reencode_image(io.BytesIO(samples.heic(size=(80, 60), gps=True)), max_bytes=10**6,
                             max_pixels=10**6, square_size=32)

    picture = Image.open(io.BytesIO(encoded.content.read()))
    assert (picture.format, picture.size, encoded.format) == ("WEBP", (32, 32), "webp")
    assert dict(picture.getexif()) == {}


# --- QuickTime movies -------------------------------------------------------------------------

def test_an_uploaded_mov_is_kept_byte_for_byte_as_video_quicktime(upload, alice):
    data = samples.quicktime()

    attachment = upload(alice, "IMG_0002.MOV", data, content_type="video/quicktime")

    assert (attachment.kind, attachment.content_type) == ("video", "video/quicktime")
    assert attachment.original_name == "IMG_0002.MOV"
    assert attachment.file.name.endswith(".mov")
    assert stored_bytes(attachment.file) == data


def test_a_mov_is_served_inline_as_video_quicktime_with_byte_ranges(upload, alice, bob, carol):
    data = samples.quicktime()
    attachment = upload(alice, "clip.mov", data)
    owner = Client()
    owner.force_login(alice)
    outsider = Client()
    outsider.force_login(carol)

    whole = owner.get(f"/media/{attachment.pk}/")
    part = owner.get(f"/media/{attachment.pk}/", headers={"Range": "bytes=0-11"})

    assert whole["Content-Type"] == "video/quicktime"
    assert whole["Content-Disposition"] == 'inline; filename="clip.mov"'
    assert whole["X-Content-Type-Options"] == "nosniff"
    assert (part.status_code, b"".join(part.streaming_content)) == (206, data[:12])
    assert outsider.get(f"/media/{attachment.pk}/").status_code == 404
    assert Client().get(f"/media/{attachment.pk}/").status_code == 404


def test_a_text_file_renamed_mov_is_refused_with_a_clear_error(alice, assert_nothing_stored):
    client = Client()
    client.force_login(alice)

    response = client.post(UPLOAD_URL, {"file": SimpleUploadedFile("holiday.mov", b"Not a movie at all.\n",
                                                                   "video/quicktime")})

    assert response.status_code == 400
    assert response.json() == {
        "error": "wrong_kind",
        "detail": "This file is named like a video, but its contents are a document. Check the file and try again.",
    }
    assert_nothing_stored()


def test_a_quicktime_header_alone_is_taken_as_a_movie_as_for_mp4(upload, alice):
    # The ftyp box decides, as it does for MP4; a player that cannot play the rest says so.
    header = samples.box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ")

    assert upload(alice, "clip.mov", header + b"\x00" * 8).content_type == "video/quicktime"


@pytest.mark.parametrize("data", [
    pytest.param(b"\x00\x00\x00\x18mdat" + b"\xde\xad\xbe\xef" * 4, id="bare atom without a movie"),
    pytest.param(bytes(range(256)) * 4, id="random binary"),
    pytest.param(samples.exe(), id="executable"),
])
def test_binary_renamed_mov_is_refused_as_unsupported(data, upload, alice, assert_nothing_stored):
    with pytest.raises(services.Refused) as refusal:
        upload(alice, "IMG_0007.MOV", data)

    assert refusal.value.code == "unsupported_type"
    assert refusal.value.detail == kinds.UNSUPPORTED
    assert_nothing_stored()


def test_a_quicktime_video_says_where_it_plays_and_offers_the_download(upload, alice):
    movie = upload(alice, "IMG_0002.MOV", samples.quicktime())
    clip = upload(alice, "clip.mp4", samples.iso_media())

    movie_html = render_to_string("media/_attachment.html", {"attachment": movie})
    clip_html = render_to_string("media/_attachment.html", {"attachment": clip})

    assert f'<video controls preload="metadata" playsinline src="/media/{movie.pk}/"' in movie_html
    assert "plays in Safari" in movie_html and f'href="/media/{movie.pk}/" download' in movie_html
    assert "QuickTime" not in clip_html


def test_the_composer_offers_heic_and_mov_files():
    html = render_to_string("media/_composer_files.html", {"attachment_limits": {"per_message": 10, "max_bytes": 1}})

    assert "image/heic" in html and "video/quicktime" in html and ".mov" in html
