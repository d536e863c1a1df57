"""Message text as HTML: escaped, line breaks kept, and web and e-mail addresses made into links.

Only http, https and mailto addresses that a person typed in full become links; anything else
(javascript:, data:, vbscript:, a bare "www.example.com") stays plain text. Every piece of the text,
link or not, goes through django.utils.html.escape before the result is marked safe, so a quote,
an angle bracket or an entity in the text can never open an attribute or a tag.

Runs once per message rendered, including on the live push's hot path: a substring test skips
text that cannot hold an address, and one regular expression, compiled at import, walks the rest
once.
"""

import re
from typing import NamedTuple

from django.utils.html import escape
from django.utils.safestring import mark_safe

LINK_ATTRIBUTES = 'rel="noopener noreferrer nofollow" target="_blank"'

# A candidate starts at a scheme that no letter or digit precedes ("xhttp://" is not one) and runs
# to the first space, control character, angle bracket or double quote. The set is a plain
# negated class, so matching stays linear however the text is crafted.
CANDIDATE = re.compile(r'(?<![^\W_])(?:https?://|mailto:)[^\s<>"\x00-\x1f\x7f]+', re.IGNORECASE)
# Punctuation that ends a sentence rather than an address: "see https://example.com." links
# without the full stop.
TRAILING = frozenset(".,:;!?'\"*_~…。、，»›’”")
CLOSING = {")": "(", "]": "[", "}": "{"}
HOST = re.compile(r"[^\W_]", re.UNICODE)
MAILBOX = re.compile(r"[^@\s/:]+@[^@\s/:]*[^\W_]")


class Link(NamedTuple):
    start: int
    end: int
    url: str


def trim_trailing(candidate):
    """Drop sentence punctuation from the end, and closing brackets that nothing in it opened.

    "https://en.wikipedia.org/wiki/Pie_(dessert)" keeps its bracket; "(see https://example.com)"
    does not take the one that closes the aside.
    """
    while candidate:
        last = candidate[-1]
        if last in TRAILING or (last in CLOSING and candidate.count(last) > candidate.count(CLOSING[last])):
            candidate = candidate[:-1]
        else:
            break
    return candidate


def is_linkable(url):
    """True for an http(s) address with a host, or a mailto: address with a mailbox in it."""
    scheme, _colon, rest = url.partition(":")
    if scheme.lower() == "mailto":
        return bool(MAILBOX.match(rest))
    authority = rest[2:]
    for separator in "/?#":
        authority = authority.split(separator, 1)[0]
    host = authority.rpartition("@")[2]
    return bool(HOST.search(host))


def might_hold_links(text):
    """A cheap test first: most messages have no "://" and no "mailto:", and skip the scan."""
    return ":" in text and ("://" in text or "mailto:" in text.lower())


def find_links(text):
    """The addresses in text that become links, as (start, end, url) in order of appearance."""
    links = []
    if not might_hold_links(text):
        return links
    for match in CANDIDATE.finditer(text):
        url = trim_trailing(match.group())
        if is_linkable(url):
            links.append(Link(match.start(), match.start() + len(url), url))
    return links


def normalize_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def linkify(text):
    """Escaped HTML for a message's text: its links as <a> tags opening in a new tab, "\\n" as <br>.

    The same output as Django's `linebreaksbr` for text without links.
    """
    text = normalize_newlines(str(text))
    pieces = []
    position = 0
    for link in find_links(text):
        pieces.append(escape(text[position:link.start]))
        url = escape(link.url)
        pieces.append(f'<a href="{url}" {LINK_ATTRIBUTES}>{url}</a>')
        position = link.end
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces).replace("\n", "<br>"))
