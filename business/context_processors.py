from . import services


def navigation(request):
    """Whether to link "Insights" in the navigation (and show the business tools): kept in the
    session, set at login and when the account switches, so no page pays a query for it. A switch
    made on another device is announced through the shared cache (services.announce_business_status),
    and this session takes it from there. The insights page itself checks the database."""
    session = getattr(request, "session", None)
    if session is None:
        return {"nav_is_business": False}
    is_business = bool(session.get("is_business"))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        announced = services.announced_business_status(user.pk)
        if announced is not None and announced != is_business:
            session["is_business"] = is_business = announced
    return {"nav_is_business": is_business}
