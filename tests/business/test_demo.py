from django.core.management import call_command

from accounts.models import User
from business.models import FeedbackRequest, Offer, QuickReply


def test_seed_demo_gives_northwind_its_tools_and_a_sent_offer_with_a_picture(client, db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    northwind = User.objects.get(username="northwind")
    assert QuickReply.objects.filter(owner=northwind).count() == 3
    assert FeedbackRequest.objects.filter(business=northwind, rating=5).exists()
    offer = Offer.objects.get(business=northwind)
    assert offer.status == Offer.Status.DONE and offer.picture.kind == "image"
    message = offer.recipients.get(person__username="alice").message
    assert message.card["thumbnail_url"] == f"/media/{offer.picture_id}/thumbnail/"
    client.force_login(User.objects.get(username="alice"))
    assert client.get(message.card["thumbnail_url"]).status_code == 200
    call_command("seed_demo", verbosity=0)
    assert Offer.objects.filter(business=northwind).count() == 1
