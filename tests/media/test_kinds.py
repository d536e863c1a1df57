"""The kind of a file is decided from its bytes: names and browser content types never count."""

import io

import pytest

from media import kinds
from tests.media import samples


@pytest.mark.parametrize(
    "data, content_type, kind",
    [
        (samples.jpeg(), "image/jpeg", "image"),
        (samples.png(), "image/png", "image"),
        (samples.animated_gif(), "image/gif", "image"),
        (samples.webp(), "image/webp", "image"),
        (samples.heic(), "image/heic", "image"),
        (samples.iso_media(b"isom", b"vide"), "video/mp4", "video"),
        (samples.iso_media(b"mp42", b"vide"), "video/mp4", "video"),
        (samples.webm(track_types=(1, 2)), "video/webm", "video"),
        (samples.quicktime(), "video/quicktime", "video"),
        (samples.iso_media(b"qt  ", b"vide"), "video/quicktime", "video"),
        (samples.iso_media(b"M4A ", b"soun"), "audio/mp4", "audio"),
        (samples.iso_media(b"isom", b"soun"), "audio/mp4", "audio"),
        (samples.webm(track_types=(2,)), "audio/webm", "audio"),
        (samples.mp3(), "audio/mpeg", "audio"),
        (samples.mp3()[10:], "audio/mpeg", "audio"),
        (samples.ogg(), "audio/ogg", "audio"),
        (samples.ogg(b"OpusHead"), "audio/ogg", "audio"),
        (samples.pdf(), "application/pdf", "document"),
        (samples.plain_zip(), "application/zip", "document"),
        (samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
        (samples.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
        (samples.pptx(), "application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"),
        (samples.odt(), "application/vnd.oasis.opendocument.text", "document"),
        (samples.ods(), "application/vnd.oasis.opendocument.spreadsheet", "document"),
        (samples.text(), "text/plain", "document"),
        (samples.csv_file(), "text/csv", "document"),
        ("a;b\n1;2\n".encode(), "text/csv", "document"),
        (b"\xef\xbb\xbfHello, world.\nSee you, soon, I hope.\n", "text/plain", "document"),
        (b"<3 you, see you at 8\n", "text/plain", "document"),
    ],
)
def test_accepted_kinds_are_recognised_from_their_bytes(data, content_type, kind):
    detected = kinds.detect(io.BytesIO(data))

    assert (detected.content_type, detected.kind) == (content_type, kind)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(samples.exe(), id="windows executable"),
        pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 40, id="linux executable"),
        pytest.param(b"<html><body><script>alert(1)</script></body></html>", id="html"),
        pytest.param(b"\n\t <!DOCTYPE html><title>x</title>", id="doctype after whitespace"),
        pytest.param(b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", id="svg"),
        pytest.param(b"<?xml version='1.0'?><svg onload='alert(1)'/>", id="xml"),
        pytest.param(b"<script>alert(1)</script>", id="script"),
        pytest.param(samples.iso_media(b"3gp4"), id="3gp"),
        pytest.param(samples.iso_media(b"avif"), id="avif"),
        pytest.param(samples.webm(doctype=b"matroska"), id="matroska"),
        pytest.param(samples.ogg(b"\x80theora"), id="ogg video"),
        pytest.param(b"ID3\x03\x00\x00\x00\x00\x00\x00<html>", id="id3 tag without audio"),
        pytest.param(b"PK\x03\x04 not really a zip", id="broken zip"),
        pytest.param(b"\xff\xfeh\x00i\x00", id="utf-16 text"),
        pytest.param(b"caf\xe9 latin-1", id="not utf-8"),
        pytest.param(b"text with a \x00 nul", id="nul byte"),
        pytest.param(b"\x00\x00\x01\x00\x01\x00", id="icon"),
    ],
)
def test_anything_else_is_refused_as_unsupported(data):
    with pytest.raises(kinds.UnsupportedFile) as refusal:
        kinds.detect(io.BytesIO(data))

    assert refusal.value.code == "unsupported_type"
    assert "can't be sent" in refusal.value.detail or "isn't supported" in refusal.value.detail


def test_an_empty_file_is_refused_as_empty():
    with pytest.raises(kinds.UnsupportedFile) as refusal:
        kinds.detect(io.BytesIO(b""))

    assert (refusal.value.code, refusal.value.detail) == ("empty_file", "The file is empty.")


def test_detection_leaves_the_file_at_its_start():
    file = io.BytesIO(samples.docx())

    kinds.detect(file)

    assert file.tell() == 0


def test_text_is_checked_to_the_end_not_only_its_head():
    data = b"hello\n" * 100_000 + b"\x00binary tail"

    with pytest.raises(kinds.UnsupportedFile):
        kinds.detect(io.BytesIO(data))


def test_only_inline_kinds_are_images_video_and_audio():
    assert kinds.JPEG.inline and kinds.MP4.inline and kinds.WEBM_AUDIO.inline
    assert not kinds.PDF.inline and not kinds.TEXT.inline and not kinds.ZIP.inline
