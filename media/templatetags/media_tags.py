from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("media/_composer_files.html")
def composer_files(input_id="composer-files"):
    """The composer's "Attach files" control and upload tray, with the limits the script enforces early."""
    return {
        "attach_input_id": input_id,
        "attachment_limits": {
            "per_message": settings.ATTACHMENTS_PER_MESSAGE,
            "max_bytes": settings.ATTACHMENT_MAX_BYTES,
        },
    }
