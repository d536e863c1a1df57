import pytest
from django.core.management import CommandError, call_command

from accounts.demo import DEMO_PASSWORD, create_demo_people
from accounts.models import Profile, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def seed(*args):
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_people_and_brands_with_avatars_and_prints_the_logins(debug, isolated_storage):
    output = seed()
    assert output.strip().splitlines()[-1] == (
        f"Demo logins (password: {DEMO_PASSWORD}): alice, bob, carol, dan, northwind, spokehouse, erin"
    )
    assert User.objects.count() == 7
    northwind = Profile.objects.get(user__username="northwind")
    assert northwind.display_name == "Northwind Coffee Roasters"
    assert northwind.bio
    assert all(profile.avatar for profile in Profile.objects.all())
    assert len(list((isolated_storage / "avatars").iterdir())) == 7
    assert User.objects.get(username="alice").check_password(DEMO_PASSWORD)


def test_seed_demo_is_idempotent(debug, isolated_storage):
    seed()
    seed()
    assert User.objects.count() == 7
    assert Profile.objects.count() == 7
    assert len(list((isolated_storage / "avatars").iterdir())) == 7


def test_if_empty_does_nothing_when_accounts_exist_but_still_prints_the_logins(debug, alice):
    output = seed("--if-empty")
    assert User.objects.count() == 1
    assert "no demo data was added" in output
    assert f"Demo logins (password: {DEMO_PASSWORD}): alice" in output


def test_if_empty_seeds_an_empty_site(debug):
    seed("--if-empty")
    assert User.objects.count() == 7


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="public password"):
        seed()
    assert not User.objects.exists()
    seed("--allow-production")
    assert User.objects.count() == 7


def test_create_demo_people_returns_everyone_by_username(debug):
    people = create_demo_people()
    assert set(people) == {"alice", "bob", "carol", "dan", "northwind", "spokehouse", "erin"}
    assert people["bob"].profile.display_name == "Bob Okafor"
    assert create_demo_people()["bob"].pk == people["bob"].pk


def test_demo_people_follow_each_other_and_the_brands_take_messages_from_anyone(debug, isolated_storage):
    from accounts import services
    from accounts.models import Follow

    seed()
    seed()
    people = {user.username: user for user in User.objects.all()}
    # Four people follow the five other accounts each; brands and the newcomer follow nobody, nobody follows her.
    assert Follow.objects.count() == 4 * 5
    assert not Follow.objects.filter(follower__username="erin").exists()
    assert services.message_route(sender=people["erin"], recipient=people["alice"]) == "request"
    assert services.message_route(sender=people["dan"], recipient=people["alice"]) == "inbox"
    assert services.message_route(sender=people["northwind"], recipient=people["bob"]) == "inbox"
    assert services.message_route(sender=people["carol"], recipient=people["spokehouse"]) == "inbox"
    assert Profile.objects.get(user__username="northwind").message_policy == "everyone"
