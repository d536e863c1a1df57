"""Pictures sent in conversations: the avatar pipeline (media.images) plus what attachments need.

media.images decides which decoders may run, checks pixels from the header and keeps no metadata;
this module reuses those checks and adds what a conversation needs on top: the picture keeps its
size and format, animated GIFs keep every frame (in the stored copy and in the thumbnail), and a
thumbnail is made for the conversation view when the picture is larger than its box.
"""

import io
from typing import NamedTuple

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, ImageSequence

from media.images import (
    ImageRefused,
    damaged,
    open_verified,
    read_limited,
    refusing_decompression_bombs,
    too_many_pixels,
)

# What a stored still picture is encoded as, by the decoder that read it. A still GIF becomes a
# PNG: the same pixels, losslessly, without GIF's 256-colour limit on later edits. A HEIC photo
# becomes a JPEG, which every browser shows (only Safari shows HEIC).
STILL_OUTPUT = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "HEIF": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", "image/webp"),
    "GIF": ("PNG", "png", "image/png"),
}
THUMBNAIL_OUTPUT = ("WEBP", "webp", "image/webp")
GIF_OUTPUT = ("GIF", "gif", "image/gif")
DEFAULT_FRAME_DURATION_MS = 100


class EncodedFile(NamedTuple):
    content: ContentFile
    extension: str
    content_type: str


class AttachmentImage(NamedTuple):
    picture: EncodedFile
    thumbnail: EncodedFile | None  # None when the picture already fits the thumbnail box
    width: int
    height: int
    frames: int


def count_gif_frames(data, stop_after):
    """Count the frames of a GIF by walking its blocks, without decoding; stop past stop_after.

    Pillow's n_frames walks every frame of the file before answering, so a GIF of a million
    one-pixel frames would cost seconds before it could be refused.
    """
    position = 13
    if len(data) < position:
        raise damaged()
    flags = data[10]
    if flags & 0x80:
        position += 3 << ((flags & 0x07) + 1)
    frames = 0
    while position < len(data):
        block = data[position]
        if block == 0x3B:  # trailer
            break
        if block == 0x2C:  # image descriptor
            frames += 1
            if frames > stop_after:
                break
            if position + 10 > len(data):
                break
            local_flags = data[position + 9]
            position += 10
            if local_flags & 0x80:
                position += 3 << ((local_flags & 0x07) + 1)
            position += 1  # LZW minimum code size
        elif block == 0x21:  # extension: label, then sub-blocks
            position += 2
        else:
            raise damaged()
        while position < len(data) and data[position]:
            position += data[position] + 1
        position += 1
    return frames


def reencode_attachment_image(file, *, max_bytes, max_pixels, max_frames, max_animation_pixels, thumbnail_size):
    """Check a picture sent in a conversation and return its clean stored copy and thumbnail.

    Refuses with ImageRefused when the file is over max_bytes, not a JPEG/PNG/GIF/WebP/HEIC, damaged,
    over max_pixels (or Pillow's decompression-bomb guard fires), a GIF with more than max_frames
    frames, or an animation whose frames together exceed max_animation_pixels. EXIF orientation is
    applied and every piece of metadata (EXIF, GPS, comments, colour profiles) is left behind.
    Animated GIFs keep all their frames and timing; other animated formats keep their first frame.
    Nothing is written anywhere: the caller stores the returned bytes.
    """
    data = read_limited(file, max_bytes)
    with refusing_decompression_bombs():
        image = open_verified(data, max_pixels)
        width, height = image.size
        frames = count_gif_frames(data, max_frames) if image.format == "GIF" else 1
        if frames > max_frames:
            raise ImageRefused(
                "too_many_frames", f"This animation has too many frames. The limit is {max_frames:,} frames."
            )
        if frames * width * height > max_animation_pixels:
            raise ImageRefused(
                "animation_too_large",
                "This animation is too large to send as a picture: send it as a video instead.",
            )
        try:
            if frames > 1:
                return _animated_gif(image, frames, thumbnail_size)
            return _still(image, thumbnail_size)
        except ImageRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels(max_pixels) from None
        except Exception:
            raise damaged() from None


def _encode(image, output, **options):
    encoder, extension, content_type = output
    buffer = io.BytesIO()
    image.save(buffer, encoder, **options)
    return EncodedFile(ContentFile(buffer.getvalue()), extension, content_type)


def _without_metadata(image, mode):
    converted = image.convert(mode)
    # Encoders fall back to info for EXIF, ICC profiles and comments: start from nothing.
    converted.info = {}
    return converted


def _still(image, thumbnail_size):
    encoder_output = STILL_OUTPUT[image.format]
    image.load()
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in upright.info
    if encoder_output[0] == "JPEG":
        clean = _without_metadata(upright, "RGB")
        picture = _encode(clean, encoder_output, quality=90, optimize=True)
    elif encoder_output[0] == "WEBP":
        clean = _without_metadata(upright, "RGBA" if has_alpha else "RGB")
        picture = _encode(clean, encoder_output, quality=90, method=4)
    else:
        clean = _without_metadata(upright, "RGBA" if has_alpha else "RGB")
        picture = _encode(clean, encoder_output)

    thumbnail = None
    if max(clean.size) > thumbnail_size:
        small = clean.copy()
        small.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
        thumbnail = _encode(small, THUMBNAIL_OUTPUT, quality=80, method=4)
    return AttachmentImage(picture, thumbnail, clean.width, clean.height, 1)


def _animated_gif(image, frames, thumbnail_size):
    width, height = image.size
    loop = image.info.get("loop")
    picture = _encode_frames(image, GIF_OUTPUT, loop, size=None)
    thumbnail = None
    if max(width, height) > thumbnail_size:
        scale = thumbnail_size / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        thumbnail = _encode_frames(image, GIF_OUTPUT, loop, size=size)
    return AttachmentImage(picture, thumbnail, width, height, frames)


def _encode_frames(image, output, loop, *, size):
    """Re-encode every frame (composited by Pillow), optionally scaled, keeping each frame's timing.

    Frames are produced one at a time for the encoder, which keeps only palette copies.
    """

    def clean_frames():
        for frame in ImageSequence.Iterator(image):
            duration = frame.info.get("duration") or DEFAULT_FRAME_DURATION_MS
            clean = _without_metadata(frame, "RGBA")
            if size:
                clean = clean.resize(size, Image.Resampling.LANCZOS)
            clean.info = {"duration": duration}
            yield clean

    sequence = clean_frames()
    first = next(sequence)
    options = {"save_all": True, "append_images": sequence}
    if loop is not None:
        options["loop"] = loop
    return _encode(first, output, **options)
