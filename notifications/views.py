from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from common.errors import Refused

from . import services
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
    context = {"form": form, "settings_section": "email", "address": request.user.email}
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
