from django.urls import path

from . import views

app_name = "business"

urlpatterns = [
    path("quick-replies/", views.quick_replies, name="quick_replies"),
    path("quick-replies/for/<int:thread_id>/", views.quick_replies_for, name="quick_replies_for"),
    path("settings/", views.business_settings, name="settings"),
    path("conversations/<int:thread_id>/", views.customer, name="customer"),
    path("conversations/<int:thread_id>/feedback/", views.ask_feedback, name="ask_feedback"),
    path("feedback/<int:request_id>/", views.feedback, name="feedback"),
    path("inbox/", views.business_inbox, name="inbox"),
    path("conversations/<int:thread_id>/move/", views.move, name="move"),
    path("offers/", views.offer_list, name="offers"),
    path("offers/<int:offer_id>/", views.offer, name="offer"),
    path("offers/<int:offer_id>/stop/", views.stop_offers, name="stop_offers"),
    path("insights/", views.insights, name="insights"),
    path("insights.csv", views.insights_csv, name="insights_csv"),
]
