"""How long a video plays, read from its container's own header; no frame is decoded.

MP4 and QuickTime keep the length in the movie header box (moov/mvhd: a time scale in units per
second and a duration in those units), and fragmented MP4 in moov/mvex/mehd. moov may sit at the
start or at the end of the file (after the media data, as cameras write it), so the top-level boxes
are walked with seeks, never read. WebM keeps it in Segment/Info (Duration, in TimecodeScale ticks).
"""

import io
import struct

from . import kinds

MAX_BOXES = 10_000
# An all-ones duration means "unknown" (ISO/IEC 14496-12); so does 0 in a fragmented file.
UNKNOWN_32 = 0xFFFFFFFF
UNKNOWN_64 = 0xFFFFFFFFFFFFFFFF

WEBM_INFO = 0x1549A966
WEBM_TIMECODE_SCALE = 0x2AD7B1
WEBM_DURATION = 0x4489
NANOSECONDS = 1_000_000_000


def video_seconds(file, file_type):
    """The length in seconds (a float) of a video file of the given media.kinds FileType, or None
    when its header does not say (a live WebM recording, a broken or truncated file). The file
    position is left at the start."""
    try:
        if file_type in (kinds.MP4, kinds.MOV):
            return movie_seconds(file)
        if file_type is kinds.WEBM_VIDEO:
            file.seek(0)
            return webm_seconds(file.read(kinds.HEAD_BYTES))
        return None
    finally:
        file.seek(0)


def _boxes(file, start, end):
    """Yield (type, payload start, box end) for the boxes between start and end."""
    position = start
    for _ in range(MAX_BOXES):
        if position + 8 > end:
            return
        file.seek(position)
        header = file.read(16)
        if len(header) < 8:
            return
        size, box_type = struct.unpack(">I4s", header[:8])
        header_size = 8
        if size == 1:
            if len(header) < 16:
                return
            size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif size == 0:
            size = end - position  # the last box runs to the end
        if size < header_size:
            return
        yield box_type, position + header_size, min(position + size, end)
        position += size


def _find(file, start, end, box_type):
    for found_type, payload, box_end in _boxes(file, start, end):
        if found_type == box_type:
            return payload, box_end
    return None


def movie_seconds(file):
    """The length of an MP4 or QuickTime movie in seconds, from moov/mvhd (version 0 or 1 boxes),
    falling back on moov/mvex/mehd for a fragmented file; None when neither says."""
    file.seek(0, io.SEEK_END)
    moov = _find(file, 0, file.tell(), b"moov")
    if moov is None:
        return None
    mvhd = _find(file, *moov, b"mvhd")
    if mvhd is None:
        return None
    payload, box_end = mvhd
    file.seek(payload)
    header = file.read(min(box_end - payload, 32))
    if len(header) < 4:
        return None
    version = header[0]
    if version == 1 and len(header) >= 32:
        _created, _modified, timescale, duration = struct.unpack(">QQIQ", header[4:32])
        unknown = UNKNOWN_64
    elif version == 0 and len(header) >= 20:
        _created, _modified, timescale, duration = struct.unpack(">IIII", header[4:20])
        unknown = UNKNOWN_32
    else:
        return None
    if not timescale:
        return None
    if duration in (0, unknown):
        duration = _fragment_duration(file, moov)
        if duration is None:
            return None
    return duration / timescale


def _fragment_duration(file, moov):
    """The whole length of a fragmented movie (mvex/mehd), in the movie's time scale, or None."""
    mvex = _find(file, *moov, b"mvex")
    mehd = mvex and _find(file, *mvex, b"mehd")
    if not mehd:
        return None
    payload, box_end = mehd
    file.seek(payload)
    header = file.read(min(box_end - payload, 12))
    if len(header) >= 12 and header[0] == 1:
        duration, unknown = struct.unpack(">Q", header[4:12])[0], UNKNOWN_64
    elif len(header) >= 8 and header[0] == 0:
        duration, unknown = struct.unpack(">I", header[4:8])[0], UNKNOWN_32
    else:
        return None
    return None if duration in (0, unknown) else duration


def webm_seconds(head):
    """The length of a WebM file in seconds from Segment/Info/Duration in its head, or None."""
    try:
        elements = kinds._ebml_elements(head, 0, len(head))
        _header_id, _start, header_end = next(elements)
        for element_id, start, end in kinds._ebml_elements(head, header_end, len(head)):
            if element_id != kinds.SEGMENT:
                continue
            for child_id, child_start, child_end in kinds._ebml_elements(head, start, end):
                if child_id == kinds.CLUSTER:
                    return None  # the media data began: no Info before it
                if child_id == WEBM_INFO:
                    return _webm_info_seconds(head[child_start:child_end])
            return None
    except (ValueError, StopIteration):
        return None
    return None


def _webm_info_seconds(info):
    scale, duration = 1_000_000, None
    for element_id, start, end in kinds._ebml_elements(info, 0, len(info)):
        value = info[start:end]
        if element_id == WEBM_TIMECODE_SCALE and value:
            scale = int.from_bytes(value, "big")
        elif element_id == WEBM_DURATION and len(value) in (4, 8):
            duration = struct.unpack(">f" if len(value) == 4 else ">d", value)[0]
    if duration is None or not duration > 0 or duration == float("inf"):
        return None
    return duration * scale / NANOSECONDS


def describe_seconds(seconds):
    """A length as people say it: "45 s", "1 min", "2 min 5 s" (whole seconds, rounded)."""
    total = int(seconds + 0.5)
    minutes, rest = divmod(total, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
