"""Blocks in the admin: visible to superusers for abuse handling, read-only, hidden from other staff."""

import pytest

from accounts import services
from accounts.models import Block

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x-long-password"))
    return client


@pytest.fixture
def staff_client(client, django_user_model):
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user("mod", "mod@example.com", "x-long-password", is_staff=True)
    # Even a staff member given every permission on blocks does not see them: superusers only.
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    client.force_login(staff)
    return client


def test_superusers_see_who_blocked_whom_and_when(superuser_client, alice, bob, carol):
    services.block(blocker=alice, blocked=bob)
    services.block(blocker=carol, blocked=bob)
    response = superuser_client.get("/admin/accounts/block/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="field-blocker') == 2
    assert "alice" in html and "carol" in html
    html = superuser_client.get("/admin/accounts/block/", {"q": "carol"}).content.decode()
    assert html.count('class="field-blocker') == 1


def test_blocks_cannot_be_added_changed_or_deleted_in_the_admin(superuser_client, alice, bob):
    services.block(blocker=alice, blocked=bob)
    block = Block.objects.get()
    assert superuser_client.get("/admin/accounts/block/add/").status_code == 403
    assert superuser_client.post(f"/admin/accounts/block/{block.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser_client.post(f"/admin/accounts/block/{block.pk}/change/", {"blocker": bob.pk, "blocked": alice.pk})
    assert Block.objects.filter(blocker=alice, blocked=bob).count() == 1


def test_other_staff_do_not_see_blocks(staff_client, alice, bob):
    services.block(blocker=alice, blocked=bob)
    assert staff_client.get("/admin/accounts/block/").status_code == 403
    assert "/admin/accounts/block/" not in staff_client.get("/admin/").content.decode()


def test_mutes_and_follows_are_not_in_the_admin(superuser_client):
    assert superuser_client.get("/admin/accounts/personmute/").status_code == 404
    assert superuser_client.get("/admin/accounts/follow/").status_code == 404


def test_profiles_show_the_message_policy_read_only(superuser_client, alice):
    services.set_message_policy(user=alice, policy="followed")
    html = superuser_client.get("/admin/accounts/profile/", {"message_policy__exact": "followed"}).content.decode()
    assert "Only people I follow" in html
    profile = alice.profile
    html = superuser_client.get(f"/admin/accounts/profile/{profile.pk}/change/").content.decode()
    assert 'name="message_policy"' not in html and "Only people I follow" in html
