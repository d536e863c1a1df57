"""Business fixtures: a brand (northwind) and its customers, conversations built through the services."""

import datetime

import pytest

from accounts.models import Profile
from business import services
from inbox import services as inbox_services

NINE_TO_FIVE = (datetime.time(9, 0), datetime.time(17, 0))


@pytest.fixture
def make_user(make_user):
    """Everyone takes messages from anyone here, so conversations land in the inbox."""

    def make(username, **kwargs):
        user = make_user(username, **kwargs)
        Profile.objects.filter(user=user).update(message_policy=Profile.MessagePolicy.EVERYONE)
        return user

    return make


@pytest.fixture
def brand(make_user):
    user = make_user("northwind", display_name="Northwind Coffee")
    services.save_business_profile(
        user=user, category="Coffee roaster", website="https://northwind.example", time_zone="Europe/Berlin",
        hours={day: NINE_TO_FIVE for day in range(5)}, open_to_collaborations=True,
    )
    return user


@pytest.fixture
def talk(db):
    """talk(writer, reader) -> the 1:1 thread between them."""

    def make(creator, other):
        thread, _created = inbox_services.start_thread(creator=creator, recipients=[other])
        return thread

    return make
