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



@pytest.fixture
def pushes(monkeypatch):
    """Every (group, frame) pushed, in order, instead of sent on the channel layer."""
    from inbox import events

    sent = []
    monkeypatch.setattr(events, "dispatch", lambda batch: sent.extend(batch))
    return sent


def test_an_answer_is_pushed_once_to_everyone_in_the_conversation_after_commit(asked, brand, bob, pushes,
                                                                              django_capture_on_commit_callbacks):
    # The answer changes the asking message's card (no new message): "message.updated", once per
    # member, after the commit; nothing before it.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=5, comment="Great beans")
    assert pushes == []
    for callback in callbacks:
        callback()
    message = Message.objects.get(card_key=f"feedback:{asked.pk}")
    assert sorted(group for group, _frame in pushes) == sorted([f"user.{brand.pk}", f"user.{bob.pk}"])
    frame = pushes[0][1]
    assert frame["type"] == "message.updated" and frame["message"]["id"] == message.pk
    assert frame["message"]["card"]["unavailable_text"] == "Rated 5 stars"
    assert "Rated 5 stars" in frame["html"] and "Great beans" in frame["html"] and ">5 stars</button>" not in frame["html"]


def test_a_refused_answer_pushes_nothing(asked, brand, bob, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_feedback(customer=bob, request_id=asked.pk, rating=4)
    assert len(pushes) == 2
    for customer, rating in ((bob, 1), (brand, 1)):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
            services.answer_feedback(customer=customer, request_id=asked.pk, rating=rating)
    assert len(pushes) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_business_open_tab_sees_the_rating_live(brand, bob, talk):
    from channels.db import database_sync_to_async
    from channels.layers import channel_layers
    from channels.testing import WebsocketCommunicator

    from inbox.consumers import InboxConsumer

    channel_layers.backends.clear()  # a layer of this test's own event loop
    thread = await database_sync_to_async(talk)(bob, brand)
    request, _message = await database_sync_to_async(services.ask_for_feedback)(business_user=brand, thread_id=thread.pk)
    tab = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/", headers=[(b"origin", b"http://localhost")])
    tab.scope["user"] = brand
    assert (await tab.connect(timeout=5))[0]
    try:
        await database_sync_to_async(services.answer_feedback)(customer=bob, request_id=request.pk, rating=5)
        frame = await tab.receive_json_from(timeout=5)
        assert frame["type"] == "message.updated" and frame["thread"] == thread.pk
        assert "Rated 5 stars" in frame["html"]
        assert await tab.receive_nothing(timeout=0.3)  # once
    finally:
        await tab.disconnect(timeout=1)
        channel_layers.backends.clear()
