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


def test_an_answer_tells_the_open_tabs_of_the_conversation_once_after_commit(asked, bob, monkeypatch,
                                                                             django_capture_on_commit_callbacks):
    # The answer changes the asking message's card; the inbox's "message.updated" push tells every
    # open tab (the business's too). Exactly once: if the inbox's update_cards comes to push every
    # changed card itself, one of the two pushes must go, and this count says so.
    from inbox import events

    pushed = []
    monkeypatch.setattr(events, "broadcast_message_updated", pushed.append, raising=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=5, comment="Great beans")
    assert pushed == []  # nothing before the commit
    for callback in callbacks:
        callback()
    message = Message.objects.get(card_key=f"feedback:{asked.pk}")
    assert [changed.pk for changed in pushed] == [message.pk]
    assert pushed[0].card["unavailable_text"] == "Rated 5 stars" and pushed[0].card["excerpt"] == "Great beans"
    assert pushed[0].sender.username == "northwind"


def test_a_refused_answer_pushes_nothing(asked, brand, bob, monkeypatch, django_capture_on_commit_callbacks):
    from inbox import events

    pushed = []
    monkeypatch.setattr(events, "broadcast_message_updated", pushed.append, raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=4)
    assert len(pushed) == 1
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=1)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        services.answer_feedback(customer=brand, request_id=asked.pk, rating=1)
    assert len(pushed) == 1


def test_without_the_inbox_push_the_answer_is_stored_and_shows_on_the_next_load(client, asked, bob, monkeypatch,
                                                                                 django_capture_on_commit_callbacks):
    from inbox import events

    monkeypatch.delattr(events, "broadcast_message_updated", raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=3)
    client.force_login(asked.business)
    assert "Rated 3 stars" in client.get(f"/inbox/{asked.thread_id}/").content.decode()
