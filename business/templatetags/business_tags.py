from django import template

from .. import services

register = template.Library()


@register.filter
def duration(seconds):
    """"42 min", "3 h 5 min", or "—" when there is nothing to measure."""
    return services.describe_duration(seconds)
