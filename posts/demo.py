"""Demo posts, comments, a business FAQ and a live story (`manage.py seed_demo`), through posts.services."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services
from .models import Comment, Post, Story

# (author, minutes ago, text, pinned, [(commenter, text)]); the roasting-day post comes with a picture.
DEMO_POSTS = [
    ("northwind", 3000, "How long do your beans keep? Two to four weeks after the roast date, sealed, away from light. "
     "We print the roast date on every bag.", True, [("alice", "Good to know, thanks!")]),
    ("northwind", 2990, "Do you deliver? Yes: within 5 km on Tuesdays and Fridays, free over two bags. "
     "For bigger orders, message us.", True, []),
    ("northwind", 2980, "Opening hours: Monday to Saturday, 8:00 to 18:00. Sunday we roast.", True, []),
    ("northwind", 180, "Roasting day tomorrow: Ethiopia Guji and a new Colombian decaf ☕", False,
     [("bob", "Saving me a bag of the decaf?"), ("alice", "The Guji was wonderful last time.")]),
    ("alice", 120, "First sunny Saturday in weeks. Lake loop, anyone?", False,
     [("bob", "Count me in, 9am at the bakery."), ("dan", "I'll bring the camera.")]),
    ("bob", 60, "Spokehouse fixed my gears and the bike feels new. Highly recommended.", False,
     [("spokehouse", "Thanks Bob, enjoy the ride!")]),
    ("dan", 30, "Tomatoes are finally red. Garden party photos coming soon 🍅", False, []),
]


def _demo_picture(color, *, size=(720, 1280), name="story.jpg"):
    """A soft two-colour gradient, drawn here so the demo needs no image files."""
    from PIL import Image

    top = Image.new("RGB", size, color)
    bottom = Image.new("RGB", size, tuple(min(255, channel + 90) for channel in color))
    mask = Image.linear_gradient("L").resize(size)
    buffer = io.BytesIO()
    Image.composite(bottom, top, mask).save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def seed_for_demo_people(*, people, **_signal):
    """accounts' demo_people_created receiver: what is missing of the demo public side, and a summary line."""
    posts = comments = stories = 0
    now = timezone.now()
    for author, minutes_ago, text, pinned, lines in DEMO_POSTS:
        if author not in people or Post.objects.filter(author=people[author], body=text).exists():
            continue
        pictures = [_demo_picture((120, 72, 40), size=(1200, 800), name="roast.jpg")] if "Roasting day" in text else []
        post = services.create_post(author=people[author], body=text, uploaded_files=pictures)
        Post.objects.filter(pk=post.pk).update(created=now - timedelta(minutes=minutes_ago))
        if pinned:
            services.pin_post(user=people[author], post=post, pinned=True)
        posts += 1
        for offset, (commenter, line) in enumerate(lines, start=1):
            if commenter in people:
                comment = services.add_comment(author=people[commenter], post=post, body=line)
                Comment.objects.filter(pk=comment.pk).update(created=now - timedelta(minutes=minutes_ago - offset))
                comments += 1
    if "bob" in people:
        if not Story.objects.filter(author=people["bob"], expires_at__gt=now).exists():
            services.create_story(author=people["bob"], uploaded_file=_demo_picture((79, 70, 229)),
                                  caption="Morning ride by the lake 🚲")
            stories += 1
    return (
        f"Demo posts: {posts} post{'s' if posts != 1 else ''}, {comments} comment{'s' if comments != 1 else ''} "
        f"and {stories} live stor{'ies' if stories != 1 else 'y'} created."
    )
