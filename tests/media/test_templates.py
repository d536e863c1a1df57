"""The attachment partials: one rendering for every viewer, access-checked URLs only, no queries."""

import pytest
from django.template import engines
from django.template.loader import render_to_string

from tests.media import samples


@pytest.fixture
def sent_files(upload, conversation, alice, send):
    files = [
        upload(alice, "beach.jpg", samples.jpeg(size=(1200, 800))),
        upload(alice, "clip.mp4", samples.iso_media()),
        upload(alice, "voice.ogg", samples.ogg()),
        upload(alice, "Itinéraire <b>2026<b> & co.pdf", samples.pdf()),
    ]
    message = send(alice, conversation, attachments=files)
    from inbox.models import Message

    return Message.objects.prefetch_related("attachments").get(pk=message.pk), files


def test_each_kind_renders_as_expected_with_access_checked_urls_only(sent_files, django_assert_num_queries):
    message, (photo, video, audio, document) = sent_files

    with django_assert_num_queries(0):
        html = render_to_string("media/_attachments.html", {"attachments": message.attachments.all()})

    assert (f'<a class="attachment attachment-image" href="/media/{photo.pk}/"' in html
            and f'<img src="/media/{photo.pk}/thumbnail/" width="1200" height="800" alt="beach.jpg"' in html)
    assert f'<video controls preload="metadata" playsinline src="/media/{video.pk}/"' in html
    assert f'<audio controls preload="metadata" src="/media/{audio.pk}/"' in html
    assert f'href="/media/{document.pk}/" download' in html
    assert "Itinéraire &lt;b&gt;2026&lt;b&gt; &amp; co.pdf" in html and "<b>" not in html
    assert ">PDF<" in html and "142\xa0bytes" in html and "Download" in html
    assert "attachments/" not in html  # never a storage key
    assert html.count("<li ") == 4


def test_the_rendering_never_depends_on_the_viewer(sent_files, rf, alice, bob):
    message, _files = sent_files
    template = engines["django"].from_string('{% include "media/_attachments.html" with attachments=atts %}')

    renderings = set()
    for viewer in (alice, bob):
        request = rf.get("/")
        request.user = viewer
        renderings.add(template.render({"atts": message.attachments.all()}, request))

    assert len(renderings) == 1


def test_no_attachments_render_nothing():
    assert render_to_string("media/_attachments.html", {"attachments": []}).strip() == ""


def test_the_composer_control_is_a_labelled_file_input_that_works_without_javascript(settings):
    settings.ATTACHMENTS_PER_MESSAGE = 7
    html = engines["django"].from_string("{% load media_tags %}{% composer_files %}").render({})

    assert '<label class="button button-quiet composer-attach" for="composer-files"' in html
    assert '<span class="composer-attach-text">Attach files</span>' in html
    assert '<input class="composer-files-input" id="composer-files" type="file" name="files" multiple' in html
    assert 'data-upload-url="/media/upload/"' in html and 'data-max-files="7"' in html
