import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from common.errors import Refused

from . import charts, offers, services
from .forms import BusinessProfileForm, LabelForm, OfferForm, QuickReplyForm
from .models import Label, QuickReply


def remember_business_on_login(sender, request, user, **kwargs):
    """At login, note in the session whether the account is a business (the "Insights" link)."""
    request.session["is_business"] = services.business_profile_of(user) is not None


def profile_part(*, person, viewer):
    """The business part of a profile page: "Business" mark, category, hours and responsiveness."""
    profile = services.business_profile_of(person)
    if profile is None:
        return None
    now = timezone.now()
    return {
        "template": "business/_profile_part.html",
        "business": profile,
        "status": services.hours_status(profile, at=now),
        "hours": services.hours_table(profile) if services.has_hours(profile) else [],
        "responsiveness": services.responsiveness(person, now=now),
    }


def _refusal_status(refusal):
    # Someone who is not a business asking for a business page is refused it, not mistaken.
    return 403 if refusal.code == "not_business" else refusal.http_status


# --- Quick replies --------------------------------------------------------------------------


@login_required
def quick_replies(request):
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = QuickReply.objects.filter(owner=request.user, pk=request.GET["edit"]).first()
    initial = {"shortcut": editing.shortcut, "text": editing.text} if editing else None
    form = QuickReplyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if "delete" in request.POST:
            try:
                services.delete_quick_reply(owner=request.user, reply_id=request.POST["delete"])
            except Refused as refusal:
                messages.error(request, refusal.detail)
            else:
                messages.success(request, "Quick reply deleted.")
            return redirect("business:quick_replies")
        if request.POST.get("reply", "").isdigit():
            editing = QuickReply.objects.filter(owner=request.user, pk=request.POST["reply"]).first()
        if form.is_valid():
            try:
                reply = services.save_quick_reply(
                    owner=request.user, shortcut=form.cleaned_data["shortcut"], text=form.cleaned_data["text"],
                    reply=editing,
                )
            except Refused as refusal:
                field = "shortcut" if refusal.code in ("bad_shortcut", "duplicate_shortcut", "too_many") else "text"
                form.add_error(field, refusal.detail)
            else:
                messages.success(request, f"Saved /{reply.shortcut}.")
                return redirect("business:quick_replies")
        status = 400
    return render(request, "business/quick_replies.html", {
        "form": form, "replies": services.quick_replies_of(request.user), "editing": editing,
        "settings_section": "quick_replies", "nav_section": "settings",
    }, status=status)


@login_required
@require_GET
def quick_replies_for(request, thread_id):
    """The composer's list: {"replies": [{"shortcut", "text"}]}, texts filled in for the other person."""
    try:
        replies = services.quick_replies_for(user=request.user, thread_id=thread_id)
    except Refused as refusal:
        return JsonResponse({"error": refusal.code, "detail": refusal.detail}, status=refusal.http_status)
    return JsonResponse({"replies": replies})


# --- Business profile -----------------------------------------------------------------------


@login_required
def business_settings(request):
    profile = services.business_profile_of(request.user)
    if request.method == "POST" and request.POST.get("action") == "personal":
        services.switch_to_personal(user=request.user)
        request.session["is_business"] = False
        messages.success(request, "Your account is a personal account again.")
        return redirect("business:settings")
    initial = BusinessProfileForm.initial_from(profile) if profile else None
    form = BusinessProfileForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_business_profile(
                    user=request.user, category=data["category"], website=data["website"],
                    time_zone=data["time_zone"], hours=form.hours(),
                    open_to_collaborations=data["open_to_collaborations"],
                    greeting_enabled=data["greeting_enabled"], greeting_text=data["greeting_text"],
                    away_enabled=data["away_enabled"], away_text=data["away_text"],
                )
            except Refused as refusal:
                form.add_error(None, refusal.detail)
            else:
                request.session["is_business"] = True
                messages.success(request, "Business profile saved." if profile else "Your account is now a business account.")
                return redirect("business:settings")
        status = 400
    return render(request, "business/settings.html", {
        "form": form, "business": profile, "settings_section": "business", "nav_section": "settings",
    }, status=status)


# --- Beside a conversation ------------------------------------------------------------------


@login_required
def customer(request, thread_id):
    """The customer panel as a page of its own: profile, follows, labels, note, feedback."""
    try:
        if request.method == "POST":
            if "note" in request.POST:
                services.save_note(owner=request.user, thread_id=thread_id, text=request.POST.get("note", ""))
                messages.success(request, "Note saved.")
            elif request.POST.get("action") == "new_label":
                label_form = LabelForm(request.POST)
                if label_form.is_valid():
                    services.create_label(owner=request.user, **label_form.cleaned_data)
            else:
                services.set_conversation_labels(owner=request.user, thread_id=thread_id,
                                                 label_ids=request.POST.getlist("label"))
                messages.success(request, "Labels saved.")
            # From the panel beside the conversation: back to the conversation.
            if request.POST.get("back") == "thread":
                return redirect("inbox:thread", thread_id)
            return redirect("business:customer", thread_id)
        panel = services.customer_panel(business_user=request.user, thread_id=thread_id)
    except Refused as refusal:
        if refusal.code == "not_found":
            raise Http404(refusal.detail) from None
        return render(request, "business/refused.html", {"refusal": refusal}, status=_refusal_status(refusal))
    template = "business/_customer_panel.html" if request.GET.get("partial") == "panel" else "business/customer.html"
    return render(request, template, {**panel, "label_form": LabelForm()})


@login_required
@require_POST
def ask_feedback(request, thread_id):
    try:
        services.ask_for_feedback(business_user=request.user, thread_id=thread_id)
    except Refused as refusal:
        if refusal.code == "not_found":
            raise Http404(refusal.detail) from None
        messages.error(request, refusal.detail)
    return redirect("inbox:thread", thread_id)


@login_required
def feedback(request, request_id):
    """The rating card's form target (it also works without JavaScript); GET shows the card's state."""
    try:
        if request.method == "POST":
            answered = services.answer_feedback(
                customer=request.user, request_id=request_id,
                rating=request.POST.get("rating", ""), comment=request.POST.get("comment", ""),
            )
            messages.success(request, f"Thank you! You rated {services.stars(answered.rating)}.")
            return redirect("inbox:thread", answered.thread_id)
        asked = services.get_feedback_for(request.user, request_id)
    except Refused as refusal:
        if refusal.code == "not_found":
            raise Http404(refusal.detail) from None
        messages.error(request, refusal.detail)
        asked = services.get_feedback_for(request.user, request_id)
    return redirect("inbox:thread", asked.thread_id)


# --- The business inbox ---------------------------------------------------------------------


@login_required
def business_inbox(request):
    try:
        listing = services.business_inbox(
            owner=request.user, folder=request.GET.get("folder", "primary"), show=request.GET.get("show", "all"),
            label_id=request.GET.get("label"),
        )
    except Refused as refusal:
        return render(request, "business/refused.html", {"refusal": refusal}, status=_refusal_status(refusal))
    return render(request, "business/inbox.html", {**listing, "nav_section": "inbox"})


@login_required
@require_POST
def move(request, thread_id):
    folder = request.POST.get("folder", "")
    try:
        services.move_conversation(owner=request.user, thread_id=thread_id, folder=folder)
    except Refused as refusal:
        if refusal.code == "not_found":
            raise Http404(refusal.detail) from None
        messages.error(request, refusal.detail)
    else:
        messages.success(request, f"Moved to {folder.capitalize()}.")
    return redirect(f"{reverse('business:inbox')}?folder={'general' if folder == 'primary' else 'primary'}")


# --- Offers ---------------------------------------------------------------------------------


@login_required
def offer_list(request):
    try:
        services.require_business(request.user)
    except Refused as refusal:
        return render(request, "business/refused.html", {"refusal": refusal}, status=_refusal_status(refusal))
    labels = list(Label.objects.filter(owner=request.user).order_by("name"))
    form = OfferForm(request.POST or None, request.FILES or None, labels=labels)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                offer = offers.create_offer(
                    business=request.user, text=form.cleaned_data["text"], audience=form.cleaned_data["audience"],
                    label_id=form.cleaned_data["label"], usernames=form.cleaned_data["usernames"],
                    picture=form.cleaned_data["picture"],
                )
            except Refused as refusal:
                form.add_error(None, refusal.detail)
            else:
                messages.success(request, "Your offer is on its way.")
                return redirect("business:offer", offer.pk)
        status = 400
    return render(request, "business/offers.html", {
        "form": form, "offers": offers.offers_of(request.user), "nav_section": "insights",
    }, status=status)


@login_required
def offer(request, offer_id):
    try:
        progress = offers.offer_progress(business=request.user, offer_id=offer_id)
    except Refused as refusal:
        raise Http404(refusal.detail) from None
    return render(request, "business/offer.html", {**progress, "nav_section": "insights"})


@login_required
@require_POST
def stop_offers(request, offer_id):
    try:
        stopped = offers.stop_offers(person=request.user, offer_id=offer_id)
    except Refused as refusal:
        raise Http404(refusal.detail) from None
    messages.success(request, f"You will get no more offers from {stopped.business.display_name}.")
    recipient_thread = request.POST.get("thread", "")
    if recipient_thread.isdigit():
        return redirect("inbox:thread", int(recipient_thread))
    return redirect("inbox:index")


# --- Insights -------------------------------------------------------------------------------


def _insights_or_refusal(request):
    try:
        return services.insights(request.user), None
    except Refused as refusal:
        return None, render(request, "business/refused.html", {"refusal": refusal}, status=_refusal_status(refusal))


@login_required
def insights(request):
    figures, refused = _insights_or_refusal(request)
    if refused:
        return refused
    week, month = figures["periods"]
    return render(request, "business/insights.html", {
        "figures": figures, "week": week, "month": month,
        "daily_chart": charts.daily_bars(figures["daily"]),
        "feedback_chart": charts.distribution_bars(month["feedback_distribution"]),
        "nav_section": "insights",
    })


@login_required
def insights_csv(request):
    figures, refused = _insights_or_refusal(request)
    if refused:
        return refused
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="insights.csv"'
    writer = csv.writer(response)
    writer.writerows(services.insights_csv_rows(figures))
    return response
