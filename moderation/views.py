"""Report pages: a message, a conversation or a person, as plain forms that work without JavaScript.

GET shows what is reported and the form; a valid POST calls moderation.services and redirects to
a confirmation page. Anyone who may not report a message or conversation gets the same 404 as
for one that does not exist. Over the hourly limit: 429 with Retry-After, nothing stored.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Block
from common.errors import Refused
from inbox.models import Thread

from . import services
from .forms import ReportForm
from .models import Report


def _refused_page(request, refusal):
    """404 exactly as for a missing thing; "not_allowed" (one's own message, oneself) explains itself."""
    if refusal.http_status == 404:
        raise Http404(refusal.detail)
    return render(request, "moderation/report_refused.html", {"detail": refusal.detail}, status=refusal.http_status)


def _report_page(request, *, target, submit):
    """The form for one target; submit(cleaned_data) makes the report and returns (report, created).

    target: kind, person (the one concerned, or None), back (where Cancel leads) and what the
    template shows of the reported thing.
    """
    person = target["person"]
    already_blocked = person is not None and Block.objects.filter(blocker=request.user, blocked=person).exists()
    form = ReportForm(request.POST or None, can_block=person is not None and not already_blocked)
    status, retry_after, refusal_text = 200, None, None
    if request.method == "POST" and form.is_valid():
        try:
            report, _created = submit(form.cleaned_data)
        except Refused as refusal:
            if refusal.http_status == 404:
                # The message or conversation went away (or the reporter left it) since the form was shown.
                raise Http404(refusal.detail) from None
            status, refusal_text = refusal.http_status, refusal.detail
            retry_after = refusal.retry_after
        else:
            return redirect("moderation:report_sent", report_id=report.pk)
    response = render(
        request,
        "moderation/report.html",
        {"form": form, "target": target, "already_blocked": already_blocked, "refusal": refusal_text},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# For the apps above moderation (the public side's "Report" links): the same form page and refusals.
report_page = _report_page
refused_page = _refused_page


def choices(data):
    """The service's keyword arguments from a valid ReportForm."""
    return _choices(data)


def _choices(data):
    return {"reason": data["reason"], "text": data["details"], "also_block": data.get("also_block", False)}


@login_required
@require_http_methods(["GET", "POST"])
def report_message(request, message_id):
    try:
        message = services.reportable_message(reporter=request.user, message_id=message_id)
    except Refused as refusal:
        return _refused_page(request, refusal)
    target = {
        "kind": Report.Kind.MESSAGE,
        "person": message.sender,
        "message": message,
        # One query, only for this page: the reporter sees which files the message carried.
        "attachments": list(message.attachments.order_by("pk")),
        "back": reverse("inbox:thread", args=[message.thread_id]) + f"#message-{message.pk}",
    }
    return _report_page(
        request,
        target=target,
        submit=lambda data: services.report_message(reporter=request.user, message_id=message.pk, **_choices(data)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_conversation(request, thread_id):
    try:
        thread, others = services.reportable_conversation(reporter=request.user, thread_id=thread_id)
    except Refused as refusal:
        return _refused_page(request, refusal)
    target = {
        "kind": Report.Kind.CONVERSATION,
        "person": services.conversation_person(thread, others),
        "thread": thread,
        "is_group": thread.kind == Thread.Kind.GROUP,
        "others": [member.user for member in others],
        "back": reverse("inbox:thread", args=[thread.pk]),
    }
    return _report_page(
        request,
        target=target,
        submit=lambda data: services.report_conversation(reporter=request.user, thread_id=thread.pk, **_choices(data)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_person(request, username):
    try:
        person = services.reportable_person(reporter=request.user, username=username)
    except Refused as refusal:
        return _refused_page(request, refusal)
    target = {
        "kind": Report.Kind.PERSON,
        "person": person,
        "back": reverse("accounts:profile", args=[person.username]),
    }
    return _report_page(
        request,
        target=target,
        submit=lambda data: services.report_person(reporter=request.user, username=person.username, **_choices(data)),
    )


@login_required
@require_GET
def report_sent(request, report_id):
    """The confirmation after a report: what happens next, and a way to block if not done yet."""
    try:
        report = services.get_report_for_reporter(reporter=request.user, report_id=report_id)
    except Refused as refusal:
        raise Http404(refusal.detail) from None
    person = report.reported_user
    blocked = person is not None and Block.objects.filter(blocker=request.user, blocked=person).exists()
    if report.thread_id is not None and report.kind != Report.Kind.PERSON:
        back, back_label = reverse("inbox:thread", args=[report.thread_id]), "Back to the conversation"
    elif person is not None and person.is_active:
        back, back_label = reverse("accounts:profile", args=[person.username]), "Back to the profile"
    else:
        back, back_label = reverse("inbox:index"), "Back to the inbox"
    return render(
        request,
        "moderation/report_sent.html",
        {"report": report, "person": person, "blocked": blocked, "back": back, "back_label": back_label},
    )
