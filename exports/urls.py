from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("settings/data/", views.your_data, name="your_data"),
    path("settings/data/<str:token>/download/", views.download, name="download"),
]
