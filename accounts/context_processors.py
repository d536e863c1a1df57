from django.utils.functional import SimpleLazyObject


def navigation(request):
    """Facts every page's navigation needs, read once per request.

    The "Inbox" badge count is lazy: one query, and only on pages that render the navigation.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread_total():
        from inbox.services import unread_total

        return unread_total(user)

    return {"nav_unread_count": SimpleLazyObject(unread_total)}
