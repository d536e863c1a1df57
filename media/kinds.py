"""What an uploaded file is, decided from its bytes alone.

The client's file name and Content-Type are never consulted: a renamed file is whatever its bytes
say, and anything not on the list below is refused. detect() reads the head of the file and, for a
few containers (MP4 boxes, WebM tracks, ZIP entries, text), walks a little further; it never
decodes media (images are decoded by media.services with Pillow).
"""

import codecs
import csv
import io
import re
import struct
import zipfile
from dataclasses import dataclass

HEAD_BYTES = 256 * 1024
CHUNK_BYTES = 1024 * 1024


class UnsupportedFile(Exception):
    """The bytes are not a kind of file Parley accepts (or there are none)."""

    def __init__(self, code, detail):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class FileType:
    kind: str  # an Attachment.Kind value
    content_type: str
    extension: str  # of the stored key and, when the client's name disagrees, of the download name
    # Other extensions a download name may keep (".jpeg" for a JPEG, ".md" for plain text).
    aliases: tuple = ()

    @property
    def inline(self):
        """Browsers show these themselves with no script involved: images, video and audio players."""
        return self.kind in {"image", "video", "audio"}

    def accepts_extension(self, extension):
        return extension.lower() in {self.extension, *self.aliases}


JPEG = FileType("image", "image/jpeg", "jpg", ("jpeg", "jpe", "jfif"))
PNG = FileType("image", "image/png", "png", ("apng",))
GIF = FileType("image", "image/gif", "gif")
WEBP = FileType("image", "image/webp", "webp")
# What iPhones take photos as. Never stored as such: media.attachment_images re-encodes it to JPEG.
HEIC = FileType("image", "image/heic", "heic", ("heif", "hif"))
MP4 = FileType("video", "video/mp4", "mp4", ("m4v",))
# What iPhones record video as: the MP4 box format under Apple's own brand (or no ftyp at all).
MOV = FileType("video", "video/quicktime", "mov", ("qt",))
WEBM_VIDEO = FileType("video", "video/webm", "webm")
M4A = FileType("audio", "audio/mp4", "m4a", ("mp4", "m4b"))
MP3 = FileType("audio", "audio/mpeg", "mp3")
OGG = FileType("audio", "audio/ogg", "ogg", ("oga", "opus"))
WEBM_AUDIO = FileType("audio", "audio/webm", "webm", ("weba",))
PDF = FileType("document", "application/pdf", "pdf")
ZIP = FileType("document", "application/zip", "zip")
DOCX = FileType("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = FileType("document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = FileType("document", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx")
ODT = FileType("document", "application/vnd.oasis.opendocument.text", "odt")
ODS = FileType("document", "application/vnd.oasis.opendocument.spreadsheet", "ods")
ODP = FileType("document", "application/vnd.oasis.opendocument.presentation", "odp")
TEXT = FileType("document", "text/plain", "txt", ("text", "md", "markdown", "log"))
CSV = FileType("document", "text/csv", "csv", ("tsv",))

ALL_TYPES = (JPEG, PNG, GIF, WEBP, HEIC, MP4, MOV, WEBM_VIDEO, M4A, MP3, OGG, WEBM_AUDIO, PDF, ZIP, DOCX, XLSX, PPTX, ODT, ODS, ODP,
             TEXT, CSV)
KIND_NAMES = {"image": "a picture", "video": "a video", "audio": "audio", "document": "a document"}


def kind_claimed_by_name(name):
    """The kind a file name's extension promises ("photo.jpg": image), or None for unknown extensions.

    Never used to decide what a file is: only to refuse a file whose bytes break the promise, such
    as a text file renamed .jpg or a picture renamed .pdf.
    """
    extension = str(name or "").rpartition(".")[2].lower() if "." in str(name or "") else ""
    claimed = {file_type.kind for file_type in ALL_TYPES if extension and file_type.accepts_extension(extension)}
    return claimed.pop() if len(claimed) == 1 else None


UNSUPPORTED = "This kind of file isn't supported. Send photos, videos, audio, PDFs, text or Office files."


def detect(file):
    """Return the FileType of a seekable binary file, or raise UnsupportedFile.

    The file position is left at the start.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    try:
        if not head:
            raise UnsupportedFile("empty_file", "The file is empty.")
        file_type = _detect(file, head)
        if file_type is None:
            raise UnsupportedFile("unsupported_type", UNSUPPORTED)
        return file_type
    finally:
        file.seek(0)


def _detect(file, head):
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return _iso_media_type(file, head)
    if head[4:8] in QUICKTIME_FIRST_ATOMS and (quicktime := _bare_quicktime_type(file)):
        return quicktime
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _webm_type(head)
    if head.startswith(b"OggS"):
        return _ogg_type(head)
    if head.startswith(b"ID3") or _is_mp3_frame(head, 0):
        return _mp3_type(head)
    if head.startswith(b"%PDF-"):
        return PDF
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_type(file)
    return _text_type(file, head)


# --- MP4 / M4A ------------------------------------------------------------------------------

# Major brands browsers play as MP4. QuickTime ("qt  ") and HEIF images share the box format and
# are recognised below; 3GP and AVIF are not on Parley's list.
VIDEO_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
                b"dash", b"mmp4", b"MSNV"}
AUDIO_BRANDS = {b"M4A ", b"M4B "}
CONTAINER_BOXES = {b"moov", b"trak", b"mdia"}
MAX_BOXES = 10_000


QUICKTIME_BRAND = b"qt  "
# HEVC-coded HEIF images (what phones write); "mif1"/"msf1" are generic HEIF brands, accepted only
# when a compatible brand says the pictures are HEVC (an AVIF also starts "mif1").
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
GENERIC_HEIF_BRANDS = {b"mif1", b"msf1"}


def _compatible_brands(head):
    """The compatible brands listed in the ftyp box that starts the file."""
    size = struct.unpack(">I", head[:4])[0]
    return {head[position:position + 4] for position in range(16, min(size, len(head)) - 3, 4)}


def _iso_media_type(file, head):
    brand = head[8:12]
    if brand in HEIC_BRANDS or (brand in GENERIC_HEIF_BRANDS and _compatible_brands(head) & HEIC_BRANDS):
        return HEIC
    if brand == QUICKTIME_BRAND:
        # Like MP4, the ftyp box decides; a QuickTime file with only a sound track is still a movie.
        return MOV
    if brand in AUDIO_BRANDS:
        return M4A
    if brand not in VIDEO_BRANDS:
        return None
    handlers = _track_handlers(file)
    if b"soun" in handlers and b"vide" not in handlers:
        return M4A
    # Video tracks, or a file whose movie box we could not reach (fragmented, or a bare header).
    return MP4


def _track_handlers(file):
    """The handler types ("vide", "soun", ...) of the tracks, by walking the box tree with seeks."""
    file.seek(0, io.SEEK_END)
    end = file.tell()
    handlers = set()
    # (start, end) ranges still to walk: the whole file, then moov, trak and mdia boxes.
    ranges = [(0, end)]
    visited = 0
    while ranges:
        position, limit = ranges.pop()
        while position + 8 <= limit and visited < MAX_BOXES:
            visited += 1
            file.seek(position)
            header = file.read(16)
            if len(header) < 8:
                break
            size, box_type = struct.unpack(">I4s", header[:8])
            header_size = 8
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
                header_size = 16
            elif size == 0:
                size = limit - position
            if size < header_size:
                break
            if box_type in CONTAINER_BOXES:
                ranges.append((position + header_size, min(position + size, limit)))
            elif box_type == b"hdlr":
                file.seek(position + header_size + 8)
                handlers.add(file.read(4))
            position += size
    return handlers


# Files from older QuickTime writers have no ftyp: their first atom is one of these.
QUICKTIME_FIRST_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
# Atoms found at the top level of a QuickTime movie; anything else there means it is not one.
QUICKTIME_TOP_ATOMS = QUICKTIME_FIRST_ATOMS | {b"ftyp", b"uuid", b"meta", b"PICT"}


def _bare_quicktime_type(file):
    """MOV when the top level of the file is a chain of QuickTime atoms, ending exactly at the end
    of the file, holding a movie (moov) atom; None otherwise (such as a text whose fifth to eighth
    characters happen to be "moov", which is then checked as text)."""
    file.seek(0, io.SEEK_END)
    end = file.tell()
    position = 0
    atom_types = set()
    for _ in range(MAX_BOXES):
        if position >= end:
            break
        file.seek(position)
        header = file.read(16)
        if len(header) < 8:
            return None
        size, atom_type = struct.unpack(">I4s", header[:8])
        header_size = 8
        if size == 1:
            if len(header) < 16:
                return None
            size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif size == 0:
            size = end - position  # the last atom runs to the end of the file
        if atom_type not in QUICKTIME_TOP_ATOMS or size < header_size or position + size > end:
            return None
        atom_types.add(atom_type)
        position += size
    if position != end or b"moov" not in atom_types:
        return None
    return MOV


# --- WebM -----------------------------------------------------------------------------------

EBML_DOCTYPE = 0x4282
SEGMENT = 0x18538067
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_TYPE = 0x83
CLUSTER = 0x1F43B675
TRACK_VIDEO, TRACK_AUDIO = 1, 2


def _read_vint(data, position, keep_marker):
    """An EBML variable-length integer: (value, next position); value None for "unknown size"."""
    if position >= len(data):
        raise ValueError("truncated")
    first = data[position]
    if first == 0:
        raise ValueError("invalid length")
    length = 8 - first.bit_length() + 1
    if position + length > len(data):
        raise ValueError("truncated")
    value = int.from_bytes(data[position:position + length], "big")
    if keep_marker:
        return value, position + length
    value &= (1 << (7 * length)) - 1
    if value == (1 << (7 * length)) - 1:
        return None, position + length
    return value, position + length


def _ebml_elements(data, position, end):
    """Yield (id, data start, data end) for the elements between position and end."""
    while position < end:
        element_id, position = _read_vint(data, position, keep_marker=True)
        size, position = _read_vint(data, position, keep_marker=False)
        data_end = end if size is None else min(position + size, end)
        yield element_id, position, data_end
        if size is None:
            # Unknown size (a live recording): its children follow immediately.
            return
        position = data_end


def _webm_type(head):
    try:
        elements = _ebml_elements(head, 0, len(head))
        header_id, start, end = next(elements)
        doctype = b""
        for element_id, child_start, child_end in _ebml_elements(head, start, end):
            if element_id == EBML_DOCTYPE:
                doctype = head[child_start:child_end].rstrip(b"\x00")
        if doctype != b"webm":
            return None
        track_types = _webm_track_types(head, end)
    except (ValueError, StopIteration):
        return None
    if TRACK_AUDIO in track_types and TRACK_VIDEO not in track_types:
        return WEBM_AUDIO
    return WEBM_VIDEO


def _webm_track_types(head, position):
    """Track types listed in the Segment's Tracks element, if it sits in the head of the file."""
    track_types = set()
    try:
        for element_id, start, end in _ebml_elements(head, position, len(head)):
            if element_id != SEGMENT:
                continue
            for child_id, child_start, child_end in _ebml_elements(head, start, end):
                if child_id == CLUSTER:
                    break
                if child_id != TRACKS:
                    continue
                for entry_id, entry_start, entry_end in _ebml_elements(head, child_start, child_end):
                    if entry_id != TRACK_ENTRY:
                        continue
                    for field_id, field_start, field_end in _ebml_elements(head, entry_start, entry_end):
                        if field_id == TRACK_TYPE:
                            track_types.add(int.from_bytes(head[field_start:field_end], "big"))
                break
            break
    except ValueError:
        pass  # Tracks run past the head: decide with what was read.
    return track_types


# --- Ogg and MP3 ----------------------------------------------------------------------------

OGG_AUDIO_CODECS = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")


def _ogg_type(head):
    if len(head) < 27:
        return None
    segments = head[26]
    packet = head[27 + segments:27 + segments + 8]
    return OGG if packet.startswith(OGG_AUDIO_CODECS) else None


def _is_mp3_frame(data, position):
    """An MPEG audio Layer III frame header: sync, a real version, bitrate and sample rate."""
    if position + 4 > len(data):
        return False
    b0, b1, b2 = data[position], data[position + 1], data[position + 2]
    return (
        b0 == 0xFF
        and b1 & 0xE0 == 0xE0
        and (b1 >> 3) & 0b11 != 0b01  # reserved version
        and (b1 >> 1) & 0b11 == 0b01  # layer III
        and (b2 >> 4) not in (0, 15)  # free-form or bad bitrate
        and (b2 >> 2) & 0b11 != 0b11  # reserved sample rate
    )


def _mp3_type(head):
    if not head.startswith(b"ID3"):
        return MP3
    # An ID3v2 tag can precede anything: the audio frame after it is what makes an MP3.
    if len(head) < 10:
        return None
    tag_size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
    position = 10 + tag_size + (10 if head[5] & 0x10 else 0)
    # Encoders may pad between the tag and the first frame.
    while position < len(head) and position < 10 + tag_size + 4096 and head[position] == 0:
        position += 1
    return MP3 if _is_mp3_frame(head, position) else None


# --- ZIP, Office and OpenDocument -----------------------------------------------------------

# Listing a ZIP builds an object per entry: past this many entries it stays a plain ZIP.
MAX_ZIP_ENTRIES_INSPECTED = 20_000
OPENDOCUMENT_TYPES = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}
OFFICE_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))


def _zip_entry_count(file):
    """Entries announced by the end-of-central-directory record, or None when there is none."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_start = max(0, size - (22 + 65535))
    file.seek(tail_start)
    tail = file.read()
    found = tail.rfind(b"PK\x05\x06")
    if found < 0 or found + 22 > len(tail):
        return None
    return struct.unpack("<H", tail[found + 10:found + 12])[0]


def _zip_type(file):
    entries = _zip_entry_count(file)
    if entries is None:
        return None
    if entries > MAX_ZIP_ENTRIES_INSPECTED or entries == 0xFFFF:
        return ZIP
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if infos and infos[0].filename == "mimetype" and infos[0].file_size < 100:
                with archive.open(infos[0]) as entry:
                    odf_type = OPENDOCUMENT_TYPES.get(entry.read(100).strip())
                if odf_type:
                    return odf_type
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError):
        return None
    if "[Content_Types].xml" in names:
        for part, office_type in OFFICE_PARTS:
            if part in names:
                return office_type
    return ZIP


# --- Plain text and CSV ---------------------------------------------------------------------

# Markup at the start ("<html", "<!doctype", "<svg", "<?xml", "<script", ...) is refused: a browser
# that ever guessed the type would run it.
MARKUP_START = re.compile(r"\A[\s\ufeff]*<[a-zA-Z!?/]")
# Tab, line feed, form feed and carriage return are text; other C0 controls and NUL mean binary.
BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
MARKUP_REFUSED = "Web pages, SVG and XML files can't be sent: a browser could run code hidden in them."
CSV_SAMPLE_ROWS = 20
TEXT_SAMPLE_CHARS = 64 * 1024


def _text_type(file, head):
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    first_text = ""
    try:
        while chunk := file.read(CHUNK_BYTES):
            text = decoder.decode(chunk)
            if BINARY_CONTROL.search(text):
                return None
            if len(first_text) < TEXT_SAMPLE_CHARS:
                first_text += text[:TEXT_SAMPLE_CHARS - len(first_text)]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    if MARKUP_START.match(first_text):
        raise UnsupportedFile("unsupported_type", MARKUP_REFUSED)
    return CSV if _looks_like_csv(first_text) else TEXT


def _looks_like_csv(text):
    """Two or more rows that all split into the same number (2+) of fields on one delimiter."""
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if len(text) >= TEXT_SAMPLE_CHARS:
        lines = lines[:-1]  # the sample may cut the last line short
    lines = lines[:CSV_SAMPLE_ROWS]
    if len(lines) < 2:
        return False
    for delimiter in (",", ";", "\t"):
        try:
            widths = {len(row) for row in csv.reader(lines, delimiter=delimiter, strict=True)}
        except csv.Error:
            continue
        if len(widths) == 1 and widths.pop() >= 2:
            return True
    return False
