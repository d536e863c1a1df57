from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/avatar/", views.avatar, name="avatar"),
    path("u/<str:username>/followers/", views.follow_list, {"direction": "followers"}, name="followers"),
    path("u/<str:username>/following/", views.follow_list, {"direction": "following"}, name="following"),
    *(
        path(f"u/<str:username>/{action}/", views.social_action, {"action": action}, name=action)
        for action in views.SOCIAL_ACTIONS
    ),
    path("people/search/", views.people_search, name="people_search"),
    path("settings/", views.settings_profile, name="settings"),
    path("settings/privacy/", views.settings_privacy, name="privacy"),
    path("settings/deactivate/", views.deactivate, name="deactivate"),
]
