from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accounts.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    path("", include("moderation.urls")),
    path("inbox/", include("inbox.urls")),
    path("business/", include("business.urls")),
    path("media/", include("media.urls")),
    # Reports and the access log were listed under Accounts before moderation had its own app:
    # moderators' bookmarks keep working.
    re_path(
        r"^admin/accounts/(?P<model>report|staffaccesslog)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/moderation/%(model)s/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
