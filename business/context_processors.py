def navigation(request):
    """Whether to link "Insights" in the navigation: kept in the session (set at login and when the
    account switches), so no page pays a query for it. The insights page itself checks the database."""
    session = getattr(request, "session", None)
    return {"nav_is_business": bool(session and session.get("is_business"))}
