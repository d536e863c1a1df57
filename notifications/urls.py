from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("settings/email/", views.email_settings, name="email_settings"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("settings/push/", views.push_subscription, name="push_subscription"),
    path("sw.js", views.service_worker, name="service_worker"),
]
