"""Picture files for avatar tests: good ones, and the bad ones people (or attackers) send."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(width=64, height=64, colour=(200, 40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload(data, name="picture.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def claimed_size_png(width, height):
    """A valid-looking PNG of a few dozen bytes whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def html_behind_png_signature():
    return PNG_SIGNATURE + b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def oversized_png(limit):
    """A real PNG padded past `limit` bytes."""
    data = png_bytes()
    return data + b"\x00" * (limit + 1 - len(data))


def jpeg_with_orientation_and_gps():
    """A 300x200 JPEG, red on the left and blue on the right, whose EXIF says "rotate 90° clockwise"
    (the left side shows on top) and carries a GPS position and a camera model."""
    picture = Image.new("RGB", (300, 200), (220, 20, 20))
    picture.paste((20, 20, 220), (150, 0, 300, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    exif[0x0110] = "Secret Camera 3000"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    return buffer.getvalue()
