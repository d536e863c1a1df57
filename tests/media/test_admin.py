"""Staff see attachment metadata in the admin, never contents, names or links to the files."""

import pytest

from tests.media import samples


@pytest.fixture
def staff_client(client, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_the_admin_lists_metadata_without_names_or_links_to_files(staff_client, upload, alice, conversation, send):
    photo = upload(alice, "holiday at the beach.jpg", samples.jpeg())
    send(alice, conversation, attachments=[photo])

    listing = staff_client.get("/admin/media/attachment/")
    detail = staff_client.get(f"/admin/media/attachment/{photo.pk}/change/")

    for response in (listing, detail):
        assert response.status_code == 200
        html = response.content.decode()
        assert "image/jpeg" in html
        assert "holiday" not in html
        assert photo.file.name not in html
        assert f"/media/{photo.pk}/" not in html
    assert "alice" in listing.content.decode()


def test_the_admin_cannot_add_change_or_delete_attachments(staff_client, upload, alice):
    photo = upload(alice, "a.jpg", samples.jpeg())

    assert staff_client.get("/admin/media/attachment/add/").status_code == 403
    assert staff_client.post(f"/admin/media/attachment/{photo.pk}/delete/").status_code == 403
