"""Tiny real files of every accepted kind, and the bad inputs the issue lists, built in memory."""

import io
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw


def jpeg(size=(64, 48), *, gps=False, orientation=None, color=(200, 30, 30)):
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 4), fill=(0, 0, 255))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken at home")
    return buffer.getvalue()


def png(size=(32, 32), *, mode="RGBA"):
    image = Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def webp(size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 120, 200)).save(buffer, "WEBP")
    return buffer.getvalue()


def animated_gif(size=(24, 16), durations=(100, 200, 300)):
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    frames = [Image.new("RGB", size, colors[index % len(colors)]) for index in range(len(durations))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=list(durations), loop=0)
    return buffer.getvalue()


def still_gif(size=(20, 20)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 90, 90)).save(buffer, "GIF")
    return buffer.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width=50_000, height=50_000):
    """A few dozen bytes claiming width x height pixels: the header alone must be refused."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + png_chunk(b"IEND", b""))


def gif_with_frames(count):
    """A 1x1 GIF with `count` frames, written directly: about 18 bytes a frame."""
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
             b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # image descriptor, 1x1
             b"\x02\x02\x44\x01\x00")  # LZW data for one pixel
    return header + loop + frame * count + b"\x3b"


def box(kind, payload=b""):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def iso_media(brand=b"isom", handler=b"vide"):
    """An MP4/M4A header: ftyp, then moov/trak/mdia/hdlr naming the track's handler."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    hdlr = box(b"hdlr", b"\x00" * 8 + handler + b"\x00" * 12 + b"track\x00")
    moov = box(b"moov", box(b"trak", box(b"mdia", hdlr)))
    return ftyp + moov + box(b"mdat", b"\x00" * 64)


def ebml_element(element_id, payload):
    assert len(payload) < 127
    return element_id + bytes([0x80 | len(payload)]) + payload


def webm(track_types=(1, 2), doctype=b"webm"):
    """A WebM header: EBML with its DocType, then a Segment of unknown size listing the tracks."""
    header = ebml_element(b"\x1a\x45\xdf\xa3", ebml_element(b"\x42\x86", b"\x01") + ebml_element(b"\x42\x82", doctype))
    entries = b"".join(ebml_element(b"\xae", ebml_element(b"\xd7", bytes([n + 1])) + ebml_element(b"\x83", bytes([t])))
                       for n, t in enumerate(track_types))
    tracks = ebml_element(b"\x16\x54\xae\x6b", entries)
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + tracks
    cluster = b"\x1f\x43\xb6\x75" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + b"\xe7\x81\x00"
    return header + segment + cluster


def mp3():
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * 3


def ogg(codec=b"\x01vorbis"):
    packet = codec + b"\x00" * 22
    page = b"OggS\x00\x02" + b"\x00" * 8 + b"\x01\x00\x00\x00" + b"\x00" * 8 + bytes([1, len(packet)])
    return page + packet


def pdf():
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def zip_of(entries, *, first=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1], compress_type=zipfile.ZIP_STORED)
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


CONTENT_TYPES_XML = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx():
    return zip_of({"[Content_Types].xml": CONTENT_TYPES_XML, "_rels/.rels": "<Relationships/>",
                   "word/document.xml": "<w:document/>"})


def xlsx():
    return zip_of({"[Content_Types].xml": CONTENT_TYPES_XML, "xl/workbook.xml": "<workbook/>"})


def pptx():
    return zip_of({"[Content_Types].xml": CONTENT_TYPES_XML, "ppt/presentation.xml": "<presentation/>"})


def odt():
    return zip_of({"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<manifest/>"},
                  first=("mimetype", "application/vnd.oasis.opendocument.text"))


def ods():
    return zip_of({"content.xml": "<x/>"}, first=("mimetype", "application/vnd.oasis.opendocument.spreadsheet"))


def plain_zip():
    return zip_of({"notes/readme.txt": "hello", "photo.bin": b"\x00\x01"})


def csv_file():
    return "name,amount,date\nalice,12.50,2026-01-02\nbob,\"1,200.00\",2026-01-03\n".encode()


def text():
    return "Shopping list 🛒\n- bread\n- café au lait, oat milk\n".encode()


def exe():
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode"


def heic(size=(64, 48), *, gps=False, orientation=None, color=(30, 120, 200)):
    """A real HEIC photo, as an iPhone takes them, written by pillow-heif (HEVC inside a HEIF box)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 4), fill=(255, 200, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", exif=exif.tobytes(), xmp=b"<x:xmpmeta>taken at home</x:xmpmeta>", quality=70)
    return buffer.getvalue()


def quicktime(*, ftyp=True, handler=b"vide"):
    """A minimal QuickTime movie: ftyp "qt  " (or none, as older writers did), wide, mdat, then moov."""
    hdlr = box(b"hdlr", b"\x00" * 4 + b"mhlr" + handler + b"appl" + b"\x00" * 8 + b"\x00")
    moov = box(b"moov", box(b"mvhd", b"\x00" * 100) + box(b"trak", box(b"mdia", hdlr)))
    head = box(b"ftyp", b"qt  " + b"\x00\x00\x02\x00" + b"qt  ") if ftyp else b""
    return head + box(b"wide") + box(b"mdat", b"\x00" * 64) + moov


def full_box(kind, version, payload):
    """An ISO full box: one version byte and three flag bytes before the payload."""
    return box(kind, bytes([version]) + b"\x00\x00\x00" + payload)


def mvhd(timescale, duration, *, version=0):
    """A movie header box laid out as ISO/IEC 14496-12 has it (108 bytes for version 0, 120 for 1)."""
    times = struct.pack(">QQIQ", 3_700_000_000, 3_700_000_100, timescale, duration) if version == 1 else \
        struct.pack(">IIII", 3_700_000_000, 3_700_000_100, timescale, duration)
    matrix = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
    rest = struct.pack(">IH", 0x00010000, 0x0100) + b"\x00" * 10 + matrix + b"\x00" * 24 + struct.pack(">I", 2)
    return full_box(b"mvhd", version, times + rest)


def movie(seconds=15, *, timescale=600, version=0, moov_at_end=False, brand=b"isom", duration=None, fragments=None):
    """An MP4 (or, with brand "qt  ", QuickTime) movie `seconds` long: ftyp, moov (mvhd, one video
    track) and mdat, moov first (as after "fast start") or last (as cameras write it).

    duration overrides the mvhd's raw duration (0 or all ones: unknown); fragments adds
    moov/mvex/mehd with that raw whole-movie duration, as a fragmented MP4 has.
    """
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    raw = round(seconds * timescale) if duration is None else duration
    hdlr = box(b"hdlr", b"\x00" * 8 + b"vide" + b"\x00" * 12 + b"video\x00")
    parts = mvhd(timescale, raw, version=version) + box(b"trak", box(b"mdia", hdlr))
    if fragments is not None:
        mehd = full_box(b"mehd", version, struct.pack(">Q" if version == 1 else ">I", fragments))
        parts += box(b"mvex", mehd)
    moov = box(b"moov", parts)
    mdat = box(b"mdat", b"\x00" * 512)
    return ftyp + mdat + moov if moov_at_end else ftyp + moov + mdat


def webm_with_duration(seconds, *, timecode_scale=1_000_000):
    """A WebM whose Segment/Info gives its Duration (a float in TimecodeScale ticks) before the tracks."""
    header = ebml_element(b"\x1a\x45\xdf\xa3", ebml_element(b"\x42\x86", b"\x01") + ebml_element(b"\x42\x82", b"webm"))
    info = ebml_element(b"\x15\x49\xa9\x66", ebml_element(b"\x2a\xd7\xb1", timecode_scale.to_bytes(3, "big"))
                        + ebml_element(b"\x44\x89", struct.pack(">d", seconds * 1e9 / timecode_scale)))
    tracks = ebml_element(b"\x16\x54\xae\x6b", ebml_element(b"\xae", ebml_element(b"\xd7", b"\x01") + ebml_element(b"\x83", b"\x01")))
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + info + tracks
    cluster = b"\x1f\x43\xb6\x75" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + b"\xe7\x81\x00"
    return header + segment + cluster
