from django import template

register = template.Library()


@register.filter
def hidden_for(card, visibility):
    """{% if card|hidden_for:card_visibility %}: the viewer may not open what the card shows.

    Without a viewer (the live push renders one html for every member) nothing is hidden here;
    the page, reloaded, applies the viewer's rule.
    """
    if not visibility or card.get("unavailable"):
        return False
    if card.get("kind") == "story":
        return visibility.story_hidden(card.get("ref"))
    return visibility.post_hidden(card.get("ref")) if card.get("kind") == "post" else False


@register.filter
def ago(moment):
    """"just now" under a minute, else "5 minutes ago" (Django's timesince, first unit only)."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, depth=1)} ago"
