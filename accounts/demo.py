"""A small demo world of people and brands, for trying Parley out (`manage.py seed_demo`).

Every demo account has the password DEMO_PASSWORD, which is public: never seed a real site.
create_demo_people() is idempotent and returns the accounts by username, so other apps' demo
data (conversations) can build on the same people.
"""

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from . import services
from .models import Profile, User

DEMO_PASSWORD = "parley-demo"

# username, display name, bio, avatar colour
DEMO_PEOPLE = [
    ("alice", "Alice Martin", "Product designer in Lyon. Coffee first, then pixels.", "#4f46e5"),
    ("bob", "Bob Okafor", "Backend developer. Cycles to work whatever the weather.", "#0f766e"),
    ("carol", "Carol Diaz", "Runs the community garden on Elm Street. Ask me about tomatoes.", "#b45309"),
    ("dan", "Dan Kowalski", "Weekend photographer, weekday accountant.", "#be185d"),
    (
        "northwind",
        "Northwind Coffee Roasters",
        "Small-batch coffee roasted every Tuesday and Friday.\nOrders, wholesale and brewing questions welcome.",
        "#7c2d12",
    ),
    (
        "spokehouse",
        "Spokehouse Bikes",
        "Repairs, servicing and city bikes. Message us to book a service slot.",
        "#15803d",
    ),
    ("erin", "Erin Walsh", "New in town. Looking for people to ride with on weekends.", "#6d28d9"),
]


def initials(display_name):
    words = [word for word in display_name.split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def initials_picture(display_name, colour, size=256):
    """A PNG of the name's initials in white on a coloured square."""
    picture = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=size * 0.42)
    draw.text((size / 2, size / 2), initials(display_name), fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="initials.png")


# Brands take messages from anyone, as a shop's inbox would.
DEMO_BRANDS = {"northwind", "spokehouse"}
# New here: nobody follows them and they follow nobody, so what they write first waits in Requests.
DEMO_NEWCOMERS = {"erin"}


def create_demo_people():
    """Create the demo accounts that are missing (existing ones are left as they are); return all by username.

    The people follow each other and both brands, so every conversation between them lands in the
    inbox (message_route); a newcomer's first message lands in Requests.
    """
    people = {}
    for username, display_name, bio, colour in DEMO_PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.create_account(username=username, email=f"{username}@example.com", password=DEMO_PASSWORD)
            # Through the same pipeline as an uploaded avatar.
            avatar = services.prepare_avatar(initials_picture(display_name, colour))
            services.update_profile(user=user, display_name=display_name, bio=bio, avatar=avatar)
            if username in DEMO_BRANDS:
                services.set_message_policy(user=user, policy=Profile.MessagePolicy.EVERYONE)
        people[username] = user
    for follower in people.values():
        if follower.username in DEMO_BRANDS | DEMO_NEWCOMERS:
            continue
        for followed in people.values():
            if followed != follower and followed.username not in DEMO_NEWCOMERS:
                try:
                    services.follow(follower=follower, followed=followed)
                except services.Refused:
                    pass  # someone trying the demo blocked this person: their choice stands
    return people


def demo_usernames():
    return [username for username, *_ in DEMO_PEOPLE]
