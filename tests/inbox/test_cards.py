"""Cards: what a message answers or shares, described by the app that owns it, stored and shown by the inbox."""

import json

import pytest

from inbox import events, services
from inbox.models import Message

pytestmark = pytest.mark.django_db

POST_CARD = {"kind": "post", "ref": 12, "label": "Replied to your post", "title": "Alice Martin",
             "excerpt": "Roasting day <b>tomorrow</b>", "url": "/p/12/", "thumbnail_url": "/media/3/thumbnail/"}


def test_a_card_travels_with_its_message_to_the_page_and_the_push(make_thread, alice, bob, client):
    thread = make_thread(alice, bob)
    message, created = services.send_message(sender=bob, thread=thread, body="", card=POST_CARD)
    assert created and message.body == ""
    stored = Message.objects.get(pk=message.pk)
    assert stored.card["kind"] == "post" and stored.card_key == "post:12"
    payload = json.loads(json.dumps(events.message_payload(message)))
    assert payload["card"]["excerpt"] == "Roasting day <b>tomorrow</b>" and payload["card"]["unavailable"] is False
    html = events.render_message_html(message)
    assert 'href="/p/12/"' in html and "Replied to your post" in html
    assert "&lt;b&gt;tomorrow&lt;/b&gt;" in html and "<b>tomorrow" not in html
    client.force_login(alice)
    assert "Replied to your post" in client.get(f"/inbox/{thread.pk}/").content.decode()


@pytest.mark.parametrize(
    "card",
    [
        {"ref": 1},
        {"kind": "Post!", "ref": 1},
        {"kind": "post"},
        {"kind": "post", "ref": True},
        {"kind": "post", "ref": 1, "url": "https://elsewhere.example/"},
        {"kind": "post", "ref": 1, "url": "//elsewhere.example/"},
        {"kind": "post", "ref": 1, "thumbnail_url": "javascript:alert(1)"},
        {"kind": "post", "ref": 1, "title": ["not", "text"]},
        "post:1",
    ],
)
def test_a_malformed_card_is_refused_before_anything_is_stored(make_thread, alice, bob, card):
    thread = make_thread(alice, bob)
    with pytest.raises(services.Refused) as refusal:
        services.send_message(sender=bob, thread=thread, body="look", card=card)
    assert refusal.value.code == "bad_request"
    assert not Message.objects.filter(thread=thread).exists()


def test_a_card_without_words_needs_no_body_but_an_empty_message_still_does(make_thread, alice, bob):
    thread = make_thread(alice, bob)
    with pytest.raises(services.Refused) as refusal:
        services.send_message(sender=bob, thread=thread, body="  ")
    assert refusal.value.code == "empty_body"
    message, _ = services.send_message(sender=bob, thread=thread, body="  ", card=POST_CARD)
    assert message.body == ""


def test_update_cards_changes_every_message_quoting_one_thing_and_nothing_else(make_thread, alice, bob, carol):
    first, second = make_thread(alice, bob), make_thread(alice, carol)
    quoting = [services.send_message(sender=bob, thread=first, body="nice", card=POST_CARD)[0],
               services.send_message(sender=carol, thread=second, body="", card=POST_CARD)[0]]
    other, _ = services.send_message(sender=bob, thread=first, body="and this", card={**POST_CARD, "ref": 13})

    changed = services.update_cards(kind="post", ref=12, unavailable=True, thumbnail_url="", excerpt="",
                                    unavailable_text="This post is no longer available")
    assert sorted(message.pk for message in changed) == sorted(message.pk for message in quoting)
    for message in quoting:
        card = Message.objects.get(pk=message.pk).card
        assert card["unavailable"] and card["thumbnail_url"] == "" and card["excerpt"] == ""
        assert "This post is no longer available" in events.render_message_html(Message.objects.get(pk=message.pk))
    assert Message.objects.get(pk=other.pk).card["unavailable"] is False


def test_a_changed_card_is_pushed_to_the_open_tabs_and_comes_back_in_sync(
    make_thread, alice, bob, carol, pushes, django_capture_on_commit_callbacks
):
    thread = make_thread(alice, bob)
    message = services.send_message(sender=bob, thread=thread, body="", card=POST_CARD)[0]
    thread.refresh_from_db()
    cursor = thread.last_change
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_cards(kind="post", ref=12, unavailable=True, unavailable_text="This post is no longer available")
    groups = sorted(group for group, frame in pushes if frame["type"] == "message.updated")
    assert groups == sorted([f"user.{alice.pk}", f"user.{bob.pk}"])
    frame = pushes[0][1]
    assert frame["message"]["card"]["unavailable"] is True and "This post is no longer available" in frame["html"]
    changed, _hides, _cursor, _more = services.changes_after(user=alice, thread=thread, after_change=cursor, up_to_seq=1)
    assert [m.pk for m in changed] == [message.pk]


def test_staff_removing_a_message_takes_its_card_too(make_thread, alice, bob, make_user):
    thread = make_thread(alice, bob)
    message, _ = services.send_message(sender=bob, thread=thread, body="see", card=POST_CARD)
    staff = make_user("staff", is_staff=True)
    removed = services.remove_message(message=message, removed_by=staff)
    assert removed.card is None and Message.objects.get(pk=message.pk).card_key is None


def test_a_conversation_whose_last_message_is_a_card_says_what_it_is_in_the_inbox(make_thread, alice, bob, client):
    thread = make_thread(alice, bob)
    services.send_message(sender=bob, thread=thread, body="", card=POST_CARD)
    client.force_login(alice)
    page = client.get("/inbox/").content.decode()
    assert "Replied to your post" in page and "📎 Attachment" not in page
