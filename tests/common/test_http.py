"""Private pages are not kept by shared caches, and the 500 page renders whatever broke."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

from inbox import services as inbox_services


@pytest.fixture
def conversation(alice, bob):
    thread, _ = inbox_services.start_thread(creator=alice, recipients=[bob])
    inbox_services.send_message(sender=alice, thread=thread, body="Lunch at noon?")
    return thread


def test_pages_of_a_logged_in_person_are_private_and_never_stored(alice_client, conversation):
    for url in ("/inbox/", f"/inbox/{conversation.pk}/", "/inbox/?box=requests", "/inbox/new/", "/settings/",
                "/settings/privacy/", "/u/bob/", "/accounts/password/change/"):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], url


def test_a_page_that_varies_on_the_cookie_is_private_for_visitors_too(client, db):
    response = client.get("/accounts/login/")  # carries a CSRF token of this visitor's own
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_redirects_for_a_logged_in_person_are_private(alice_client):
    response = alice_client.get("/accounts/signup/")  # a logged-in person is sent on to the inbox
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"


def test_a_view_that_chose_its_cache_control_keeps_it(alice_client, alice, settings):
    from accounts.views import AVATAR_CONTENT_TYPES  # noqa: F401 (the avatar view sets its own)
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("avatars/a.png", ContentFile(b"\x89PNG fake"))
    alice.profile.avatar.name = name
    alice.profile.save(update_fields=["avatar"])
    response = alice_client.get("/u/alice/avatar/")
    assert response["Cache-Control"] == "public, max-age=86400"


def test_static_files_are_left_cacheable(alice_client):
    response = alice_client.get("/static/css/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_500_page_renders_when_the_static_manifest_is_missing(client, settings, tmp_path, caplog, db):
    # PARLEY_DEBUG=0 without collectstatic: {% static %} raises inside the error template itself.
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.common.urls"
    settings.STATIC_ROOT = tmp_path / "static-never-collected"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "/static/" not in html
    # Its one inline style is allowed by a policy of its own, and nothing else is.
    assert response["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha256-")
    assert any("could not render" in record.getMessage() for record in caplog.records)


def test_the_500_page_renders_when_the_database_is_down(client, settings, db):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.common.urls"
    client.raise_request_exception = False
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("the database went away")):
        response = client.get("/broken-db/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "css/site.css" in html  # the real template, not the fallback
