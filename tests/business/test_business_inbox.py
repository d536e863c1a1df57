import datetime

import pytest
from django.utils import timezone

from business import services
from business.models import ConversationFolder
from common.errors import Refused
from inbox import services as inbox_services
from inbox.models import Message


def write(thread, sender, body, minutes_ago):
    message, _ = inbox_services.send_message(sender=sender, thread=thread, body=body)
    Message.objects.filter(pk=message.pk).update(created=timezone.now() - datetime.timedelta(minutes=minutes_ago))
    return message


@pytest.fixture
def customers(brand, make_user, talk):
    """ann waits 50 min, ben 10 min (after an earlier answer), cat was answered."""
    ann, ben, cat = (make_user(name, display_name=name.title()) for name in ("ann", "ben", "cat"))
    threads = {person.username: talk(person, brand) for person in (ann, ben, cat)}
    write(threads["ann"], ann, "Where is my order?", 50)
    write(threads["ben"], ben, "Hi", 90)
    write(threads["ben"], brand, "Hello!", 80)
    write(threads["ben"], ben, "Do you ship to Oslo?", 10)
    write(threads["cat"], cat, "Thanks", 30)
    write(threads["cat"], brand, "You're welcome", 20)
    return threads


def test_filters_count_and_order_the_folder(brand, customers):
    listing = services.business_inbox(owner=brand, show="waiting")
    assert listing["counts"]["all"] == 3
    assert listing["counts"]["unanswered"] == 2
    assert listing["counts"]["unread"] == 2
    assert [row.others[0].user.username for row in listing["rows"]] == ["ann", "ben"]
    assert round(listing["rows"][0].waited / 60) == 50
    assert round(listing["rows"][1].waited / 60) == 10


def test_labels_filter_and_count(brand, customers):
    vip = services.create_label(owner=brand, name="VIP", colour="green")
    services.set_conversation_labels(owner=brand, thread_id=customers["cat"].pk, label_ids=[vip.pk])
    listing = services.business_inbox(owner=brand, label_id=vip.pk)
    assert [row.others[0].user.username for row in listing["rows"]] == ["cat"]
    assert [(label.name, label.count) for label in listing["labels"]] == [("VIP", 1)]


def test_moving_a_conversation_to_general_and_back(brand, customers):
    services.move_conversation(owner=brand, thread_id=customers["ann"].pk, folder="general")
    assert services.business_inbox(owner=brand)["counts"]["all"] == 2
    general = services.business_inbox(owner=brand, folder="general")
    assert [row.others[0].user.username for row in general["rows"]] == ["ann"]
    services.move_conversation(owner=brand, thread_id=customers["ann"].pk, folder="primary")
    assert not ConversationFolder.objects.exists()


def test_labels_notes_and_folders_are_the_business_own(brand, customers, carol, client):
    with pytest.raises(Refused):
        services.move_conversation(owner=carol, thread_id=customers["ann"].pk, folder="general")
    client.force_login(carol)
    assert client.get(f"/business/conversations/{customers['ann'].pk}/").status_code in (403, 404)
    assert client.post(f"/business/conversations/{customers['ann'].pk}/", {"note": "x"}).status_code in (403, 404)
    ann = customers["ann"].participants.exclude(user=brand).get().user
    client.force_login(ann)
    # The customer is in the conversation but is no business: no panel, no notes about themselves.
    assert client.get(f"/business/conversations/{customers['ann'].pk}/").status_code == 403


@pytest.mark.parametrize("extra", [0, 10])
def test_the_business_inbox_page_keeps_its_query_count(client, brand, customers, make_user, talk, extra,
                                                       django_assert_num_queries):
    label = services.create_label(owner=brand, name="VIP", colour="green")
    for n in range(extra):
        person = make_user(f"fan{n}")
        thread = talk(person, brand)
        write(thread, person, "hello", n + 1)
        services.set_conversation_labels(owner=brand, thread_id=thread.pk, label_ids=[label.pk])
    client.force_login(brand)
    # session, user, business profile, counts, labels with counts, rows (waiting time in the same
    # statement), members with profiles, the rows' labels, the navigation's "Inbox" badge
    with django_assert_num_queries(9):
        response = client.get("/business/inbox/?show=waiting")
    html = response.content.decode()
    assert "Waiting longest" in html and "Move to General" in html
    assert "Waiting 50 min" in html


def test_the_customer_panel_shows_follows_labels_note_and_feedback(client, brand, customers):
    thread = customers["ann"]
    ann = thread.participants.exclude(user=brand).get().user
    from accounts import services as account_services

    account_services.follow(follower=ann, followed=brand)
    request, _ = services.ask_for_feedback(business_user=brand, thread_id=thread.pk)
    services.answer_feedback(customer=ann, request_id=request.pk, rating=4, comment="Quick")
    client.force_login(brand)
    client.post(f"/business/conversations/{thread.pk}/", {"note": "Prefers whole beans"})
    html = client.get(f"/business/conversations/{thread.pk}/").content.decode()
    assert "Follows you" in html and "Prefers whole beans" in html and "4 of 5" in html


def test_the_panel_beside_the_conversation_is_a_partial_and_posts_back_to_it(client, brand, customers):
    thread = customers["ann"]
    client.force_login(brand)
    html = client.get(f"/business/conversations/{thread.pk}/?partial=panel").content.decode()
    assert html.lstrip().startswith('<section class="card customer-panel"')
    response = client.post(f"/business/conversations/{thread.pk}/", {"note": "VIP", "back": "thread"})
    assert response["Location"] == f"/inbox/{thread.pk}/"
    page = client.get(f"/inbox/{thread.pk}/").content.decode()
    assert "data-customer-panel" in page and "Ask for feedback" in page
