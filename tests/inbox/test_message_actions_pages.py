"""The message menu without JavaScript: each action is a small form on the conversation page."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from inbox import services
from inbox.models import HiddenMessage, Message, Reaction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_limits")]


@pytest.fixture
def direct(make_thread, alice, bob):
    return make_thread(alice, bob)


def say(sender, thread, body="hello", **extra):
    return services.send_message(sender=sender, thread=thread, body=body, **extra)[0]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def flash(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_page_offers_the_menu_with_its_accessible_names(direct, alice, bob):
    say(bob, direct, "hi")
    html = client_for(alice).get(f"/inbox/{direct.pk}/").content.decode()
    for name in (">React</summary>", ">Reply</a>", ">Forward</a>", ">More</summary>", ">Edit</a>", ">Unsend</button>",
                 ">Delete for me</button>", ">Report</a>"):
        assert name in html, name
    assert 'aria-label="React with ❤️"' in html
    # which items are mine is decided by the page's style, by sender: it holds without JavaScript
    assert '.message[data-sender="alice"] .only-theirs' in html
    # the buttons post the page's one form, which holds the token: a message carries none of its own
    assert html.count('form="message-action"') == 8 and 'id="message-action"' in html  # six emoji, Unsend, Delete for me
    assert html.split('id="message-action"')[1].split("</form>")[0].count('name="csrfmiddlewaretoken"') == 1


def test_react_reply_edit_unsend_and_hide_as_plain_posts(direct, alice, bob):
    original = say(bob, direct, "Lunch at noon?")
    alices = client_for(alice)
    base = f"/inbox/{direct.pk}/messages/{original.seq}/"

    response = alices.post(base + "react/", {"emoji": "👍"})
    assert response.status_code == 302 and f"?at={original.seq}" in response.url
    assert Reaction.objects.get().emoji == "👍"

    page = alices.get(f"/inbox/{direct.pk}/?reply_to={original.seq}").content.decode()
    assert "Replying to bob" in page and f'name="reply_to" value="{original.seq}"' in page
    alices.post(f"/inbox/{direct.pk}/", {"body": "Sure!", "reply_to": original.seq})
    reply = Message.objects.get(body="Sure!")
    assert reply.reply_to_id == original.pk

    edit_page = alices.get(f"/inbox/{direct.pk}/messages/{reply.seq}/edit/")
    assert edit_page.status_code == 200 and '<label for="id_body">Edit message</label>' in edit_page.content.decode()
    alices.post(f"/inbox/{direct.pk}/messages/{reply.seq}/edit/", {"body": "Sure, see you there!"})
    reply.refresh_from_db()
    assert reply.body == "Sure, see you there!" and reply.edited_at

    refused = alices.post(base + "edit/", {"body": "not mine"})
    assert refused.status_code == 400 and "You can only edit your own messages." in refused.content.decode()

    response = alices.post(f"/inbox/{direct.pk}/messages/{reply.seq}/unsend/")
    reply.refresh_from_db()
    assert reply.unsent_at and reply.body == "" and flash(response) == ["Message unsent."]

    alices.post(base + "hide/")
    assert HiddenMessage.objects.filter(user=alice, message=original).exists()
    page = alices.get(f"/inbox/{direct.pk}/").content.decode()
    assert "Lunch at noon?" not in page and "alice unsent a message" in page
    assert "Lunch at noon?" in client_for(bob).get(f"/inbox/{direct.pk}/").content.decode()


def test_a_sticker_from_the_picker_without_javascript(direct, alice):
    alices = client_for(alice)
    page = alices.get(f"/inbox/{direct.pk}/").content.decode()
    assert 'aria-label="Send sticker: Waving hand"' in page
    alices.post(f"/inbox/{direct.pk}/", {"body": "", "sticker": "wave"})
    assert Message.objects.get(thread=direct).sticker == "wave"


def test_forward_page_lists_my_conversations_and_sends_copies(direct, make_thread, alice, bob, carol):
    to_carol = make_thread(alice, carol)
    original = say(bob, direct, "Have you seen this?")
    alices = client_for(alice)
    page = alices.get(f"/inbox/{direct.pk}/messages/{original.seq}/forward/").content.decode()
    assert f'name="to" value="{to_carol.pk}"' in page and "Search conversations" in page
    response = alices.post(f"/inbox/{direct.pk}/messages/{original.seq}/forward/", {"to": [to_carol.pk]})
    assert response.status_code == 302 and response.url == f"/inbox/{to_carol.pk}/"
    copy = Message.objects.get(thread=to_carol)
    assert copy.forwarded and copy.body == "Have you seen this?"
    assert "Forwarded" in alices.get(f"/inbox/{to_carol.pk}/").content.decode()
    nothing = alices.post(f"/inbox/{direct.pk}/messages/{original.seq}/forward/", {})
    assert nothing.status_code == 400 and "Choose at least one conversation" in nothing.content.decode()


@pytest.mark.parametrize("action", ["react/", "edit/", "unsend/", "hide/", "forward/", ""])
def test_outsiders_logged_out_visitors_and_removed_members_reach_no_message(make_thread, alice, bob, carol, make_user, action):
    dave = make_user("dave")
    group = make_thread(alice, bob, carol, name="Trip")
    message = say(alice, group, "for the group")
    services.remove_participant(user=alice, thread=group, member=carol)
    url = f"/inbox/{group.pk}/messages/{message.seq}/{action}"
    for person in (dave, carol):
        for method in ("get", "post"):
            response = getattr(client_for(person), method)(url, {"emoji": "❤️", "body": "x", "to": [group.pk]})
            assert response.status_code in (404, 405), (person, method, response.status_code)
    anonymous = Client().post(url, {"emoji": "❤️"})
    assert anonymous.status_code == 302 and "/login" in anonymous.url
    assert not Reaction.objects.exists() and not HiddenMessage.objects.exists()
    message.refresh_from_db()
    assert message.body == "for the group" and message.unsent_at is None


@pytest.mark.parametrize("count", [2, 30])
def test_the_conversation_page_costs_the_same_with_reactions_and_replies(
    direct, make_thread, alice, bob, carol, count, django_assert_num_queries
):
    elsewhere = make_thread(alice, carol)
    for n in range(count):
        message = say(bob, direct, f"m{n}", reply_to=n if n else None)
        services.react(user=alice, thread=direct, seq=message.seq, emoji="😂")
        services.forward_message(user=alice, thread=direct, seq=message.seq, to=[elsewhere.pk])
    alices = client_for(alice)
    alices.get(f"/inbox/{direct.pk}/")  # marks it read: the measured visit changes nothing
    # session, user, thread, members, messages with senders and quotes (+ files, reactions), the
    # block check, mark_read's members, the sidebar (count, rows, members), the nav counts, the
    # composer's recent GIFs, and the parts of the apps above: the same at both sizes
    with django_assert_num_queries(15):
        response = alices.get(f"/inbox/{direct.pk}/")
    assert response.content.decode().count('class="message-reactions"') == count
