"""A video's length from its container header (media.durations), on minimal real MP4/QuickTime/WebM bytes."""

import io

import pytest

from media import durations, kinds
from tests.media import samples


def seconds_of(data):
    file = io.BytesIO(data)
    return durations.video_seconds(file, kinds.detect(file))


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("moov_at_end", [False, True], ids=["moov first", "moov at the end"])
def test_mp4_length_comes_from_the_movie_header(version, moov_at_end):
    data = samples.movie(125, timescale=90_000, version=version, moov_at_end=moov_at_end)
    assert len(samples.mvhd(1, 1, version=version)) == (108 if version == 0 else 120)
    assert seconds_of(data) == pytest.approx(125)


def test_a_version_1_header_holds_durations_past_32_bits():
    # 20 hours at 90 kHz is more than 2**32 units: only a version 1 box can say it.
    assert seconds_of(samples.movie(72_000, timescale=90_000, version=1)) == pytest.approx(72_000)


def test_quicktime_movies_too():
    assert seconds_of(samples.movie(59.5, brand=b"qt  ", moov_at_end=True)) == pytest.approx(59.5)


def test_a_large_box_size_is_followed_to_moov_at_the_end():
    # An mdat with the 64-bit size form ("size" 1, then the real size), as long recordings have.
    ftyp = samples.box(b"ftyp", b"isom\x00\x00\x02\x00isom")
    payload = b"\x00" * 300
    mdat = b"\x00\x00\x00\x01mdat" + (16 + len(payload)).to_bytes(8, "big") + payload
    moov = samples.box(b"moov", samples.mvhd(1000, 42_000))
    assert seconds_of(ftyp + mdat + moov) == pytest.approx(42)


@pytest.mark.parametrize("version", [0, 1])
def test_a_fragmented_movie_says_its_length_in_mehd(version):
    data = samples.movie(0, timescale=1000, version=version, duration=0, fragments=90_500)
    assert seconds_of(data) == pytest.approx(90.5)


_WHOLE = samples.movie(10, moov_at_end=True)
TRUNCATED = _WHOLE[:_WHOLE.index(b"mvhd") + 16]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(samples.iso_media(), id="no mvhd"),
        pytest.param(samples.movie(10, duration=0), id="duration 0, no mehd"),
        pytest.param(samples.movie(10, duration=0xFFFFFFFF), id="unknown (all ones)"),
        pytest.param(samples.movie(10, version=1, duration=0xFFFFFFFFFFFFFFFF), id="unknown, version 1"),
        pytest.param(samples.movie(10, timescale=0), id="time scale 0"),
        pytest.param(TRUNCATED, id="cut off inside mvhd"),
    ],
)
def test_no_length_when_the_header_does_not_say(data):
    assert seconds_of(data) is None


def test_webm_length_comes_from_segment_info():
    assert seconds_of(samples.webm_with_duration(61.25)) == pytest.approx(61.25)
    assert seconds_of(samples.webm_with_duration(30, timecode_scale=1_000)) == pytest.approx(30)
    assert seconds_of(samples.webm()) is None  # a live recording: no Duration


def test_the_file_is_left_at_its_start():
    file = io.BytesIO(samples.movie(5, moov_at_end=True))
    durations.video_seconds(file, kinds.MP4)
    assert file.tell() == 0


@pytest.mark.parametrize(
    "seconds, said", [(45, "45 s"), (59.4, "59 s"), (60, "1 min"), (125, "2 min 5 s"), (3600, "60 min")]
)
def test_lengths_read_as_people_say_them(seconds, said):
    assert durations.describe_seconds(seconds) == said
