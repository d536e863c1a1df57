"""ASGI entry point: HTTP goes to Django, WebSockets to the inbox consumer.

The origin check is the sockets' CSRF protection: a page on another site cannot open
a socket with the visitor's session cookie.
"""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# Before anything that imports models: this sets up the app registry.
django_asgi_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from django.conf import settings  # noqa: E402

from common.logging import SocketEventLog  # noqa: E402
from inbox.routing import websocket_urlpatterns  # noqa: E402

sockets = URLRouter(websocket_urlpatterns)
if settings.LOG_JSON:
    # One JSON line per connect, frame, error frame and disconnect, with the user the session resolved.
    sockets = SocketEventLog(sockets)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(sockets)),
    }
)

# What is loaded by now (Django, the settings, the URLconf, the models) lives as long as the process: keep it
# out of the cyclic garbage collector's full passes, which a busy daphne process runs every few seconds. Each
# pass walked all of it (62 ms in the delivery benchmark), a pause every socket of the process feels.
gc.freeze()
