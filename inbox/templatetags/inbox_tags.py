"""Presentation helpers for the inbox templates: titles, previews and short dates.

They only read what the views preloaded (memberships with their thread's participants, users and
profiles), so they never start a query. inbox.js reformats the dates in the browser's time zone.
"""

import functools
from datetime import timedelta
from typing import NamedTuple

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.dateformat import format as format_date
from django.utils.translation import get_language

register = template.Library()


def _local(moment):
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


@register.filter
def short_time(moment):
    """"14:05" today, "3 Nov" this year, "3 Nov 2024" before: what an inbox row shows."""
    if not moment:
        return ""
    moment, today = _local(moment), timezone.localdate()
    if moment.date() == today:
        return format_date(moment, "H:i")
    if moment.year == today.year:
        return format_date(moment, "j M")
    return format_date(moment, "j M Y")


@register.filter
def day_label(moment):
    """"Today", "Yesterday" or "Friday 27 November 2026": the separator above a day's messages."""
    moment, today = _local(moment), timezone.localdate()
    if moment.date() == today:
        return "Today"
    if moment.date() == today - timedelta(days=1):
        return "Yesterday"
    return format_date(moment, "l j F Y")


class MessageTimes(NamedTuple):
    iso: str  # for datetime attributes and inbox.js: "2026-11-24T11:14:03.653386+00:00"
    title: str  # the full date on hover: "24 November 2026, 11:14"
    clock: str  # what the bubble shows: "11:14"


# The message partial (inbox/_message.html) is rendered once for every message sent, on the push's
# hot path, where Django's template tags are most of its cost: these two filters do the work of
# several tags each, and reuse what repeats from one message to the next.


@register.filter
def message_times(moment):
    """The three ways the message partial shows its time, from one conversion to the local time zone."""
    moment = _local(moment)
    title, clock = _minute_labels(moment.replace(second=0, microsecond=0, tzinfo=None), get_language())
    return MessageTimes(moment.isoformat(), title, clock)


@functools.lru_cache(maxsize=1024)
def _minute_labels(minute, language):
    # language is only part of the key: format_date names the month in the active language.
    return format_date(minute, "j F Y, H:i"), format_date(minute, "H:i")


class MessageAuthor(NamedTuple):
    profile_url: str
    avatar: str  # accounts/_avatar.html, small
    name: str


_authors = {}
_AUTHORS_KEPT = 4096


@register.filter
def message_author(person):
    """The sender as the message partial shows them: profile URL, small avatar, display name.

    Rendered once per look of the person: the key holds everything accounts/_avatar.html and the
    URL depend on, so a new name or picture makes a new entry, never a stale one.
    """
    profile = getattr(person, "profile", None)
    avatar_name = profile.avatar.name if profile is not None and profile.avatar else ""
    key = (person.username, person.display_name, avatar_name, get_script_prefix())
    author = _authors.get(key)
    if author is None:
        if len(_authors) >= _AUTHORS_KEPT:
            _authors.clear()
        author = _authors[key] = MessageAuthor(
            reverse("accounts:profile", args=[person.username]),
            render_to_string("accounts/_avatar.html", {"person": person, "size": "small"}),
            person.display_name,
        )
    return author


def join_names(names, *, limit=3):
    if len(names) > limit:
        shown = limit - 1
        rest = len(names) - shown
        return f"{', '.join(names[:shown])} and {rest} other{'s' if rest != 1 else ''}"
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


@register.simple_tag
def conversation_title(thread, others):
    """The group's name, or the other people's names ("Bob Okafor", "Bob Okafor and Carol Diaz")."""
    if thread.is_group and thread.name:
        return thread.name
    names = [member.user.display_name for member in others]
    if not names:
        return "Only you" if thread.is_group else "Deleted account"
    return join_names(names)


ATTACHMENT_PREVIEW = "📎 Attachment"
REMOVED_PREVIEW = "This message was removed"
HIDDEN_PREVIEW = "A message from someone you blocked"


@register.simple_tag
def message_preview(membership):
    """One line about the thread's last message, from the viewer's side: "You: See you", "Bob: Hi"."""
    thread = membership.thread
    message = thread.last_message
    if message is None:
        return "No messages yet"
    if message.removed_at:
        return REMOVED_PREVIEW
    if message.unsent_at and message.sender.is_deleted_account:
        return "Message from a deleted account"
    if message.unsent_at:
        return "You unsent a message" if message.sender_id == membership.user_id else f"{message.sender.username} unsent a message"
    if thread.is_group and getattr(membership, "last_hidden", False):
        # From someone the viewer blocked: the group page leaves it out, so the row does too.
        return HIDDEN_PREVIEW
    # An empty body was a message of files only, or of a card (a shared post, a story reply).
    card = message.card or {}
    body = " ".join(message.body.split()) or card.get("label") or card.get("title")
    body = body or ("Sent a sticker" if message.sticker else ATTACHMENT_PREVIEW)
    if message.is_system:
        return body
    if message.sender_id == membership.user_id:
        return f"You: {body}"
    if thread.is_group:
        return f"{message.sender.display_name}: {body}"
    return body


@register.simple_tag
def presence_for(presence, user_id):
    """The entry of accounts.presence.presence_of for one person, or None."""
    return (presence or {}).get(user_id)


# The message menu (React, Reply, Forward, More), filled by plain string formatting: it is drawn
# for every message on the page and in every push, and as template tags it cost as much as the
# rest of the message. The values are site paths and integers; nothing a person wrote goes in.
_REACTION_BUTTON = (
    '<button type="submit" form="message-action" formaction="{base}react/" name="emoji" value="{emoji}" '
    'aria-label="React with {emoji}" data-message-action="react">{emoji}</button>'
)
_MENU = (
    '<div class="message-menu" role="group" aria-label="Actions">\n'
    '      <details class="menu-popover menu-react"><summary class="menu-button" role="button">React</summary>\n'
    '        <div class="menu-panel reaction-picker">{reactions}</div>\n'
    '      </details>\n'
    '      <a class="menu-button" role="button" href="?reply_to={seq}#id_body" data-message-action="reply">Reply</a>\n'
    '      <a class="menu-button" role="button" href="{base}forward/" data-message-action="forward">Forward</a>\n'
    '      <details class="menu-popover menu-more"><summary class="menu-button" role="button">More</summary>\n'
    '        <div class="menu-panel menu-list">\n'
    '          {edit}'
    '<button type="submit" form="message-action" class="menu-item only-mine" formaction="{base}unsend/" data-message-action="unsend">Unsend</button>\n'
    '          <button type="submit" form="message-action" class="menu-item" formaction="{base}hide/" data-message-action="hide">Delete for me</button>\n'
    '          <a class="menu-item only-theirs message-report" role="button" href="{report}">Report</a>\n'
    '        </div>\n'
    '      </details>\n'
    '    </div>'
)
_EDIT = '<a class="menu-item only-mine" role="button" href="{base}edit/" data-message-action="edit">Edit</a>\n          '


@register.simple_tag
def message_menu(message):
    """The menu beside a message (see _MENU); its buttons post the page's "message-action" form."""
    base = escape(message.action_url)
    reactions = "".join(_REACTION_BUTTON.format(base=base, emoji=emoji) for emoji in message.REACTION_CHOICES)
    edit = _EDIT.format(base=base) if message.body and message.kind == "text" else ""
    return mark_safe(_MENU.format(
        base=base, reactions=reactions, seq=int(message.seq), edit=edit, report=escape(message.report_url),
    ))
