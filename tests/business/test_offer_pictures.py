"""An offer's optional picture: the attachments' image pipeline, the card of every copy, who may fetch it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services as account_services
from business import offers
from business.models import Offer
from common.errors import Refused
from media import services as media_services
from media.models import Attachment
from tests.media import samples


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.OFFER_RATE_PER_MINUTE = 0
    settings.SEND_RATE_PER_MINUTE = 0


@pytest.fixture
def fans(brand, make_user):
    people = [make_user(name) for name in ("ann", "ben")]
    for person in people:
        account_services.follow(follower=person, followed=brand)
    return people


def photo(name="offer.jpg", size=(800, 600)):
    return SimpleUploadedFile(name, samples.jpeg(size=size, gps=True), content_type="image/jpeg")


def stored_files(root):
    return sorted(path.name for path in root.rglob("*") if path.is_file())


def create(brand, **kwargs):
    return offers.create_offer(business=brand, text="Hi {first_name|there}, 20% off!", audience=Offer.Audience.FOLLOWERS,
                               **kwargs)


def test_the_picture_is_re_encoded_without_exif_and_shown_in_every_copy(client, brand, fans):
    offer = create(brand, picture=photo())
    picture = offer.picture
    assert picture.kind == Attachment.Kind.IMAGE and picture.owner == brand
    with picture.file.open("rb") as stored:
        assert not Image.open(stored).getexif()
    assert picture.thumbnail  # larger than the thumbnail box: the card shows the smaller copy
    offers.deliver_offer(offer.pk)
    thumbnail = f"/media/{picture.pk}/thumbnail/"
    for fan in fans:
        message = offer.recipients.get(person=fan).message
        assert message.card["thumbnail_url"] == thumbnail
        client.force_login(fan)
        page = client.get(f"/inbox/{message.thread_id}/").content.decode()
        assert f'<img class="offer-card-picture" src="{thumbnail}" alt="The offer’s picture"' in page
        assert ">Stop offers</button>" in page
        assert client.get(thumbnail).status_code == 200
        assert client.get(f"/media/{picture.pk}/").status_code == 200


def test_only_the_people_it_was_sent_to_and_the_business_fetch_the_picture(client, brand, fans, carol, make_user):
    account_services.block(blocker=fans[1], blocked=brand)  # ben is skipped
    offer = create(brand, picture=photo())
    url = f"/media/{offer.picture_id}/"
    client.force_login(fans[0])
    assert client.get(url).status_code == 404  # not sent yet
    offers.deliver_offer(offer.pk)
    assert client.get(url).status_code == 200
    client.force_login(brand)
    assert client.get(url).status_code == 200
    for outsider in (fans[1], carol):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_an_offer_without_a_picture_has_none_in_its_card(client, brand, fans):
    offer = create(brand)
    offers.deliver_offer(offer.pk)
    message = offer.recipients.get(person=fans[0]).message
    assert message.card["thumbnail_url"] == ""
    client.force_login(fans[0])
    assert "offer-card-picture" not in client.get(f"/inbox/{message.thread_id}/").content.decode()


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_kept(brand, fans, isolated_storage,
                                                                     django_capture_on_commit_callbacks):
    # Files are deleted once the deletion commits.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused) as refused:
        create(brand, picture=SimpleUploadedFile("menu.pdf", samples.pdf()))
    assert refused.value.code == "not_a_picture"
    with pytest.raises(Refused):
        create(brand, picture=SimpleUploadedFile("fake.jpg", b"not a picture at all"))
    assert not Offer.objects.exists() and not Attachment.objects.exists()
    assert stored_files(isolated_storage) == []


def test_a_refused_audience_stores_no_picture(brand, fans, carol, isolated_storage):
    with pytest.raises(Refused) as refused:
        offers.create_offer(business=brand, text="Hi", audience=Offer.Audience.PICKED, usernames="carol", picture=photo())
    assert refused.value.code == "not_a_follower"
    assert not Attachment.objects.exists() and stored_files(isolated_storage) == []


def test_a_failure_after_the_picture_was_stored_deletes_it(brand, fans, isolated_storage, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(offers.OfferRecipient.objects, "bulk_create", broken)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            create(brand, picture=photo())
    assert not Offer.objects.exists() and not Attachment.objects.exists()
    assert stored_files(isolated_storage) == []


def test_the_picture_is_kept_while_the_offer_is_not_discarded_as_an_unsent_upload(brand, fans):
    offer = create(brand, picture=photo())
    assert media_services.discard_uploads([offer.picture]) == []
    assert Attachment.objects.filter(pk=offer.picture_id).exists()


def test_the_offers_page_takes_a_picture_without_javascript(client, brand, fans):
    client.force_login(brand)
    html = client.get("/business/offers/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_picture">Picture (optional)</label>' in html
    response = client.post("/business/offers/", {"text": "Hi {first_name}", "audience": "followers", "picture": photo()})
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.picture.kind == "image"
    page = client.get(f"/business/offers/{offer.pk}/").content.decode()
    assert f'<img class="offer-picture" src="/media/{offer.picture_id}/thumbnail/"' in page
    response = client.post("/business/offers/", {"text": "Hi", "audience": "followers",
                                                 "picture": SimpleUploadedFile("menu.pdf", samples.pdf())})
    assert response.status_code == 400 and "must be a picture" in response.content.decode()
    assert Offer.objects.count() == 1
