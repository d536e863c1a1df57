"""The search page: a GET form over the messages of my conversations (it works without JavaScript)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from common.errors import Refused
from inbox import services as inbox_services

from . import services


def _positive_int(value):
    return int(value) if value.isdigit() and 0 < int(value) <= services.MAX_ID else None


@login_required
@require_GET
def messages(request):
    query = request.GET.get("q", "")
    thread_id = _positive_int(request.GET.get("thread", ""))
    sender_name = request.GET.get("from", "").strip().lstrip("@")
    with_files = request.GET.get("files") == "1"
    before_id = _positive_int(request.GET.get("before", ""))
    context = {"query": query, "sender_name": sender_name, "with_files": with_files, "thread": None,
               "results": [], "more": False, "error": None, "searched": bool(query.strip())}
    try:
        if thread_id is not None:
            context["thread"] = inbox_services.get_thread_for(request.user, thread_id)
        sender_id = None
        if sender_name:
            sender_id = User.objects.filter(username__iexact=sender_name).values_list("pk", flat=True).first()
            if sender_id is None:
                raise Refused("bad_request", f"There is nobody called @{sender_name} on Parley.")
        if context["searched"]:
            context["results"], context["more"] = services.search_messages(
                user=request.user, query=query, thread_id=thread_id, sender_id=sender_id,
                with_files=with_files, before_id=before_id,
            )
    except Refused as refusal:
        context["error"] = refusal.detail
        status = 404 if refusal.code == "not_found" else 400
        return render(request, "search/messages.html", context, status=status)
    if context["more"]:
        context["next_before"] = context["results"][-1].message.pk
    return render(request, "search/messages.html", context)
