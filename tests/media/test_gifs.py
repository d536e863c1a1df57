"""GIFs: marked in messages, listed in the composer's picker, and sent again without uploading.

The picker only ever lists GIFs sent in conversations the person is in now, and only those can be
sent again: everyone else (a stranger, a logged-out visitor, a removed member) gets a 404.
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from PIL import Image

from inbox.models import Message
from media import services
from media.models import Attachment
from tests.media import samples


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def gif(upload, alice):
    return upload(alice, "dance.gif", samples.animated_gif(size=(640, 320)))


@pytest.fixture
def sent_gif(gif, conversation, send, alice):
    send(alice, conversation, attachments=[gif])
    gif.refresh_from_db()
    return gif


@pytest.fixture
def no_rate_limit(settings):
    settings.SEND_RATE_PER_MINUTE = 0


@pytest.fixture
def group(make_thread, alice, bob, dave):
    return make_thread(alice, bob, dave, name="Trip")


# --- The mark in a message ---------------------------------------------------------------------


def test_a_gif_is_marked_and_a_png_is_not(upload, alice, sent_gif):
    picture = upload(alice, "still.png", samples.png())
    still_gif = upload(alice, "still.gif", samples.still_gif())

    html = render_to_string("media/_attachments.html", {"attachments": [sent_gif, picture, still_gif]})

    items = re.findall(r"<li .*?</li>", html, re.S)
    assert len(items) == 3
    assert "attachment-gif-mark" in items[0] and ">GIF</span>" in items[0] and "is-gif" in items[0]
    # A still GIF is stored as a PNG: nothing moves, so nothing says GIF.
    for item in items[1:]:
        assert "GIF" not in item and "is-gif" not in item
    assert sent_gif.is_gif and not picture.is_gif and not still_gif.is_gif


def test_the_picture_a_gif_shows_inline_is_animated(sent_gif, conversation, bob):
    html = render_to_string("media/_attachments.html", {"attachments": [sent_gif]})
    shown = re.search(r'<img src="([^"]+)"', html).group(1)

    response = client_for(bob).get(shown)

    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.format == "GIF" and image.n_frames == 3


# --- recent_gifs -------------------------------------------------------------------------------


def test_recent_gifs_lists_the_gifs_of_my_conversations_newest_first(
    upload, conversation, make_thread, send, alice, bob, dave, sent_gif
):
    from_bob = upload(bob, "wave.gif", samples.animated_gif(size=(30, 20)))
    send(bob, conversation, attachments=[from_bob])
    in_group = upload(dave, "party.gif", samples.animated_gif(size=(40, 20)))
    send(dave, make_thread(dave, alice, name="Party"), attachments=[in_group])

    assert services.recent_gifs(alice) == [in_group, from_bob, sent_gif]
    assert services.recent_gifs(bob) == [from_bob, sent_gif]
    assert services.recent_gifs(alice, limit=2) == [in_group, from_bob]


def test_recent_gifs_never_lists_other_conversations_unsent_uploads_or_other_pictures(
    upload, conversation, make_thread, send, alice, bob, carol, sent_gif
):
    secret = upload(carol, "secret.gif", samples.animated_gif())
    send(carol, make_thread(carol, bob), attachments=[secret])
    upload(alice, "unsent.gif", samples.animated_gif())
    send(alice, conversation, attachments=[upload(alice, "photo.png", samples.png())])

    assert services.recent_gifs(carol) == [secret]
    assert services.recent_gifs(alice) == [sent_gif]
    assert secret not in services.recent_gifs(alice)


def test_a_removed_member_no_longer_sees_the_groups_gifs(upload, group, send, alice, dave):
    from inbox.services import remove_participant

    party = upload(alice, "party.gif", samples.animated_gif())
    send(alice, group, attachments=[party])
    assert services.recent_gifs(dave) == [party]

    remove_participant(user=alice, thread=group, member=dave)

    assert services.recent_gifs(dave) == []


def test_recent_gifs_is_one_entry_per_file_in_one_query(
    upload, group, conversation, send, alice, bob, dave, django_assert_num_queries
):
    gifs = [upload(alice, f"g{n}.gif", samples.animated_gif(size=(20 + n, 16))) for n in range(5)]
    for gif in gifs:
        send(alice, group, attachments=[gif])
    # Several rules could each allow the same file: it is still listed once.
    services.register_access_rule(lambda user: services.Q(owner=user))
    try:
        with django_assert_num_queries(1):
            listed = services.recent_gifs(alice)
    finally:
        services._access_rules.pop()

    assert listed == gifs[::-1]
    assert len({gif.file.name for gif in listed}) == len(listed)


def test_a_gif_sent_again_from_the_picker_is_listed_once(sent_gif, conversation, send, alice, bob):
    for sender in (bob, alice, bob):
        copy = services.copy_attachment(owner=sender, attachment=sent_gif)
        send(sender, conversation, body="", attachments=[copy])

    listed = services.recent_gifs(alice)

    assert len(listed) == 1 and listed[0].owner == bob and listed[0].content_digest == sent_gif.content_digest


def test_the_same_gif_uploaded_twice_is_listed_once_and_different_gifs_apart(
    upload, conversation, send, alice, bob, sent_gif
):
    again = upload(bob, "same.gif", samples.animated_gif(size=(640, 320)))
    other = upload(bob, "other.gif", samples.animated_gif(size=(640, 320), durations=(100, 100)))
    send(bob, conversation, attachments=[again, other])

    assert again.content_digest == sent_gif.content_digest != other.content_digest
    assert services.recent_gifs(alice) == [other, again]


def test_the_same_bytes_in_a_conversation_i_am_not_in_never_stand_for_mine(
    sent_gif, upload, make_thread, send, alice, bob, carol
):
    theirs = upload(carol, "dance.gif", samples.animated_gif(size=(640, 320)))
    send(carol, make_thread(carol, bob), attachments=[theirs])
    assert theirs.content_digest == sent_gif.content_digest and theirs.pk > sent_gif.pk

    assert services.recent_gifs(alice) == [sent_gif]
    assert services.recent_gifs(carol) == [theirs]


def test_gifs_stored_before_digests_existed_count_one_per_stored_file(sent_gif, upload, conversation, send, alice):
    older = upload(alice, "older.gif", samples.animated_gif(size=(640, 320)))
    send(alice, conversation, attachments=[older])
    Attachment.objects.update(content_digest="")

    assert services.recent_gifs(alice) == [older, sent_gif]


# --- Sending one again: POST /media/<id>/reuse/ -----------------------------------------------


def test_reusing_answers_a_fresh_unsent_copy_like_an_upload(sent_gif, bob):
    response = client_for(bob).post(f"/media/{sent_gif.pk}/reuse/")

    assert response.status_code == 201, response.content
    body = response.json()
    copy = Attachment.objects.get(pk=body["id"])
    assert copy.pk != sent_gif.pk and copy.owner == bob and copy.message_id is None
    assert copy.file.name != sent_gif.file.name
    assert body == services.attachment_payload(copy)
    assert body["name"] == "dance.gif" and body["kind"] == "image"


def test_the_copy_sends_through_the_ordinary_path(sent_gif, conversation, bob, send):
    copy_id = client_for(bob).post(f"/media/{sent_gif.pk}/reuse/").json()["id"]
    copy = Attachment.objects.get(pk=copy_id)

    message = send(bob, conversation, body="", attachments=[copy])

    assert list(message.attachments.all()) == [copy]


@pytest.mark.parametrize("who", ["carol", "logged_out", "removed_member"])
def test_people_who_may_not_fetch_the_gif_cannot_reuse_it(upload, group, send, alice, carol, dave, who):
    from inbox.services import remove_participant

    party = upload(alice, "party.gif", samples.animated_gif())
    send(alice, group, attachments=[party])
    if who == "removed_member":
        remove_participant(user=alice, thread=group, member=dave)
    person = {"carol": carol, "logged_out": None, "removed_member": dave}[who]
    before = Attachment.objects.count()

    response = client_for(person).post(f"/media/{party.pk}/reuse/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert Attachment.objects.count() == before


def test_reusing_an_unknown_id_is_a_404_and_a_get_is_refused(sent_gif, bob):
    assert client_for(bob).post(f"/media/{sent_gif.pk + 1000}/reuse/").status_code == 404
    assert client_for(bob).get(f"/media/{sent_gif.pk}/reuse/").status_code == 405


def test_reusing_needs_the_csrf_token(sent_gif, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)

    assert client.post(f"/media/{sent_gif.pk}/reuse/").status_code == 403
    assert Attachment.objects.filter(owner=bob).count() == 0


def test_reusing_past_the_daily_volume_is_refused(sent_gif, bob, settings):
    settings.ATTACHMENT_DAILY_BYTES_PER_USER = sent_gif.size - 1

    response = client_for(bob).post(f"/media/{sent_gif.pk}/reuse/")

    assert response.status_code == 413 and response.json()["error"] == "daily_limit"


# --- The picker in the composer, and sending a GIF without JavaScript --------------------------


def test_the_composer_has_a_gif_picker_with_a_named_button_per_gif(sent_gif, conversation, bob):
    html = client_for(bob).get(f"/inbox/{conversation.pk}/").content.decode()

    composer = html[html.index('<form class="composer"'):]
    composer = composer[:composer.index("</form>")]
    assert '<summary class="button button-quiet gif-picker-toggle" title="Send a GIF">GIF</summary>' in composer
    assert (f'<button type="submit" class="gif-picker-choice" name="reuse_attachment" value="{sent_gif.pk}"'
            in composer)
    assert 'aria-label="Send this GIF: dance.gif"' in composer
    assert f'<img src="/media/{sent_gif.pk}/thumbnail/" alt=""' in composer
    assert "GIFs you send or receive show here." not in composer


def test_the_picker_says_where_gifs_come_from_when_there_are_none(conversation, alice):
    html = client_for(alice).get(f"/inbox/{conversation.pk}/").content.decode()

    assert "GIFs you send or receive show here." in html
    assert 'name="reuse_attachment"' not in html


def test_the_picker_never_shows_gifs_from_conversations_i_am_not_in(
    upload, make_thread, send, conversation, alice, bob, carol
):
    theirs = make_thread(carol, bob)
    secret = upload(carol, "secret.gif", samples.animated_gif())
    send(carol, theirs, attachments=[secret])

    assert f'value="{secret.pk}"' in client_for(carol).get(f"/inbox/{theirs.pk}/").content.decode()
    html = client_for(alice).get(f"/inbox/{conversation.pk}/").content.decode()
    assert f'value="{secret.pk}"' not in html and f"/media/{secret.pk}/" not in html


def test_choosing_a_gif_without_javascript_sends_a_copy(sent_gif, conversation, bob, no_rate_limit):
    response = client_for(bob).post(
        f"/inbox/{conversation.pk}/", {"body": "", "client_id": "gif-1", "reuse_attachment": str(sent_gif.pk)}
    )

    assert response.status_code == 302
    message = Message.objects.get(sender=bob)
    (copy,) = message.attachments.all()
    assert copy.pk != sent_gif.pk and copy.owner == bob and copy.file.name != sent_gif.file.name
    assert copy.is_gif and copy.original_name == "dance.gif"
    Attachment.objects.get(pk=sent_gif.pk)  # the original stays where it was


def test_choosing_a_gif_i_may_not_fetch_sends_nothing_and_says_why(
    upload, make_thread, send, conversation, bob, carol, dave, stored_files, django_capture_on_commit_callbacks
):
    secret = upload(dave, "secret.gif", samples.animated_gif())
    send(dave, make_thread(dave, carol), attachments=[secret])
    files_before, rows_before = stored_files(), Attachment.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(f"/inbox/{conversation.pk}/", {"body": "look", "reuse_attachment": str(secret.pk), "files": SimpleUploadedFile("pic.png", samples.png())})

    assert response.status_code == 400
    assert "One of the files you chose is no longer available." in response.content.decode()
    assert not Message.objects.filter(sender=bob).exists()
    # The uploaded file of the refused post went again too: nothing half-saved.
    assert Attachment.objects.count() == rows_before and stored_files() == files_before


def test_a_refused_send_discards_the_copies(
    sent_gif, conversation, bob, stored_files, settings, django_capture_on_commit_callbacks
):
    settings.SEND_RATE_PER_MINUTE = 1
    client = client_for(bob)
    assert client.post(f"/inbox/{conversation.pk}/", {"body": "first"}).status_code == 302
    files_before, rows_before = stored_files(), Attachment.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/{conversation.pk}/", {"body": "", "reuse_attachment": str(sent_gif.pk)})

    assert response.status_code == 429
    assert Attachment.objects.count() == rows_before and stored_files() == files_before


def test_the_same_gif_form_posted_twice_sends_one_message(
    sent_gif, conversation, bob, no_rate_limit, stored_files, django_capture_on_commit_callbacks
):
    client = client_for(bob)
    form = {"body": "", "client_id": "gif-twice", "reuse_attachment": str(sent_gif.pk)}
    client.post(f"/inbox/{conversation.pk}/", form)
    files_after_first = stored_files()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/inbox/{conversation.pk}/", form)

    assert Message.objects.filter(sender=bob).count() == 1
    assert Attachment.objects.filter(owner=bob).count() == 1 and stored_files() == files_after_first


@pytest.mark.parametrize("who", ["carol", "removed_member"])
def test_outsiders_cannot_send_a_gif_through_the_conversation_form(upload, group, send, alice, carol, dave, who):
    from inbox.services import remove_participant

    party = upload(alice, "party.gif", samples.animated_gif())
    send(alice, group, attachments=[party])
    if who == "removed_member":
        remove_participant(user=alice, thread=group, member=dave)
    person = carol if who == "carol" else dave

    response = client_for(person).post(f"/inbox/{group.pk}/", {"reuse_attachment": str(party.pk)})

    assert response.status_code == 404
    assert Attachment.objects.count() == 1
