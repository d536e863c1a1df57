"""The public profile page, the settings page and the avatar URL."""

import io
import re
from html import unescape

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from accounts import services
from accounts.models import Profile, User

from .pictures import (
    claimed_size_png,
    html_behind_png_signature,
    jpeg_with_orientation_and_gps,
    oversized_png,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def stored_avatars(uploads):
    folder = uploads / "avatars"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def give_avatar(user, colour=(10, 120, 200)):
    return services.update_profile(user=user, avatar=services.prepare_avatar(upload(png_bytes(colour=colour))))


# --- Profile page -----------------------------------------------------------------------------


def test_profile_shows_display_name_handle_bio_and_avatar(client, alice):
    services.update_profile(user=alice, display_name="Alice Martin", bio="Designer in Lyon.\nCoffee first.")
    give_avatar(alice)
    html = client.get("/u/alice/").content.decode()
    assert "<h1>Alice Martin</h1>" in html
    assert "@alice" in html
    assert "Designer in Lyon.\nCoffee first." in html
    assert re.search(r'<img class="avatar avatar-large" src="/u/alice/avatar/\?v=[0-9a-f]{11}\.webp"', html)


def test_profile_without_avatar_shows_the_initial(client, alice):
    html = client.get("/u/alice/").content.decode()
    assert '<span class="avatar avatar-large" aria-hidden="true">A</span>' in html


def test_bio_is_escaped(client, alice):
    services.update_profile(user=alice, display_name="<b>Al</b>", bio="<script>alert(1)</script>")
    html = client.get("/u/alice/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Al&lt;/b&gt;" in html


def test_other_logged_in_people_see_a_message_link(alice_client, bob):
    html = alice_client.get("/u/bob/").content.decode()
    assert re.search(r'<a class="button( button-primary)?" href="/inbox/new/\?to=bob">Message</a>', html)


def test_owner_and_logged_out_visitors_see_no_message_link(client, alice):
    assert ">Message</a>" not in client.get("/u/alice/").content.decode()
    client.force_login(alice)
    html = client.get("/u/alice/").content.decode()
    assert ">Message</a>" not in html
    assert "Edit profile" in html


def test_unknown_and_deactivated_people_are_not_found(client, alice):
    assert client.get("/u/nobody/").status_code == 404
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get("/u/alice/").status_code == 404


def test_profile_of_an_account_made_without_one_is_created_on_first_access(client):
    admin = User.objects.create_superuser("root", "root@example.com", "x-long-password")
    assert not Profile.objects.filter(user=admin).exists()
    assert client.get("/u/root/").status_code == 200
    assert Profile.objects.filter(user=admin).count() == 1


def test_profile_page_query_count(client, alice, bob, django_assert_num_queries):
    give_avatar(bob)
    client.force_login(alice)
    # session, the viewer, the person with their profile, follow counts and the viewer's
    # relationship to them (one statement), the "Inbox" badge total, whether they are a business,
    # then the posts app's part of the page: their posts and their pinned FAQ (no pictures to fetch
    # when there are no posts)
    with django_assert_num_queries(8):
        assert client.get("/u/bob/").status_code == 200


# --- Settings page ----------------------------------------------------------------------------


def test_settings_needs_login(client):
    response = client.get("/settings/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"


def test_settings_form_has_the_contract_labels_and_button(alice_client):
    html = alice_client.get("/settings/").content.decode()
    assert re.findall(r"<label[^>]*>([^<]+)</label>", html) == ["Display name", "Bio", "Avatar"]
    assert re.search(r"<button[^>]*>Save</button>", html)
    assert 'enctype="multipart/form-data"' in html


def test_settings_page_query_count(alice_client, django_assert_num_queries):
    # session, user, profile, the "Inbox" badge total
    with django_assert_num_queries(4):
        assert alice_client.get("/settings/").status_code == 200


def test_saving_display_name_and_bio(alice_client, alice):
    response = alice_client.post("/settings/", {"display_name": "  Alice M.  ", "bio": "Hello there"})
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    profile = Profile.objects.get(user=alice)
    assert (profile.display_name, profile.bio) == ("Alice M.", "Hello there")
    assert "Your profile is saved." in alice_client.get("/settings/").content.decode()


def test_display_name_and_bio_lengths_are_limited(alice_client, alice):
    response = alice_client.post("/settings/", {"display_name": "x" * 51, "bio": "y" * 501})
    assert response.status_code == 200
    assert response.content.decode().count('class="error"') == 2
    assert Profile.objects.get(user=alice).display_name == "Alice Martin"


def test_uploaded_avatar_is_stored_square_under_a_random_name(alice_client, alice, isolated_storage):
    response = alice_client.post(
        "/settings/", {"display_name": "Alice", "bio": "", "avatar": upload(png_bytes(300, 200), "my face.png")}
    )
    assert response.status_code == 302
    name = Profile.objects.get(user=alice).avatar.name
    assert re.fullmatch(r"avatars/[0-9a-f]{32}\.webp", name)
    assert stored_avatars(isolated_storage) == [name.split("/")[1]]
    with default_storage.open(name) as stored:
        assert Image.open(stored).size == (256, 256)


def test_uploaded_jpeg_loses_its_exif(alice_client, alice):
    alice_client.post(
        "/settings/",
        {"display_name": "", "bio": "", "avatar": upload(jpeg_with_orientation_and_gps(), "gps.jpg", "image/jpeg")},
    )
    with default_storage.open(Profile.objects.get(user=alice).avatar.name) as stored:
        data = stored.read()
    picture = Image.open(io.BytesIO(data))
    assert picture.size == (256, 256)
    assert len(picture.getexif()) == 0
    assert b"Exif" not in data


def test_new_avatar_replaces_the_old_file(alice_client, alice, isolated_storage, django_capture_on_commit_callbacks):
    give_avatar(alice)
    old_name = Profile.objects.get(user=alice).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/settings/", {"display_name": "", "bio": "", "avatar": upload(png_bytes())})
    new_name = Profile.objects.get(user=alice).avatar.name
    assert new_name != old_name
    assert stored_avatars(isolated_storage) == [new_name.split("/")[1]]


def test_remove_avatar_button_deletes_the_file(alice_client, alice, isolated_storage, django_capture_on_commit_callbacks):
    give_avatar(alice)
    html = alice_client.get("/settings/").content.decode()
    assert re.search(r'<button type="submit" name="action" value="remove_avatar"[^>]*>Remove avatar</button>', html)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/settings/", {"action": "remove_avatar"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=alice)
    assert not profile.avatar
    assert profile.display_name == "Alice Martin"
    assert stored_avatars(isolated_storage) == []


def test_no_remove_button_without_an_avatar(alice_client):
    assert "Remove avatar" not in alice_client.get("/settings/").content.decode()


BAD_AVATARS = [
    pytest.param(lambda: upload(b"I am a text file, honest.\n", "cat.png"), "isn't a picture", id="text-renamed-png"),
    pytest.param(lambda: upload(html_behind_png_signature(), "page.png"), "isn't a picture", id="html-behind-png-header"),
    pytest.param(lambda: upload(claimed_size_png(50_000, 50_000), "bomb.png"), "too many pixels", id="decompression-bomb"),
    pytest.param(lambda: upload(oversized_png(5 * 1024 * 1024), "huge.png"), "too large. The limit is 5 MB", id="over-5-mb"),
]


@pytest.mark.parametrize("bad_file, message", BAD_AVATARS)
def test_bad_avatar_is_refused_with_a_form_error_and_nothing_is_stored(alice_client, alice, isolated_storage, bad_file, message):
    response = alice_client.post("/settings/", {"display_name": "Changed", "bio": "Changed", "avatar": bad_file()})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert re.search(r'<p class="error" id="id_avatar_error">[^<]*' + re.escape(message), html)
    assert stored_avatars(isolated_storage) == []
    profile = Profile.objects.get(user=alice)
    assert not profile.avatar
    # Nothing half-saved: the rest of the form waits for a good picture too.
    assert (profile.display_name, profile.bio) == ("Alice Martin", "")


@pytest.mark.parametrize("bad_file, message", BAD_AVATARS)
def test_bad_avatar_keeps_the_previous_one(alice_client, alice, isolated_storage, bad_file, message):
    give_avatar(alice)
    before = Profile.objects.get(user=alice).avatar.name
    alice_client.post("/settings/", {"display_name": "", "bio": "", "avatar": bad_file()})
    assert Profile.objects.get(user=alice).avatar.name == before
    assert stored_avatars(isolated_storage) == [before.split("/")[1]]


def test_failed_save_removes_the_new_file_and_keeps_the_old(alice, isolated_storage, monkeypatch):
    give_avatar(alice)
    before = Profile.objects.get(user=alice).avatar.name
    monkeypatch.setattr(Profile, "save", lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("disk")))
    with pytest.raises(RuntimeError):
        give_avatar(alice)
    assert Profile.objects.get(user=alice).avatar.name == before
    assert stored_avatars(isolated_storage) == [before.split("/")[1]]


# --- Avatar URL -------------------------------------------------------------------------------


def test_avatar_is_served_with_its_type_and_a_day_of_caching(client, alice):
    give_avatar(alice)
    response = client.get("/u/alice/avatar/?v=whatever")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (256, 256)


def test_avatar_url_is_not_found_without_an_avatar(client, alice):
    assert client.get("/u/alice/avatar/").status_code == 404
    assert client.get("/u/nobody/avatar/").status_code == 404


def test_avatar_whose_file_went_missing_is_not_found(client, alice):
    give_avatar(alice)
    default_storage.delete(Profile.objects.get(user=alice).avatar.name)
    assert client.get("/u/alice/avatar/").status_code == 404
