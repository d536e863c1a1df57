"""The stickers Parley ships: its own artwork under static/stickers/, one SVG each.

A sticker is named by its id (what a message or a frame would carry); the label is its accessible
name (the alt text, and the picker button's name). Ids are permanent once sent: add stickers at
the end, never rename one.
"""

from typing import NamedTuple

FOLDER = "stickers"


class Sticker(NamedTuple):
    id: str
    file_name: str
    label: str

    @property
    def static_path(self):
        """For {% static %} or django.templatetags.static.static()."""
        return f"{FOLDER}/{self.file_name}"


STICKERS = (
    Sticker("wave", "waving-hand.svg", "Waving hand"),
    Sticker("thumbs-up", "thumbs-up.svg", "Thumbs up"),
    Sticker("heart", "heart.svg", "Heart"),
    Sticker("laughing", "laughing.svg", "Laughing face"),
    Sticker("party", "party-popper.svg", "Party popper"),
    Sticker("thank-you", "thank-you.svg", "Thank-you note"),
    Sticker("coffee", "coffee.svg", "Cup of coffee"),
    Sticker("bike", "bike.svg", "Bicycle"),
    Sticker("sun", "sun.svg", "Smiling sun"),
    Sticker("rain", "rain-cloud.svg", "Rain cloud"),
    Sticker("cat", "cat.svg", "Cat"),
    Sticker("dog", "dog.svg", "Dog"),
    Sticker("sleepy", "sleepy.svg", "Sleepy face"),
    Sticker("rocket", "rocket.svg", "Rocket"),
    Sticker("plant", "plant.svg", "Potted plant"),
    Sticker("star", "star.svg", "Star"),
)
BY_ID = {sticker.id: sticker for sticker in STICKERS}


def get_sticker(sticker_id):
    """The sticker with this id, or None for an unknown one."""
    return BY_ID.get(sticker_id) if isinstance(sticker_id, str) else None
