"""WebSocket routes. The inbox consumer arrives with the inbox itself."""

websocket_urlpatterns = []
