"""The sticker set: every listed sticker is a small, self-contained, titled SVG that Parley ships."""

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from inbox.stickers import STICKERS, get_sticker

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
FOLDER = Path(settings.BASE_DIR) / "static" / "stickers"


def parsed(sticker):
    return ElementTree.parse(FOLDER / sticker.file_name).getroot()


def test_there_are_at_least_sixteen_distinct_stickers():
    assert len(STICKERS) >= 16
    assert len({sticker.id for sticker in STICKERS}) == len(STICKERS)
    assert len({sticker.file_name for sticker in STICKERS}) == len(STICKERS)
    assert len({sticker.label for sticker in STICKERS}) == len(STICKERS)


def test_every_svg_in_the_folder_is_listed():
    assert sorted(path.name for path in FOLDER.glob("*.svg")) == sorted(sticker.file_name for sticker in STICKERS)


@pytest.mark.parametrize("sticker", STICKERS, ids=[sticker.id for sticker in STICKERS])
def test_each_sticker_is_a_titled_self_contained_svg(sticker):
    path = FOLDER / sticker.file_name
    text = path.read_text(encoding="utf-8")
    root = parsed(sticker)

    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 128 128"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text.strip()
    assert list(root)[0] is title  # the first child, where screen readers look
    assert path.stat().st_size < 4096
    for element in root.iter():
        name = element.tag.removeprefix(SVG)
        assert name not in {"script", "foreignObject", "image", "use", "iframe", "a", "style"}
        assert element.get("href") is None and element.get(XLINK_HREF) is None
        assert not any(attribute.lower().startswith("on") for attribute in element.attrib)
    assert not re.search(r"url\(|https?://(?!www\.w3\.org/)|javascript:|data:|<!ENTITY|<!DOCTYPE", text, re.I)


@pytest.mark.parametrize("sticker", STICKERS, ids=[sticker.id for sticker in STICKERS])
def test_each_sticker_is_found_by_the_static_files_finders(sticker):
    assert finders.find(sticker.static_path) == str(FOLDER / sticker.file_name)


def test_a_sticker_is_looked_up_by_its_id():
    assert get_sticker("coffee").label == "Cup of coffee"
    assert get_sticker("coffee").static_path == "stickers/coffee.svg"
    assert get_sticker("nope") is None
    assert get_sticker(None) is None
    assert get_sticker(["coffee"]) is None
