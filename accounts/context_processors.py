def navigation(request):
    """Facts every page's navigation needs, read once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread_count": getattr(request, "nav_unread_count", 0)}
