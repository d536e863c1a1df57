from django.contrib import admin
from django.urls import include, path

from accounts.views import home
from common import health

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    path("inbox/", include("inbox.urls")),
    path("media/", include("media.urls")),
    path("admin/", admin.site.urls),
    # Answered earlier by common.health.HealthCheckMiddleware; named here for reverse() and as a fallback.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
