"""The one way Parley accepts a picture from a person: check it, decode it safely, re-encode it.

Uploaded bytes are never stored or served as sent. Only the JPEG, PNG, GIF, WebP and HEIF (the
HEIC photos phones take, through pillow-heif) decoders may touch them, sizes are checked before any decoding (bytes, then pixels from the header), and what
gets stored is a fresh encoding of the pixels alone: no EXIF (so no GPS position), no comments, no
colour-profile tricks, no trailing bytes such as an HTML page glued behind a valid image.

Avatars use it now (accounts.services); picture attachments reuse it.
"""

import io
import warnings
from contextlib import contextmanager
from typing import NamedTuple

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

# Teaches Pillow to open HEIF/HEIC (HEVC pictures, decoded by the wheel's own libheif). Nothing
# else changes: Image.open still tries only the decoders named in ALLOWED_DECODERS. Thumbnails,
# depth maps and auxiliary images in the container are left unread.
register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

ALLOWED_DECODERS = ("JPEG", "PNG", "GIF", "WEBP", "HEIF")

# Output encoders and what the stored file is then called and served as.
OUTPUT_FORMATS = {
    "WEBP": ("webp", "image/webp"),
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
}


class ImageRefused(Exception):
    """The file is not a picture Parley will keep. `message` is written for the person who sent it."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class EncodedImage(NamedTuple):
    content: ContentFile
    width: int
    height: int
    format: str  # the file extension: "webp", "png" or "jpg"

    @property
    def content_type(self):
        return next(content_type for extension, content_type in OUTPUT_FORMATS.values() if extension == self.format)


def describe_bytes(size):
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def read_limited(file, max_bytes):
    """Read the whole upload, refusing it as soon as it is known to be over max_bytes."""
    declared_size = getattr(file, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise too_large(max_bytes)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    if not data:
        raise ImageRefused("empty", "This file is empty.")
    return data


def too_large(max_bytes):
    return ImageRefused("too_large", f"This file is too large. The limit is {describe_bytes(max_bytes)}.")


def not_an_image():
    return ImageRefused("not_an_image", "This file isn't a picture Parley can use. Choose a JPEG, PNG, GIF, WebP or HEIC image.")


def open_checked(data, max_pixels):
    """Open the bytes with the allowed decoders only and check the pixel count from the header.

    Image.open reads the header and nothing more, so a small file that claims gigapixels is
    refused here before any memory is spent on it.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_DECODERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise not_an_image() from None
    width, height = image.size
    if width < 1 or height < 1:
        raise not_an_image()
    if width * height > max_pixels:
        raise too_many_pixels(max_pixels)
    return image


def damaged():
    return ImageRefused("damaged", "This picture is damaged or incomplete.")


@contextmanager
def refusing_decompression_bombs():
    """Pillow only warns between its pixel limit and twice that limit: make the warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def open_verified(data, max_pixels):
    """Open, verify() the whole file, then open again ready to decode (verify leaves the image unusable).

    Call inside refusing_decompression_bombs().
    """
    probe = open_checked(data, max_pixels)
    try:
        probe.verify()
    except Exception:
        raise damaged() from None
    return open_checked(data, max_pixels)


def too_many_pixels(max_pixels):
    return ImageRefused(
        "too_many_pixels",
        f"This picture has too many pixels. The limit is {max_pixels / 1_000_000:g} megapixels.",
    )


def square_crop(image, size):
    """Centre-crop to a square and scale it to size x size."""
    return ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def has_transparency(image):
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (image.mode == "P" and "transparency" in image.info)


def pixels_only(image, *, keep_alpha):
    """A new image holding the pixels and nothing else: every piece of metadata stays behind."""
    mode = "RGBA" if keep_alpha and has_transparency(image) else "RGB"
    if mode == "RGB" and has_transparency(image):
        # Flatten onto white, as browsers show a transparent picture on a light page.
        rgba = image.convert("RGBA")
        converted = Image.new("RGB", rgba.size, (255, 255, 255))
        converted.paste(rgba, mask=rgba.getchannel("A"))
    else:
        converted = image.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def reencode_image(file, *, max_bytes, max_pixels, square_size=None, output_format="WEBP"):
    """Check an uploaded picture and return a clean re-encoding of it.

    Refuses with ImageRefused (nothing is written anywhere) when the file is over max_bytes, not a
    JPEG/PNG/GIF/WebP/HEIC, damaged, or over max_pixels (also when Pillow's own decompression-bomb
    guard fires). EXIF orientation is applied, then all metadata dropped. With square_size the
    picture is centre-cropped to a square of that many pixels. Animated pictures keep their first
    frame.
    """
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output_format must be one of {sorted(OUTPUT_FORMATS)}")
    data = read_limited(file, max_bytes)
    with refusing_decompression_bombs():
        image = open_verified(data, max_pixels)
        try:
            if square_size and image.format == "JPEG":
                # Decode a JPEG at a reduced scale when it is far larger than needed.
                image.draft("RGB", (square_size, square_size))
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels(max_pixels) from None
        except Exception:
            raise damaged() from None

    clean = pixels_only(upright, keep_alpha=output_format != "JPEG")
    if square_size:
        clean = square_crop(clean, square_size)

    buffer = io.BytesIO()
    if output_format == "WEBP":
        clean.save(buffer, "WEBP", quality=85, method=4)
    elif output_format == "JPEG":
        clean.save(buffer, "JPEG", quality=85, optimize=True)
    else:
        clean.save(buffer, "PNG", optimize=True)
    extension = OUTPUT_FORMATS[output_format][0]
    return EncodedImage(ContentFile(buffer.getvalue()), clean.width, clean.height, extension)
