"""Demo data for the brands (`manage.py seed_demo`): quick replies, hours, labels, feedback."""

import datetime
import io

from inbox import demo as inbox_demo
from inbox.models import Thread, direct_key

from . import offers, services
from .models import ConversationLabel, FeedbackRequest, Label, Offer, QuickReply

WEEKDAY_HOURS = (datetime.time(8, 0), datetime.time(18, 0))
QUICK_REPLIES = [
    ("thanks", "Thanks {first_name|there}, we're on it!"),
    ("hours", "Hi {first_name|there}! We're open Monday to Friday 8:00–18:00 and Saturday 9:00–14:00."),
    ("roast", "Our next roast day is Friday, {first_name|there}. Shall we set a bag aside for you?"),
]
LABELS = [("Order issue", "red"), ("Collab", "purple"), ("VIP", "green")]


def seed_for_demo_people(sender, people, **kwargs):
    """Quick replies, hours, labels, an answered feedback request and a sent offer for northwind; idempotent."""
    brand = people.get("northwind")
    if brand is None:
        return ""
    # The conversations first (idempotent; the inbox's own receiver then finds them there): the
    # feedback goes into one of them, and no greeting must answer the seeded lines.
    inbox_demo.seed_conversations(people)
    hours = {day: WEEKDAY_HOURS for day in range(5)}
    hours[5] = (datetime.time(9, 0), datetime.time(14, 0))
    services.save_business_profile(
        user=brand, category="Coffee roaster", website="https://northwind.example", time_zone="Europe/Berlin",
        hours=hours, open_to_collaborations=True, greeting_enabled=True,
        greeting_text="Hi {first_name|there}, thanks for writing to Northwind! We usually answer within the hour.",
        away_enabled=True, away_text="We're closed right now, {first_name|there}. We'll answer as soon as we open.",
    )
    for shortcut, text in QUICK_REPLIES:
        QuickReply.objects.get_or_create(owner=brand, shortcut=shortcut, defaults={"text": text})
    labels = {name: Label.objects.get_or_create(owner=brand, name=name, defaults={"colour": colour})[0]
              for name, colour in LABELS}
    summary = "northwind: business hours, 3 quick replies, 3 labels"
    alice = people.get("alice")
    thread = Thread.objects.filter(direct_key=direct_key(brand.pk, alice.pk)).first() if alice else None
    if thread is not None:
        ConversationLabel.objects.get_or_create(label=labels["VIP"], thread=thread)
        if not FeedbackRequest.objects.filter(business=brand, customer=alice).exists():
            request, _message = services.ask_for_feedback(business_user=brand, thread_id=thread.pk)
            services.answer_feedback(customer=alice, request_id=request.pk, rating=5, comment="Lovely beans, thank you!")
        summary += ", feedback from alice"
    if thread is not None and not Offer.objects.filter(business=brand).exists() \
            and services.Follow.objects.filter(followed=brand, follower=alice).exists():
        # Hand-picked: alice, whose conversation with northwind exists already.
        offer = offers.create_offer(
            business=brand, audience=Offer.Audience.PICKED, usernames="alice",
            text="Hi {first_name|there}! Followers get 15% off the new Ethiopia Guji this week: show this message at the counter.",
            picture=_offer_picture(),
        )
        # Delivered at once here, so the demo shows a sent offer even before a worker runs.
        offers.deliver_offer(offer.pk)
        summary += ", a sent offer with a picture"
    for name in ("spokehouse",):
        if name in people and services.business_profile_of(people[name]) is None:
            services.save_business_profile(
                user=people[name], category="Bike workshop", website="", time_zone="Europe/London",
                hours={day: (datetime.time(9, 0), datetime.time(17, 30)) for day in range(6)},
                open_to_collaborations=False,
            )
    return summary


def _offer_picture():
    """A coffee-coloured picture for the demo offer, drawn here (no file ships with the demo)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 640), (92, 58, 33))
    draw = ImageDraw.Draw(image)
    draw.ellipse((330, 170, 630, 470), fill=(214, 170, 120))
    draw.ellipse((395, 235, 565, 405), fill=(60, 34, 18))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile("guji.jpg", buffer.getvalue(), content_type="image/jpeg")
