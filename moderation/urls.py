from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("report/message/<int:message_id>/", views.report_message, name="report_message"),
    path("report/conversation/<int:thread_id>/", views.report_conversation, name="report_conversation"),
    path("report/person/<str:username>/", views.report_person, name="report_person"),
    path("report/sent/<int:report_id>/", views.report_sent, name="report_sent"),
]
