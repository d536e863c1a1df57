import json

import pytest

from business import services
from business.models import QuickReply
from common.errors import Refused
from inbox import services as inbox_services


def test_placeholders_are_filled_for_the_other_person(alice, bob):
    text = "Hi {first_name}! I'm {my_name}. {display_name} is @{username}."
    assert services.fill_placeholders(text, me=alice, other=bob) == "Hi Bob! I'm Alice Martin. Bob Okafor is @bob."


def test_a_first_name_of_the_account_wins_over_the_display_name(alice, bob):
    bob.first_name = "Roberto"
    assert services.fill_placeholders("Hi {first_name}", me=alice, other=bob) == "Hi Roberto"


def test_the_fallback_fills_in_when_there_is_no_first_name(alice, make_user):
    nameless = make_user("x42")
    assert services.fill_placeholders("Hi {first_name|there}!", me=alice, other=nameless) == "Hi there!"
    assert services.fill_placeholders("Hi {first_name}!", me=alice, other=nameless) == "Hi !"
    # No particular other person (a group): only the fallbacks and my own name.
    assert services.fill_placeholders("Hi {first_name|all}, {my_name}", me=alice, other=None) == "Hi all, Alice Martin"


def test_a_fallback_is_not_used_when_there_is_a_value(alice, bob):
    assert services.fill_placeholders("Hi {first_name|there}!", me=alice, other=bob) == "Hi Bob!"


@pytest.mark.parametrize("text", ["Hi {frist_name}", "Hi {}", "Hi { first }", "{first_name|" + "x" * 41 + "}"])
def test_an_unknown_placeholder_is_refused_when_saved(alice, text):
    with pytest.raises(Refused) as refused:
        services.save_quick_reply(owner=alice, shortcut="hi", text=text)
    assert refused.value.code == "unknown_placeholder"
    assert not QuickReply.objects.exists()


def test_a_shortcut_is_unique_per_account_and_loses_its_slash(alice, bob):
    reply = services.save_quick_reply(owner=alice, shortcut="/Thanks", text="Thanks!")
    assert reply.shortcut == "thanks"
    with pytest.raises(Refused) as refused:
        services.save_quick_reply(owner=alice, shortcut="thanks", text="Again")
    assert refused.value.code == "duplicate_shortcut"
    services.save_quick_reply(owner=bob, shortcut="thanks", text="Bob's own")


@pytest.mark.parametrize("shortcut", ["", "/", "two words", "x" * 31, "émoji"])
def test_a_bad_shortcut_is_refused(alice, shortcut):
    with pytest.raises(Refused):
        services.save_quick_reply(owner=alice, shortcut=shortcut, text="Hello")


def test_the_settings_page_saves_edits_and_deletes_a_reply(alice_client, alice):
    page = alice_client.get("/business/quick-replies/")
    html = page.content.decode()
    assert page.status_code == 200
    assert ">Shortcut</label>" in html and ">Text</label>" in html
    assert 'href="/business/quick-replies/"' in html and ">Quick replies</a>" in html

    response = alice_client.post("/business/quick-replies/", {"shortcut": "thanks", "text": "Thanks {first_name|there}!"})
    assert response.status_code == 302
    reply = QuickReply.objects.get(owner=alice)
    alice_client.post("/business/quick-replies/", {"reply": reply.pk, "shortcut": "thx", "text": "Cheers"})
    reply.refresh_from_db()
    assert (reply.shortcut, reply.text) == ("thx", "Cheers")
    alice_client.post("/business/quick-replies/", {"delete": reply.pk})
    assert not QuickReply.objects.exists()


def test_the_settings_page_shows_the_refusal_and_keeps_the_text(alice_client):
    response = alice_client.post("/business/quick-replies/", {"shortcut": "oops", "text": "Hi {name}"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown placeholder {name}" in html
    assert "Hi {name}" in html
    assert not QuickReply.objects.exists()


def test_nobody_deletes_someone_elses_reply(client, alice, bob):
    reply = services.save_quick_reply(owner=alice, shortcut="thanks", text="Thanks")
    client.force_login(bob)
    client.post("/business/quick-replies/", {"delete": reply.pk})
    assert QuickReply.objects.filter(pk=reply.pk).exists()


def test_the_composer_list_comes_filled_in_for_the_other_person(client, alice, bob, talk, django_assert_num_queries):
    thread = talk(alice, bob)
    services.save_quick_reply(owner=alice, shortcut="thanks", text="Thanks {first_name|there}, {my_name}")
    services.save_quick_reply(owner=alice, shortcut="hours", text="We open at 9")
    client.force_login(alice)
    # session, user, the thread (membership checked), the other member with profile, the replies,
    # my own profile (for {my_name})
    with django_assert_num_queries(6):
        response = client.get(f"/business/quick-replies/for/{thread.pk}/")
    assert json.loads(response.content) == {"replies": [
        {"shortcut": "hours", "text": "We open at 9"},
        {"shortcut": "thanks", "text": "Thanks Bob, Alice Martin"},
    ]}


def test_the_composer_list_keeps_its_query_count_with_many_replies(client, alice, bob, talk, django_assert_num_queries):
    thread = talk(alice, bob)
    for n in range(30):
        services.save_quick_reply(owner=alice, shortcut=f"r{n}", text=f"Reply {n} for {{first_name}}")
    client.force_login(alice)
    with django_assert_num_queries(6):
        response = client.get(f"/business/quick-replies/for/{thread.pk}/")
    assert len(json.loads(response.content)["replies"]) == 30


def test_outsiders_and_visitors_get_no_quick_reply_list(client, alice, bob, carol, talk):
    thread = talk(alice, bob)
    assert client.get(f"/business/quick-replies/for/{thread.pk}/").status_code == 302
    client.force_login(carol)
    assert client.get(f"/business/quick-replies/for/{thread.pk}/").status_code == 404


def test_the_conversation_page_offers_the_listbox_without_an_extra_query(client, alice, bob, talk):
    thread = talk(alice, bob)
    inbox_services.send_message(sender=bob, thread=thread, body="hello")
    client.force_login(alice)
    html = client.get(f"/inbox/{thread.pk}/").content.decode()
    assert 'role="listbox"' in html and 'aria-label="Quick replies"' in html
    assert "js/quick_replies.js" in html
    # Only a business account gets the business tools.
    assert "Ask for feedback" not in html
