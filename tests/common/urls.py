"""config.urls plus a page that always fails, for the 500 page's tests."""

from django.db import OperationalError, connection
from django.urls import path

from config.urls import handler500, urlpatterns as site_urlpatterns  # noqa: F401 (handler500 is read by Django)


def broken_static(request):
    raise RuntimeError("the view broke")


def broken_database(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    raise OperationalError("the database went away")


urlpatterns = [*site_urlpatterns, path("broken/", broken_static), path("broken-db/", broken_database)]
