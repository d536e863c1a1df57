from django.contrib import messages
from django.contrib.auth.decorators import login_required
import json

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from common.errors import Refused

from . import push, services
from .forms import EmailSettingsForm


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request):
    current = services.email_settings_of(request.user)
    form = EmailSettingsForm(request.POST or None, initial={"mode": current.mode, "include_text": current.include_text})
    if request.method == "POST" and form.is_valid():
        services.save_email_settings(user=request.user, **form.cleaned_data)
        messages.success(request, "E-mail settings saved.")
        return redirect("notifications:email_settings")
    context = {
        "form": form, "settings_section": "email", "address": request.user.email,
        "push_key": settings.VAPID_PUBLIC_KEY if push.enabled() else "",
        "push_subscriptions": request.user.push_subscriptions.count() if push.enabled() else 0,
    }
    return render(request, "notifications/email_settings.html", context, status=400 if form.errors else 200)


# Mail programs post the one-click unsubscribe (RFC 8058) without a session or CSRF token: the
# signed token in the address is the permission.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"token": token, "done": False})
    try:
        services.unsubscribe(token)
    except Refused as refusal:
        raise Http404(refusal.detail) from None
    return render(request, "notifications/unsubscribe.html", {"token": token, "done": True})


@login_required
@require_http_methods(["POST"])
def push_subscription(request):
    """The browser's Web Push subscription, as JSON: {"subscription": {...}} to add, {"endpoint"} with "remove"."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "bad_request", "detail": "Send JSON."}, status=400)
    try:
        if data.get("remove"):
            push.unsubscribe(user=request.user, endpoint=data.get("endpoint"))
        else:
            push.subscribe(user=request.user, data=data.get("subscription"))
    except Refused as refusal:
        return JsonResponse({"error": refusal.code, "detail": refusal.detail}, status=refusal.http_status)
    return JsonResponse({"ok": True})


@require_http_methods(["GET"])
def service_worker(request):
    """The service worker, at the site's root so that it may show notifications for every page."""
    response = HttpResponse(render_to_string("notifications/sw.js"), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
