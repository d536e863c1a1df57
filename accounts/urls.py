from django.urls import path

from . import report_views, views

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
    path("settings/", views.settings_profile, name="settings"),
    path("settings/privacy/", views.settings_privacy, name="privacy"),
    path("settings/deactivate/", views.deactivate, name="deactivate"),
    path("report/message/<int:message_id>/", report_views.report_message, name="report_message"),
    path("report/conversation/<int:thread_id>/", report_views.report_conversation, name="report_conversation"),
    path("report/person/<str:username>/", report_views.report_person, name="report_person"),
    path("report/sent/<int:report_id>/", report_views.report_sent, name="report_sent"),
]
