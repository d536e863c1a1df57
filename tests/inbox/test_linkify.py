"""Links in message text: http, https and mailto addresses typed in full become links opening in a
new tab; nothing else does, and every character of the text stays escaped."""

import re

import pytest
from django.template import engines
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString

from inbox.linkify import find_links, linkify

ATTRIBUTES = 'rel="noopener noreferrer nofollow" target="_blank"'
HREF = re.compile(r'<a href="([^"]*)"')


def link(url, text=None):
    return f'<a href="{url}" {ATTRIBUTES}>{text or url}</a>'


def hrefs(html):
    return HREF.findall(html)


# --- What becomes a link ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("https://example.com", link("https://example.com")),
    ("see http://example.com/path?q=1#top now",
     f"see {link('http://example.com/path?q=1#top')} now"),
    ("write to mailto:alice@example.com please", f"write to {link('mailto:alice@example.com')} please"),
    ("mailto:bob@example.com?subject=Lunch", link("mailto:bob@example.com?subject=Lunch")),
    ("HTTPS://EXAMPLE.COM/A", link("HTTPS://EXAMPLE.COM/A")),
    ("Mailto:Carol@Example.org", link("Mailto:Carol@Example.org")),
    ("https://例え.jp/ページ", link("https://例え.jp/ページ")),
    ("https://localhost:8000/inbox/", link("https://localhost:8000/inbox/")),
    ("http://[::1]:8000/", link("http://[::1]:8000/")),
])
def test_http_https_and_mailto_addresses_become_links(text, expected):
    assert linkify(text) == expected


def test_query_strings_are_escaped_in_the_href_and_the_text():
    assert linkify("https://example.com/?a=1&b=2") == link("https://example.com/?a=1&amp;b=2")


@pytest.mark.parametrize("text, url, after", [
    ("Look: https://example.com.", "https://example.com", "."),
    ("https://example.com, then lunch", "https://example.com", ", then lunch"),
    ("is it https://example.com?", "https://example.com", "?"),
    ("wow https://example.com!!!", "https://example.com", "!!!"),
    ("(see https://example.com/a)", "https://example.com/a", ")"),
    ("(see https://example.com/a).", "https://example.com/a", ")."),
    ("https://en.wikipedia.org/wiki/Pie_(dessert)", "https://en.wikipedia.org/wiki/Pie_(dessert)", ""),
    ("(https://en.wikipedia.org/wiki/Pie_(dessert))", "https://en.wikipedia.org/wiki/Pie_(dessert)", ")"),
    ("[https://example.com/x]", "https://example.com/x", "]"),
    ("'https://example.com/x'", "https://example.com/x", "&#x27;"),
    ("“https://example.com/x”", "https://example.com/x", "”"),
    ("https://example.com/x;", "https://example.com/x", ";"),
    ("mailto:alice@example.com.", "mailto:alice@example.com", "."),
    ("https://example.com/…", "https://example.com/", "…"),
])
def test_punctuation_after_an_address_stays_outside_the_link(text, url, after):
    html = linkify(text)

    assert hrefs(html) == [url]
    assert html.endswith(f"{url}</a>{after}")


def test_several_links_and_the_text_between_them():
    html = linkify("a https://one.example b http://two.example/x c mailto:me@three.example d")

    assert hrefs(html) == ["https://one.example", "http://two.example/x", "mailto:me@three.example"]
    assert re.sub(r"<[^>]+>", "", html) == "a https://one.example b http://two.example/x c mailto:me@three.example d"


def test_find_links_gives_where_each_address_is():
    text = "go to https://example.com. Or mail mailto:a@b.example"

    assert [(start, end, url) for start, end, url in find_links(text)] == [
        (6, 25, "https://example.com"), (35, 53, "mailto:a@b.example"),
    ]


# --- What never becomes a link -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    "jAvAsCrIpT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.com/file",
    "www.example.com",
    "example.com/path",
    "https://",
    "https://.",
    "http:///path",
    "https://@/",
    "mailto:",
    "mailto:alice",
    "mailto:javascript:alert(1)@x",
    "xhttps://example.com",
    "myhttp://example.com",
    "https:example.com",
    "https:/example.com",
])
def test_nothing_else_becomes_a_link(text):
    html = linkify(text)

    assert "<a" not in html
    assert html == linebreaksbr(text)


def test_a_javascript_url_hiding_behind_an_https_one_gives_only_the_https_link():
    html = linkify("javascript:https://example.com/")

    assert hrefs(html) == ["https://example.com/"]
    assert html.startswith("javascript:<a ")


@pytest.mark.parametrize("text", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x", "https://example.com",
    'https://example.com/"onmouseover="alert(1)', "mailto:a@b.example?x=javascript:alert(1)",
])
def test_every_href_starts_with_an_allowed_scheme(text):
    for href in hrefs(linkify(text)):
        assert re.match(r"(?i)(https?://|mailto:)", href)


# --- Escaping -----------------------------------------------------------------------------------

def test_script_tags_are_text():
    html = linkify("<script>alert('hi')</script>")

    assert html == "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;"
    assert "<script" not in html


def test_a_double_quote_ends_the_address_and_cannot_open_an_attribute():
    html = linkify('https://example.com/"onmouseover="alert(1)"x')

    assert html == link("https://example.com/") + "&quot;onmouseover=&quot;alert(1)&quot;x"
    assert html.count('"') == 2 * 3  # the three attributes of the one <a>, nothing from the text


def test_a_single_quote_inside_an_address_is_escaped_in_the_href():
    html = linkify("https://example.com/it's'onclick='alert(1)")

    assert hrefs(html) == ["https://example.com/it&#x27;s&#x27;onclick=&#x27;alert(1)"]
    assert "'" not in html


def test_angle_brackets_end_the_address():
    html = linkify("https://example.com/<script>alert(1)</script>")

    assert html == link("https://example.com/") + "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_html_entities_typed_in_the_text_stay_literal_text():
    html = linkify("&lt;b&gt; &amp; https://example.com/?a=&quot;x&quot; &#106;avascript:x")

    assert html.startswith("&amp;lt;b&amp;gt; &amp;amp; ")
    # The text's "&quot;" is six characters of the address, its ";" being trailing punctuation.
    assert hrefs(html) == ["https://example.com/?a=&amp;quot;x&amp;quot"]
    assert html.endswith("&amp;#106;avascript:x")


def test_a_link_inside_markup_stays_escaped():
    html = linkify('<a href="javascript:alert(1)">https://example.com</a>')

    assert hrefs(html) == ["https://example.com"]
    assert html.startswith("&lt;a href=&quot;javascript:alert(1)&quot;&gt;")
    assert html.endswith("&lt;/a&gt;")


def test_control_characters_end_the_address():
    assert hrefs(linkify("https://example.com/a\x00b")) == ["https://example.com/a"]


def test_the_result_is_marked_safe():
    assert isinstance(linkify("hello"), SafeString)


# --- Line breaks, as linebreaksbr -------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "", "hello", "one\ntwo", "one\r\ntwo\rthree", "\n\nlead and trail\n\n", "tabs\tand  spaces",
    "<b>bold</b> & 'quotes' \"too\"", "emoji 😀 and accents éà",
])
def test_text_without_links_renders_exactly_as_linebreaksbr(text):
    assert linkify(text) == linebreaksbr(text)


def test_line_breaks_end_an_address_and_become_br():
    assert linkify("https://example.com\nnext line\r\nmailto:a@b.example") == (
        f"{link('https://example.com')}<br>next line<br>{link('mailto:a@b.example')}"
    )


# --- The template filter ----------------------------------------------------------------------

def test_the_filter_escapes_even_where_autoescape_is_off():
    template = engines["django"].from_string(
        "{% load message_text %}{% autoescape off %}{{ body|linkify_message }}{% endautoescape %}"
        "|{{ body|linkify_message }}"
    )

    html = template.render({"body": "<i>hi</i> https://example.com\nbye"})

    expected = f"&lt;i&gt;hi&lt;/i&gt; {link('https://example.com')}<br>bye"
    assert html == f"{expected}|{expected}"


def test_the_filter_renders_an_empty_body_as_nothing():
    template = engines["django"].from_string("{% load message_text %}[{{ body|linkify_message }}]")

    assert template.render({"body": None}) == "[]"
    assert template.render({"body": ""}) == "[]"


# --- In the message partial -----------------------------------------------------------------

def test_the_message_partial_shows_links_for_the_page_and_the_push(make_thread, alice, bob, client):
    from inbox import events, services

    thread = make_thread(alice, bob)
    message, _created = services.send_message(
        sender=alice, thread=thread, body="Menu: https://example.com/menu.\n<b>javascript:alert(1)</b>"
    )

    pushed = events.render_message_html(message)
    client.force_login(bob)
    page = client.get(f"/inbox/{thread.pk}/").content.decode()

    bubble = (f'<div class="message-bubble">Menu: {link("https://example.com/menu")}.<br>'
              "&lt;b&gt;javascript:alert(1)&lt;/b&gt;</div>")
    assert bubble in pushed
    assert bubble in page
