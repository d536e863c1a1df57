from django.utils.functional import SimpleLazyObject

from .services import inbox_counts


def navigation(request):
    """The inbox's facts in every page's navigation, read once per request.

    The "Inbox" badge count and the inbox's message requests count are lazy: one query for both,
    and only on pages that render one of them.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counted = {}

    def count(name):
        if not counted:
            counted.update(inbox_counts(user))
        return counted[name]

    return {
        "nav_unread_count": SimpleLazyObject(lambda: count("unread")),
        "nav_requests_count": SimpleLazyObject(lambda: count("requests")),
    }
