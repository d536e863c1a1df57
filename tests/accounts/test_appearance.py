"""Settings, Appearance: the account's theme, drawn by the server on <html> of every page and the admin."""

import re

import pytest

from accounts import services
from accounts.models import User
from common.errors import Refused

pytestmark = pytest.mark.django_db


def html_tag(response):
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def test_appearance_page_needs_login(client):
    response = client.get("/settings/appearance/")
    assert response["Location"] == "/accounts/login/?next=/settings/appearance/"


def test_appearance_page_offers_three_labelled_choices_with_mine_checked(alice_client, django_assert_num_queries):
    # session, user, the navigation's unread count
    with django_assert_num_queries(3):
        response = alice_client.get("/settings/appearance/")
    html = response.content.decode()
    assert "<legend>Appearance</legend>" in html
    labels = re.findall(r'<label for="id_theme_\d">([^<]+)</label>', html)
    assert labels == ["Match my device", "Light", "Dark"]
    assert re.search(r'value="system" id="id_theme_0" checked', html)
    assert '<a href="/settings/appearance/" aria-current="page">Appearance</a>' in html


def test_choosing_dark_is_saved_and_drawn_on_every_page(alice_client, alice, django_assert_num_queries):
    response = alice_client.post("/settings/appearance/", {"theme": "dark"}, follow=True)
    alice.refresh_from_db()
    assert alice.theme == "dark"
    assert response.redirect_chain == [("/settings/appearance/", 302)]
    assert "Your appearance is saved." in response.content.decode()
    assert re.search(r'value="dark" id="id_theme_2" checked', response.content.decode())
    assert 'data-theme="dark"' in html_tag(response)
    assert '<meta name="color-scheme" content="dark">' in response.content.decode()
    # The theme rides on the user row, which every page loads anyway: no query of its own.
    with django_assert_num_queries(3):  # session, user, the navigation's unread count
        assert 'data-theme="dark"' in html_tag(alice_client.get("/settings/appearance/"))
    assert 'data-theme="dark"' in html_tag(alice_client.get("/inbox/"))


def test_choosing_light_overrides_the_device(alice_client, alice):
    services.set_theme(user=alice, theme="light")
    response = alice_client.get("/inbox/")
    assert 'data-theme="light"' in html_tag(response)
    assert '<meta name="color-scheme" content="light">' in response.content.decode()


def test_matching_the_device_draws_no_theme_and_lets_the_stylesheet_follow_it(alice_client, alice, client):
    services.set_theme(user=alice, theme="dark")
    services.set_theme(user=alice, theme="system")
    response = alice_client.get("/inbox/")
    assert "data-theme" not in html_tag(response)
    assert '<meta name="color-scheme" content="light dark">' in response.content.decode()
    client.logout()
    assert "data-theme" not in html_tag(client.get("/accounts/login/"))


def test_an_unknown_choice_is_refused_and_nothing_changes(alice_client, alice):
    services.set_theme(user=alice, theme="light")
    response = alice_client.post("/settings/appearance/", {"theme": "sepia"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    alice.refresh_from_db()
    assert alice.theme == "light"


def test_the_service_refuses_an_unknown_theme(alice):
    with pytest.raises(Refused) as refused:
        services.set_theme(user=alice, theme="sepia")
    assert refused.value.code == "bad_request"
    assert User.objects.get(pk=alice.pk).theme == "system"


def test_carol_choosing_dark_changes_nothing_for_alice(alice_client, alice, carol, client):
    services.set_theme(user=carol, theme="dark")
    assert "data-theme" not in html_tag(alice_client.get("/inbox/"))


def test_the_admin_is_handed_the_account_theme(client, make_user):
    staff = make_user("root", is_staff=True, is_superuser=True)
    services.set_theme(user=staff, theme="dark")
    client.force_login(staff)
    html = client.get("/admin/").content.decode()
    script = re.search(r'<script src="[^"]*js/admin_theme\.js" data-theme="dark"></script>', html)
    theme_js = html.index("admin/js/theme.js")
    assert script and script.start() < theme_js, "the theme must be in localStorage before theme.js reads it"
    # Its own toggle would be undone by the next page: signed in, it links to Parley's setting.
    assert '<a href="/settings/appearance/">Appearance</a>' in html
    assert 'class="theme-toggle"' not in html


def test_the_admin_login_keeps_the_device_theme_and_its_toggle(client):
    html = client.get("/admin/login/").content.decode()
    assert "admin_theme.js" not in html
    assert 'class="theme-toggle"' in html
