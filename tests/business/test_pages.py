"""Every business page: who may see it, and a query count that does not grow."""

import pytest

from accounts import services as account_services
from business import offers, services
from business.models import Offer
from inbox import services as inbox_services


def answered_conversations(brand, make_user, talk, count):
    for n in range(count):
        person = make_user(f"c{n}")
        thread = talk(person, brand)
        inbox_services.send_message(sender=person, thread=thread, body="hi")
        inbox_services.send_message(sender=brand, thread=thread, body="hello")


@pytest.mark.parametrize("count", [1, 12])
def test_a_business_profile_keeps_its_query_count(client, alice, brand, make_user, talk, count, settings,
                                                  django_assert_num_queries):
    settings.SEND_RATE_PER_MINUTE = 0
    answered_conversations(brand, make_user, talk, count)
    client.force_login(alice)
    # session, viewer, person + profile, relationship, "Inbox" badge, business profile, the
    # conversation rows for "Usually replies within …", then the posts app's part: their posts
    # and their pinned FAQ
    with django_assert_num_queries(9):
        html = client.get("/u/northwind/").content.decode()
    assert ("Usually replies within minutes" in html) == (count >= 10)


@pytest.mark.parametrize("count", [1, 20])
def test_the_quick_replies_page_keeps_its_query_count(alice_client, alice, count, django_assert_num_queries):
    for n in range(count):
        services.save_quick_reply(owner=alice, shortcut=f"r{n}", text="Hello {first_name|there}")
    # session, user, the replies, the "Inbox" badge (the settings navigation costs nothing)
    with django_assert_num_queries(4):
        html = alice_client.get("/business/quick-replies/").content.decode()
    assert html.count('class="quick-reply-row"') == count


def test_the_business_settings_page_keeps_its_query_count(client, brand, django_assert_num_queries):
    client.force_login(brand)
    # session, user, business profile, the "Inbox" badge
    with django_assert_num_queries(4):
        assert client.get("/business/settings/").status_code == 200


@pytest.mark.parametrize("feedback", [0, 5])
def test_the_customer_panel_keeps_its_query_count(client, brand, bob, talk, feedback, django_assert_num_queries):
    thread = talk(bob, brand)
    for _ in range(feedback):
        request, _ = services.ask_for_feedback(business_user=brand, thread_id=thread.pk)
        services.answer_feedback(customer=bob, request_id=request.pk, rating=4)
    client.force_login(brand)
    # session, user, business profile, thread, other member, labels, chosen labels, note,
    # follows, feedback, offers, "Inbox" badge
    with django_assert_num_queries(12):
        assert client.get(f"/business/conversations/{thread.pk}/").status_code == 200


def test_visitors_are_sent_to_log_in_everywhere(client, brand, bob, talk):
    thread = talk(bob, brand)
    for path in ("/business/quick-replies/", "/business/settings/", "/business/insights/", "/business/inbox/",
                 "/business/offers/", f"/business/conversations/{thread.pk}/", "/business/insights.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path


def test_personal_accounts_are_refused_business_pages(alice_client):
    for path in ("/business/insights/", "/business/inbox/", "/business/offers/"):
        assert alice_client.get(path).status_code == 403, path


def test_only_the_business_sees_its_offer_and_only_a_recipient_stops_it(client, brand, bob, carol, settings):
    settings.SEND_RATE_PER_MINUTE = 0
    account_services.follow(follower=bob, followed=brand)
    offer = offers.create_offer(business=brand, text="10% off", audience=Offer.Audience.FOLLOWERS)
    offers.deliver_offer(offer.pk)
    client.force_login(carol)
    assert client.get(f"/business/offers/{offer.pk}/").status_code == 404
    assert client.post(f"/business/offers/{offer.pk}/stop/").status_code == 404
    client.force_login(bob)
    assert client.post(f"/business/offers/{offer.pk}/stop/").status_code == 302


def test_asking_for_feedback_in_someone_elses_conversation_is_not_found(client, brand, bob, carol, talk, make_user):
    other_brand = make_user("spokehouse")
    services.save_business_profile(user=other_brand, category="", website="", time_zone="UTC", hours={},
                                   open_to_collaborations=False)
    thread = talk(bob, brand)
    client.force_login(other_brand)
    assert client.post(f"/business/conversations/{thread.pk}/feedback/").status_code == 404


@pytest.mark.parametrize("followers", [2, 20])
def test_the_offer_page_keeps_its_query_count(client, brand, make_user, followers, settings, django_assert_num_queries):
    settings.SEND_RATE_PER_MINUTE = 0
    for n in range(followers):
        account_services.follow(follower=make_user(f"f{n}"), followed=brand)
    offer = offers.create_offer(business=brand, text="10% off", audience=Offer.Audience.FOLLOWERS)
    offers.deliver_offer(offer.pk)
    client.force_login(brand)
    # session, user, the offer, its counts (replies in the same statement), skip reasons, "Inbox" badge
    with django_assert_num_queries(6):
        html = client.get(f"/business/offers/{offer.pk}/").content.decode()
    assert f'data-count="sent">{followers}<' in html
