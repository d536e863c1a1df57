from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from common.errors import Refused
from media.views import serve_file

from . import services


@login_required
@require_http_methods(["GET", "POST"])
def your_data(request):
    if request.method == "POST":
        services.request_export(user=request.user)
        messages.success(request, "We are preparing your data. You will get an e-mail when it is ready to download.")
        return redirect("exports:your_data")
    return render(request, "exports/your_data.html", {
        "exports": services.exports_of(request.user), "settings_section": "data", "nav_section": "settings",
    })


@login_required
@require_safe
def download(request, token):
    try:
        export = services.export_for_download(user=request.user, token=token)
    except Refused as refusal:
        raise Http404(refusal.detail) from None
    return serve_file(request, export.file, content_type="application/zip",
                      download_name=f"parley-{request.user.username}.zip", inline=False)
