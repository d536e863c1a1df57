from django.urls import path

from . import views

app_name = "posts"

urlpatterns = [
    path("feed/new-posts/", views.new_posts, name="new_posts"),
    path("posts/new/", views.create, name="create"),
    path("p/<int:pk>/", views.post, name="post"),
    path("p/<int:pk>/delete/", views.delete, name="delete"),
    path("p/<int:pk>/comments/", views.comment, name="comment"),
    path("p/<int:pk>/comments/toggle/", views.toggle_comments, name="toggle_comments"),
    path("p/<int:pk>/comments/<int:comment_pk>/delete/", views.delete_comment, name="delete_comment"),
    path("p/<int:pk>/comments/<int:comment_pk>/reply/", views.reply_to_comment, name="reply_to_comment"),
    path("p/<int:pk>/pin/", views.pin, name="pin"),
    path("p/<int:pk>/report/", views.report_post, name="report"),
    path("p/<int:pk>/comments/<int:comment_pk>/report/", views.report_comment, name="report_comment"),
    path("stories/<int:pk>/report/", views.report_story, name="report_story"),
    path("p/<int:pk>/reply/", views.reply_to_post, name="reply"),
    path("p/<int:pk>/send/", views.share_post, name="send"),
    path("stories/new/", views.create_story, name="create_story"),
    path("stories/<int:pk>/", views.story, name="story"),
    path("stories/<int:pk>/reply/", views.reply_to_story, name="reply_to_story"),
    path("stories/<int:pk>/delete/", views.delete_story, name="delete_story"),
    path("stories/<int:pk>/send/", views.share_story, name="send_story"),
    # Before accounts' own profile pattern (config/urls.py): the same page, with posts and FAQ.
    path("u/<str:username>/", views.profile, name="profile"),
]
