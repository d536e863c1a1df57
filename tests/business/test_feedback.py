import pytest

from business import services
from business.models import FeedbackRequest
from common.errors import Refused
from inbox.models import Message


@pytest.fixture
def asked(brand, bob, talk):
    thread = talk(bob, brand)
    request, message = services.ask_for_feedback(business_user=brand, thread_id=thread.pk)
    return request


def test_asking_for_feedback_sends_a_rating_card(asked, brand):
    message = Message.objects.get(card_key=f"feedback:{asked.pk}")
    assert message.sender == brand
    assert message.card["title"] == "How did we do?"


def test_only_a_business_can_ask_for_feedback(alice, bob, talk):
    thread = talk(alice, bob)
    with pytest.raises(Refused) as refused:
        services.ask_for_feedback(business_user=alice, thread_id=thread.pk)
    assert refused.value.code == "not_business"
    assert not Message.objects.exists()


def test_the_card_has_five_named_buttons_for_the_customer(client, asked, bob):
    client.force_login(bob)
    html = client.get(f"/inbox/{asked.thread_id}/").content.decode()
    for label in ("1 star", "2 stars", "3 stars", "4 stars", "5 stars"):
        assert f">{label}</button>" in html
    assert f'action="/business/feedback/{asked.pk}/"' in html


def test_the_customer_answers_once_without_javascript(client, asked, bob):
    client.force_login(bob)
    response = client.post(f"/business/feedback/{asked.pk}/", {"rating": "5", "comment": "Great  beans"})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert (asked.rating, asked.comment) == (5, "Great beans")
    client.post(f"/business/feedback/{asked.pk}/", {"rating": "1"})
    asked.refresh_from_db()
    assert asked.rating == 5
    html = client.get(f"/inbox/{asked.thread_id}/").content.decode()
    assert "Rated 5 stars" in html and ">5 stars</button>" not in html


def test_the_business_and_outsiders_cannot_answer(client, asked, brand, carol):
    with pytest.raises(Refused):
        services.answer_feedback(customer=brand, request_id=asked.pk, rating=5)
    client.force_login(carol)
    assert client.post(f"/business/feedback/{asked.pk}/", {"rating": "5"}).status_code == 404
    assert FeedbackRequest.objects.get(pk=asked.pk).rating is None


@pytest.mark.parametrize("rating", ["0", "6", "", "five", "2.5"])
def test_a_rating_outside_one_to_five_is_refused(asked, bob, rating):
    with pytest.raises(Refused):
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=rating)
