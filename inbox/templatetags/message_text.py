"""The message partial's text filter: {{ message.body|linkify_message }} (see inbox.linkify)."""

from django import template

from inbox.linkify import linkify

register = template.Library()


@register.filter
def linkify_message(text):
    """Message text as escaped HTML with its line breaks and its http, https and mailto links.

    Escapes whatever it is given, even where autoescaping is off: the result is marked safe only
    after every piece of the text went through escape().
    """
    return linkify(text or "")
