import datetime
import statistics

import pytest
from django.utils import timezone

from business import services
from business.models import FeedbackRequest
from inbox import services as inbox_services
from inbox.models import Message, Thread

NOW = timezone.now()


def at_minutes(minutes_ago):
    return NOW - datetime.timedelta(minutes=minutes_ago)


def write(thread, lines):
    """lines: [(minutes ago, sender)] in order: sent through the service, then dated."""
    for minutes_ago, sender in lines:
        message, _ = inbox_services.send_message(sender=sender, thread=thread, body="text")
        Message.objects.filter(pk=message.pk).update(created=at_minutes(minutes_ago))


def test_response_times_are_the_ones_computed_by_hand(brand, make_user, talk):
    ann, ben = make_user("ann", display_name="Ann"), make_user("ben", display_name="Ben")
    first, second = talk(ann, brand), talk(ben, brand)
    # Ann writes at -100 and -95, northwind answers at -70 (30 min after -100), Ann at -60, answer at -50 (10 min).
    write(first, [(100, ann), (95, ann), (70, brand), (60, ann), (50, brand)])
    # Ben writes at -40, answered at -38 (2 min); writes at -10, not answered yet.
    write(second, [(40, ben), (38, brand), (10, ben)])
    figures = services.insights(brand, now=NOW)
    week = figures["periods"][0]
    # first responses: 30 min and 2 min; every response: 30, 10, 2 min
    assert week["median_first_response"] == statistics.median([30 * 60, 2 * 60]) == 16 * 60
    assert week["median_response"] == 10 * 60
    assert (week["received"], week["sent"]) == (5, 3)
    assert week["conversations_started"] == 2
    assert figures["unanswered"] == 1


def test_automatic_replies_do_not_count_as_answers():
    rows = [(1, 2, at_minutes(10), None), (1, 9, at_minutes(9), "automatic_reply:greeting"), (1, 9, at_minutes(4), None)]
    first, every = services.response_times(rows, business_id=9)
    assert first == every == [6 * 60]


def test_feedback_average_and_distribution(brand, make_user, talk):
    for name, rating in (("ann", 5), ("ben", 4), ("cat", 5)):
        person = make_user(name)
        request, _ = services.ask_for_feedback(business_user=brand, thread_id=talk(person, brand).pk)
        services.answer_feedback(customer=person, request_id=request.pk, rating=rating)
    month = services.insights(brand)["periods"][1]
    assert month["feedback_average"] == 4.7
    assert month["feedback_distribution"] == [(1, 0), (2, 0), (3, 0), (4, 1), (5, 2)]


def test_responsiveness_needs_ten_answered_conversations(brand, make_user, talk):
    people = [make_user(f"fan{n}") for n in range(10)]
    for person in people[:9]:
        write(talk(person, brand), [(50, person), (20, brand)])  # 30 min each
    assert services.responsiveness(brand, now=NOW) == ""
    write(talk(people[9], brand), [(50, people[9]), (40, brand)])
    assert services.responsiveness(brand, now=NOW) == "Usually replies within an hour"


@pytest.mark.parametrize(("seconds", "said"), [
    (5 * 60, "Usually replies within minutes"), (50 * 60, "Usually replies within an hour"),
    (3 * 3600, "Usually replies within a few hours"), (20 * 3600, "Usually replies within a day"),
])
def test_responsiveness_words(seconds, said):
    assert services.describe_response_time(seconds) == said


def bulk_messages(brand, customer, thread, count):
    """count messages alternating customer/brand, built with bulk_create (the service would take minutes)."""
    start = NOW - datetime.timedelta(days=20)
    Message.objects.bulk_create([
        Message(thread=thread, sender=customer if n % 2 == 0 else brand, body=f"m{n}", seq=n + 1,
                created=start + datetime.timedelta(minutes=n))
        for n in range(count)
    ])
    Thread.objects.filter(pk=thread.pk).update(last_seq=count)


@pytest.mark.parametrize("count", [10, 10_000])
def test_insights_page_query_count_does_not_grow_with_messages(client, brand, bob, talk, count,
                                                               django_assert_num_queries):
    bulk_messages(brand, bob, talk(bob, brand), count)
    client.force_login(brand)
    # session, user, business profile, messages of the brand's 1:1s, conversations started,
    # unanswered now, feedback, offers sent and replied to, the navigation's "Inbox" badge
    with django_assert_num_queries(9):
        response = client.get("/business/insights/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<td>{count // 2}</td>" in html
    # Each reply came one minute after the question.
    assert "1 min" in html


def test_insights_csv(client, brand, bob, talk):
    write(talk(bob, brand), [(30, bob), (20, brand)])
    client.force_login(brand)
    response = client.get("/business/insights.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Figure,Last 7 days,Last 30 days"
    assert "Median first response (seconds),600,600" in lines
    assert 'Download CSV' in client.get("/business/insights/").content.decode()


def test_insights_are_for_business_accounts_only(client, alice):
    client.force_login(alice)
    assert client.get("/business/insights/").status_code == 403
    assert client.get("/business/insights.csv").status_code == 403
    client.logout()
    assert client.get("/business/insights/").status_code == 302


def test_the_navigation_links_insights_for_a_business_after_login(client, brand):
    from tests.conftest import PASSWORD

    client.post("/accounts/login/", {"username": "northwind", "password": PASSWORD})
    assert '>Insights</a>' in client.get("/inbox/").content.decode()
