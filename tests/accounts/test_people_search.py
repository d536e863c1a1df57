"""Finding a person by name or username wherever one is picked (new message, add to group)."""

import pytest

from accounts import services
from accounts.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "alice": make_user("alice", display_name="Alice Martin"),
        "bob": make_user("bob", display_name="Bob Okafor"),
        "bobby": make_user("bobby", display_name="Roberta Vance"),
        "carol": make_user("carol", display_name="Carol Bobbins"),
        "gone": make_user("bobgone", display_name="Old Bob", is_active=False),
    }


def usernames(people):
    return [person.username for person in people]


def test_people_are_found_by_username_start_or_a_word_of_their_name(people):
    alice = people["alice"]
    assert usernames(services.search_people(viewer=alice, query="bob")) == ["bob", "bobby", "carol"]
    assert usernames(services.search_people(viewer=alice, query="@Rob")) == ["bobby"]
    assert usernames(services.search_people(viewer=alice, query="okaf")) == ["bob"]
    assert services.search_people(viewer=alice, query="  ") == []
    assert "alice" not in usernames(services.search_people(viewer=alice, query="ali"))


def test_nobody_with_a_block_between_us_is_suggested_either_way(people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    services.block(blocker=alice, blocked=bob)
    services.block(blocker=carol, blocked=alice)
    assert usernames(services.search_people(viewer=alice, query="bob")) == ["bobby"]


def test_the_endpoint_answers_json_for_logged_in_people_in_one_query(people, client, django_assert_num_queries):
    client.force_login(people["alice"])
    client.get("/")
    with django_assert_num_queries(3):  # session, user, the people with profiles
        response = client.get("/people/search/", {"q": "bob"})
    data = response.json()["people"]
    assert [person["username"] for person in data] == ["bob", "bobby", "carol"]
    assert data[0]["name"] == "Bob Okafor" and 'class="avatar' in data[0]["avatar"]
    client.logout()
    assert client.get("/people/search/", {"q": "bob"}).status_code == 302
