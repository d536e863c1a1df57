"""media.images.reencode_image: the shared picture pipeline (avatars now, attachments later)."""

import io

import pytest
from PIL import Image

from media.images import ImageRefused, reencode_image

from .pictures import (
    claimed_size_png,
    html_behind_png_signature,
    jpeg_with_orientation_and_gps,
    oversized_png,
    png_bytes,
    upload,
)

LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_pixels": 40_000_000}


def decoded(result):
    return Image.open(io.BytesIO(result.content.read()))


def test_png_becomes_a_square_webp_of_the_requested_size():
    result = reencode_image(upload(png_bytes(400, 300)), square_size=256, **LIMITS)
    picture = decoded(result)
    assert (result.width, result.height, result.format) == (256, 256, "webp")
    assert picture.format == "WEBP"
    assert picture.size == (256, 256)
    assert result.content_type == "image/webp"


def test_without_square_size_the_picture_keeps_its_shape():
    result = reencode_image(upload(png_bytes(120, 40)), output_format="PNG", **LIMITS)
    assert (result.width, result.height, result.format) == (120, 40, "png")


def test_exif_orientation_is_applied_and_every_piece_of_metadata_dropped():
    data = jpeg_with_orientation_and_gps()
    result = reencode_image(upload(data, "holiday.jpg", "image/jpeg"), square_size=256, **LIMITS)
    stored = result.content.read()
    picture = Image.open(io.BytesIO(stored)).convert("RGB")

    assert picture.size == (256, 256)
    # The camera's "rotate 90° clockwise" was applied: the red left side is now on top.
    red, _, blue = picture.getpixel((128, 40))
    assert red > 150 and blue < 100
    red, _, blue = picture.getpixel((128, 216))
    assert blue > 150 and red < 100
    # No EXIF left at all: no GPS position, no camera model, no orientation to apply twice.
    assert len(Image.open(io.BytesIO(stored)).getexif()) == 0
    assert b"Exif" not in stored
    assert b"Secret Camera" not in stored


def test_transparency_is_kept_in_webp():
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(buffer, "PNG")
    result = reencode_image(upload(buffer.getvalue()), square_size=32, **LIMITS)
    assert decoded(result).convert("RGBA").getpixel((16, 16))[3] == 0


def test_animated_gif_keeps_its_first_frame():
    frames = [Image.new("RGB", (40, 40), colour) for colour in [(250, 0, 0), (0, 250, 0)]]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    result = reencode_image(upload(buffer.getvalue(), "wave.gif", "image/gif"), square_size=40, **LIMITS)
    red, green, _ = decoded(result).convert("RGB").getpixel((20, 20))
    assert red > 200 and green < 50


@pytest.mark.parametrize(
    "data, code",
    [
        pytest.param(b"just some words, not a picture\n", "not_an_image", id="text-renamed-png"),
        pytest.param(html_behind_png_signature(), "not_an_image", id="html-behind-png-header"),
        pytest.param(claimed_size_png(50_000, 50_000), "too_many_pixels", id="header-claims-gigapixels"),
        pytest.param(claimed_size_png(8_000, 6_000), "too_many_pixels", id="header-over-our-limit"),
        pytest.param(png_bytes()[:60], "damaged", id="truncated-png"),
        pytest.param(b"", "empty", id="empty"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, code):
    with pytest.raises(ImageRefused) as refusal:
        reencode_image(upload(data), square_size=256, **LIMITS)
    assert refusal.value.code == code
    assert refusal.value.message


def test_a_real_image_over_the_pixel_limit_is_refused_before_decoding():
    buffer = io.BytesIO()
    # 48 megapixels in a few kilobytes: a decompression bomb by our 40-megapixel limit.
    Image.new("1", (8000, 6000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ImageRefused) as refusal:
        reencode_image(upload(buffer.getvalue()), square_size=256, **LIMITS)
    assert refusal.value.code == "too_many_pixels"


def test_file_over_the_byte_limit_is_refused_before_decoding():
    with pytest.raises(ImageRefused) as refusal:
        reencode_image(upload(oversized_png(1000)), max_bytes=1000, max_pixels=40_000_000)
    assert refusal.value.code == "too_large"
    assert "1000 bytes" in refusal.value.message


def test_other_decoders_are_not_used_even_for_real_images():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "BMP")
    with pytest.raises(ImageRefused) as refusal:
        reencode_image(upload(buffer.getvalue(), "p.bmp", "image/bmp"), **LIMITS)
    assert refusal.value.code == "not_an_image"


def test_plain_file_objects_work_too():
    result = reencode_image(io.BytesIO(png_bytes()), square_size=16, **LIMITS)
    assert (result.width, result.height) == (16, 16)
