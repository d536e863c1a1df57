from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("requests/", views.requests, name="requests"),
    path("<int:thread_id>/", views.thread, name="thread"),
    path("<int:thread_id>/archive/", views.archive, name="archive"),
    path("<int:thread_id>/unarchive/", views.unarchive, name="unarchive"),
    path("<int:thread_id>/mute/", views.mute, name="mute"),
    path("<int:thread_id>/unmute/", views.unmute, name="unmute"),
    path("<int:thread_id>/notification/", views.notification, name="notification"),
    path("<int:thread_id>/mark-unread/", views.mark_unread, name="mark_unread"),
    path("<int:thread_id>/rename/", views.rename, name="rename"),
    path("<int:thread_id>/add/", views.add_people, name="add_people"),
    path("<int:thread_id>/remove/", views.remove_person, name="remove_person"),
    path("<int:thread_id>/leave/", views.leave, name="leave"),
    path("<int:thread_id>/messages/<int:seq>/", views.message_actions, name="message_actions"),
    path("<int:thread_id>/messages/<int:seq>/react/", views.react, name="react"),
    path("<int:thread_id>/messages/<int:seq>/edit/", views.edit, name="edit"),
    path("<int:thread_id>/messages/<int:seq>/unsend/", views.unsend, name="unsend"),
    path("<int:thread_id>/messages/<int:seq>/hide/", views.hide, name="hide"),
    path("<int:thread_id>/messages/<int:seq>/forward/", views.forward, name="forward"),
]
