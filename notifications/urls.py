from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("settings/email/", views.email_settings, name="email_settings"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
