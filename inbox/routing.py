"""WebSocket routes, wrapped by config/asgi.py in the origin check and the session/auth middleware."""

from django.urls import path

from .consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/", InboxConsumer.as_asgi()),
]
