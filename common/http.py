"""HTTP hardening shared by every app."""

import base64
import hashlib

from django.http import HttpResponseServerError
from django.utils.cache import has_vary_header
from django.utils.functional import empty

PRIVATE_CACHE_CONTROL = "private, no-store"


def _user_known_to_be_authenticated(request):
    # Only a user the view already loaded: asking now would cost the session and user queries on pages
    # that never looked at who was asking (and whose content, then, cannot depend on it).
    user = getattr(request, "user", None)
    if user is None:
        return False
    if getattr(user, "_wrapped", None) is empty:
        return False
    return bool(user.is_authenticated)


class PrivateCacheMiddleware:
    """Send pages that depend on who is asking with Cache-Control: private, no-store.

    A response is private when it varies on Cookie (the session or the CSRF cookie was used to build it)
    or was made for a logged-in user. A view that chose its own Cache-Control keeps it (downloads say
    "private" and may be kept by the browser); static files never get here (whitenoise answers them
    earlier in MIDDLEWARE). It stands before SessionMiddleware so that it sees the Vary: Cookie that
    middleware adds on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if has_vary_header(response, "Cookie") or _user_known_to_be_authenticated(request):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response


# The page of last resort: no template, no static file, no database, so that it renders whatever broke.
_FALLBACK_STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f5f7;color:#1d2433}"
    "main{max-width:28rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h1{font-size:1.35rem;margin:0 0 .5rem}a{color:#3557d6}"
)
_FALLBACK_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    f"<title>Something went wrong · Parley</title><style>{_FALLBACK_STYLE}</style></head>"
    '<body><main id="main"><h1>Something went wrong on our side</h1>'
    "<p>We couldn't finish that request. Please try again in a moment.</p>"
    '<p><a href="/">Back to Parley</a></p></main></body></html>\n'
)
# Its own policy, allowing exactly its one inline style (the site's policy allows no inline style).
_FALLBACK_CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_FALLBACK_STYLE.encode()).digest()).decode()
    + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def server_error_fallback():
    """A self-contained 500 page, for when even the error template cannot render."""
    response = HttpResponseServerError(_FALLBACK_HTML)
    response["Content-Security-Policy"] = _FALLBACK_CSP
    response["Cache-Control"] = "no-store"
    return response
