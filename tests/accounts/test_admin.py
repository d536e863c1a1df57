import pytest

from accounts import services
from accounts.models import Profile

from .pictures import png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x-long-password")
    client.force_login(admin)
    return client


def test_user_changelist_shows_the_useful_columns(admin_client, alice):
    html = admin_client.get("/admin/accounts/user/").content.decode()
    for column in ["Username", "Email address", "Display name", "Active", "Staff status", "Date joined", "Last login"]:
        assert column in html
    assert "Alice Martin" in html


def test_user_search_finds_display_names_and_emails(admin_client, alice, bob):
    html = admin_client.get("/admin/accounts/user/", {"q": "Okafor"}).content.decode()
    assert "bob@example.com" in html and "alice@example.com" not in html
    html = admin_client.get("/admin/accounts/user/", {"q": "alice@example"}).content.decode()
    assert "Alice Martin" in html and "Bob Okafor" not in html


def test_user_filters_work(admin_client, alice, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    html = admin_client.get("/admin/accounts/user/", {"is_active__exact": "0"}).content.decode()
    assert "bob@example.com" in html and "alice@example.com" not in html


def test_user_changelist_queries_do_not_grow_with_users(admin_client, make_user, django_assert_max_num_queries):
    for index in range(3):
        make_user(f"person{index}", display_name=f"Person {index}")
    with django_assert_max_num_queries(8) as few:
        admin_client.get("/admin/accounts/user/")
    for index in range(3, 20):
        make_user(f"person{index}", display_name=f"Person {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/admin/accounts/user/")


def test_user_change_and_add_pages_render(admin_client, alice):
    services.update_profile(user=alice, avatar=services.prepare_avatar(upload(png_bytes())))
    change = admin_client.get(f"/admin/accounts/user/{alice.pk}/change/")
    assert change.status_code == 200
    assert "/u/alice/avatar/?v=" in change.content.decode()
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200


def test_admin_can_add_a_user(admin_client, django_user_model):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "erin",
            "usable_password": "true",
            "password1": "a-long-admin-passphrase",
            "password2": "a-long-admin-passphrase",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-display_name": "Erin",
            "profile-0-bio": "",
        },
    )
    assert response.status_code == 302
    assert Profile.objects.get(user__username="erin").display_name == "Erin"


def test_profile_changelist_and_search_render(admin_client, alice, bob):
    html = admin_client.get("/admin/accounts/profile/", {"q": "alice"}).content.decode()
    assert "Alice Martin" in html and "Bob Okafor" not in html
    assert admin_client.get(f"/admin/accounts/profile/{alice.profile.pk}/change/").status_code == 200


def test_admin_action_removes_avatars(admin_client, alice, isolated_storage, django_capture_on_commit_callbacks):
    services.update_profile(user=alice, avatar=services.prepare_avatar(upload(png_bytes())))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/accounts/profile/",
            {"action": "remove_avatars", "_selected_action": [alice.profile.pk]},
        )
    assert not Profile.objects.get(user=alice).avatar
    assert list((isolated_storage / "avatars").iterdir()) == []


def test_people_without_staff_status_are_kept_out(alice_client):
    assert alice_client.get("/admin/accounts/user/").status_code == 302
