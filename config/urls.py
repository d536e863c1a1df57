from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from common import health
from posts.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.auth_urls")),
    # Before accounts: posts' profile pattern answers /u/<username>/ with the person's posts too.
    path("", include("posts.urls")),
    path("", include("accounts.urls")),
    path("", include("moderation.urls")),
    path("inbox/", include("inbox.urls")),
    path("search/", include("search.urls")),
    path("", include("notifications.urls")),
    path("business/", include("business.urls")),
    path("media/", include("media.urls")),
    # Reports and the access log were listed under Accounts before moderation had its own app:
    # moderators' bookmarks keep working.
    re_path(
        r"^admin/accounts/(?P<model>report|staffaccesslog)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/moderation/%(model)s/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    # Answered earlier by common.health.HealthCheckMiddleware; named here for reverse() and as a fallback.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
