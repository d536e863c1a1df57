from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/avatar/", views.avatar, name="avatar"),
    path("settings/", views.settings_profile, name="settings"),
    path("settings/deactivate/", views.deactivate, name="deactivate"),
]
