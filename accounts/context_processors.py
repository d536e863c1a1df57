from . import extensions


def settings_links(request):
    """The settings navigation's links added by the apps above accounts (no query)."""
    return {"settings_links": extensions.settings_links()}
