"""The inbox pages: the conversation list, a new conversation, one conversation and its actions.

Each view reads a form, calls inbox.services and renders or redirects; the rules live in the
services. Every page works as plain form posts; static/js/inbox.js adds the live behaviour over
/ws/ (docs/protocol.md) and fetches two fragments: the conversation list (?partial=list) and
older messages (?before=<seq>&partial=messages).
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import presence
from media import services as media_services

from . import extensions, services, social
from .forms import AddPeopleForm, EditMessageForm, MessageForm, NewConversationForm, RemoveMemberForm, RenameForm, new_client_id
from .models import Message, Participant, Thread
from .stickers import STICKERS

THREADS_PER_PAGE = 30
BOX_CHOICES = (("all", "All"), ("unread", "Unread"), ("archived", "Archived"), ("requests", "Requests"))
BOXES = tuple(value for value, _label in BOX_CHOICES)


def _thread_or_404(user, thread_id):
    """The thread if the user is in it; a stranger's thread and a missing one are the same 404."""
    try:
        return services.get_thread_for(user, thread_id)
    except services.Refused:
        raise Http404(services.NOT_FOUND) from None


def _thread_list(user, *, box="all", page_number=1):
    """One page of the user's conversations: three queries (count, rows, members with profiles).

    Requests also say who wrote and why the user sees them: one query more for the whole page.
    """
    page = Paginator(services.inbox_page(user=user, box=box), THREADS_PER_PAGE).get_page(page_number)
    if box == "requests":
        page.object_list = social.describe_requests(viewer=user, memberships=page.object_list)
    return page


def _list_presence(user, page):
    """Who of the page's 1:1 partners the user may see active, from the members already loaded (no SQL)."""
    people, viewer = {}, None
    for membership in page:
        for member in membership.thread.participants.all():
            if member.user_id == user.pk:
                viewer = member.user
            elif not membership.thread.is_group:
                people[member.user_id] = member.user
    return presence.presence_of(viewer, people.values()) if viewer is not None and people else {}


def _list_context(request, *, box="all", page_number=1, current_thread_id=None):
    threads = _thread_list(request.user, box=box, page_number=page_number)
    return {
        "box": box,
        "box_choices": BOX_CHOICES,
        "threads": threads,
        "presence": _list_presence(request.user, threads),
        "current_thread_id": current_thread_id,
        "nav_section": "inbox",
        "inbox_list_templates": extensions.inbox_list_templates(),
    }


@login_required
@require_http_methods(["GET"])
def index(request):
    box = request.GET.get("box", "all")
    if box not in BOXES:
        box = "all"
    context = {**_list_context(request, box=box, page_number=request.GET.get("page") or 1), "list_page": True}
    if request.GET.get("partial") == "list":
        # inbox.js swaps this in when a conversation that is not on the page comes alive.
        return render(request, "inbox/_thread_list.html", context)
    return render(request, "inbox/index.html", context)


# --- Starting a conversation ----------------------------------------------------------------


def _existing_direct_thread(user, to):
    """The 1:1 with the one person named in ?to=, if it exists (one or two queries)."""
    try:
        people = services.resolve_recipients(creator=user, text=to)
    except services.Refused:
        return None
    if len(people) != 1:
        return None
    return Thread.objects.filter(direct_key=services.direct_key(user.pk, people[0].pk)).first()


def _thread_of_sent_form(user, client_id):
    """A form that was already submitted once (double click, back and resubmit) led to this thread."""
    if not client_id:
        return None
    return Message.objects.filter(sender=user, client_id=client_id).values_list("thread_id", flat=True).first()


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    to = request.GET.get("to", "").strip()
    if request.method == "GET" and to:
        existing = _existing_direct_thread(request.user, to)
        if existing is not None:
            return redirect("inbox:thread", existing.pk)
    form = NewConversationForm(request.POST or None, initial={"recipients": to, "client_id": new_client_id()})
    # Straight to the message when the profile's "Message" button already named the person.
    form.fields["body" if to else "recipients"].widget.attrs["autofocus"] = True
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sent_before = _thread_of_sent_form(request.user, data["client_id"])
        if sent_before is not None:
            return redirect("inbox:thread", sent_before)
        try:
            thread = _start_conversation(request.user, data)
        except _FieldRefusal as refusal:
            form.add_error(refusal.field, refusal.detail)
            refused = refusal.refusal
        else:
            return redirect("inbox:thread", thread.pk)
    status = 400 if form.errors else 200
    if refused is not None and refused.code in OWN_STATUS:
        status = refused.http_status
    response = render(request, "inbox/new.html", {**_list_context(request), "form": form}, status=status)
    return _with_retry_hint(response, refused)


# Refusals a form answers with their own status; other bad input is a plain 400.
OWN_STATUS = {"cannot_message", "rate_limited"}


def _with_retry_hint(response, refusal):
    """A rate-limited form answers 429 with Retry-After (seconds), as the issue asks."""
    if refusal is not None and refusal.code == "rate_limited" and getattr(refusal, "retry_after", None):
        response["Retry-After"] = str(refusal.retry_after)
    return response


class _FieldRefusal(Exception):
    def __init__(self, field, refusal):
        super().__init__(refusal.detail)
        self.field = field
        self.detail = refusal.detail
        self.refusal = refusal


def _start_conversation(user, data):
    """Find or start the thread and send the first message, all or nothing."""
    with transaction.atomic():
        try:
            recipients = services.resolve_recipients(creator=user, text=data["recipients"])
            thread, _created = services.start_thread(creator=user, recipients=recipients, name=data["name"])
        except services.Refused as refusal:
            raise _FieldRefusal("name" if refusal.code == "too_long" else "recipients", refusal) from None
        if data["body"]:
            try:
                services.send_message(sender=user, thread=thread, body=data["body"], client_id=data["client_id"] or None)
            except services.Refused as refusal:
                # Leaving the atomic block by an exception rolls back a group started just now.
                raise _FieldRefusal("body" if refusal.code in {"empty_body", "too_long"} else None, refusal) from None
    return thread


# --- One conversation -----------------------------------------------------------------------


def _before_seq(request, thread=None):
    """Where the page of messages ends: ?before=<seq>, or around ?at=<seq> (a search result's jump:
    the message in the middle of its page; the latest page when it is among the newest)."""
    value = request.GET.get("before", "")
    if value.isdigit() and 0 < int(value) <= services.MAX_ID:
        return int(value)
    at = request.GET.get("at", "")
    if thread is not None and at.isdigit() and 0 < int(at) <= services.MAX_ID:
        before = int(at) + services.PAGE_SIZE // 2
        return before if before <= thread.last_seq else None
    return None


def _sends_receipts(member):
    profile = getattr(member.user, "profile", None)
    return profile is None or profile.read_receipts


def _receipt_members(members, me):
    """The other members whose reading the viewer may see: none if the viewer sends no read
    receipts, else those who send them (reciprocal, as on Instagram)."""
    mine = next((member for member in members if member.user_id == me), None)
    if mine is not None and not _sends_receipts(mine):
        return []
    return [member for member in members if member.user_id != me and _sends_receipts(member)]


def _receipt(messages_shown, members, *, me, is_group):
    """ "Sent", "Seen" (1:1) or "Seen by N" (group) under my newest message, if it is on the page."""
    mine = next((message for message in reversed(messages_shown) if message.sender_id == me), None)
    if mine is None:
        return None
    seen_by = sum(1 for member in _receipt_members(members, me) if member.last_read_seq >= mine.seq)
    if not seen_by:
        text = "Sent"
    else:
        text = f"Seen by {seen_by}" if is_group else "Seen"
    return {"seq": mine.seq, "text": text}


@login_required
@require_http_methods(["GET", "POST"])
def thread(request, thread_id):
    thread = _thread_or_404(request.user, thread_id)
    form = MessageForm(request.POST or None, initial={"client_id": new_client_id()})
    status, refused = 200, None
    if request.method == "POST":
        form.is_valid()  # every field is optional: the service judges the body
        stored = []
        try:
            # Files come as the form's own file input (no JavaScript) or as ids of uploads
            # attachments.js already made (hidden "attachment" inputs, when the socket was down).
            stored = media_services.store_uploads(owner=request.user, uploaded_files=request.FILES.getlist("files"))
            # A GIF chosen in the picker (media/_gif_picker.html) is sent again as a copy, never re-uploaded.
            stored += media_services.copy_attachments_for(
                owner=request.user, attachment_ids=request.POST.getlist("reuse_attachment"),
            )
            _message, created = services.send_message(
                sender=request.user, thread=thread,
                body=form.cleaned_data.get("body", ""), client_id=form.cleaned_data.get("client_id") or None,
                attachment_ids=[attachment.pk for attachment in stored] + request.POST.getlist("attachment"),
                reply_to=request.POST.get("reply_to") or None, sticker=request.POST.get("sticker") or None,
            )
        except services.Refused as refusal:
            # Nothing half-saved: files stored for a message that was not sent go again.
            if stored:
                media_services.discard_uploads(stored)
            if refusal.code == "not_found":  # removed a moment ago
                raise Http404(services.NOT_FOUND) from None
            # Render the page again rather than redirect, so the text is still in the composer.
            messages.error(request, refusal.detail)
            status = refusal.http_status
            refused = refusal
        else:
            if stored and not created:
                # The same form posted twice: the first post's message already carries its files.
                media_services.discard_uploads(stored)
            return redirect("inbox:thread", thread.pk)

    before_seq = _before_seq(request, thread)
    if request.GET.get("partial") == "messages" and before_seq is not None:
        older = services.messages_page(thread=thread, before_seq=before_seq, viewer=request.user)
        return render(request, "inbox/_message_history.html", {"page_messages": older, "thread": thread})

    members = services.thread_participants(thread=thread)
    membership = next((member for member in members if member.user_id == request.user.pk), None)
    if membership is None:  # left in the instant between the two queries
        raise Http404(services.NOT_FOUND)
    others = [member for member in members if member.user_id != request.user.pk]
    head = {
        "thread": thread,
        "membership": membership,
        "members": members,
        "others": others,
        "is_creator": thread.creator_id == request.user.pk,
        # A 1:1 after a block is frozen: "you" blocked them, or "them" (one query).
        "frozen_by": social.block_between(request.user, others[0].user) if not thread.is_group and others else None,
        "partner_presence": (
            presence.presence_of(membership.user, [others[0].user]).get(others[0].user_id)
            if not thread.is_group and others else None
        ),
    }
    if request.GET.get("partial") == "head":
        # inbox.js refreshes the header after someone joins, leaves or renames the group.
        return render(request, "inbox/_conversation_head.html", head)
    page_messages = services.messages_page(thread=thread, before_seq=before_seq, viewer=request.user)
    replying_to = _replying_to(request, thread)
    if before_seq is None and request.method == "GET":
        services.mark_read(user=request.user, thread=thread)
    # A message request: who wrote and why the user sees it, with Accept/Delete/Block.
    request_from = social.describe_request(viewer=request.user, thread=thread, membership=membership, others=others)
    # A request's page keeps the Requests tab open beside it.
    box = "requests" if membership.state == Participant.State.REQUEST else "all"
    context = {
        **_list_context(request, box=box, current_thread_id=thread.pk),
        **head,
        "page_messages": page_messages,
        "viewing_older": before_seq is not None,
        "receipt": None if before_seq else _receipt(page_messages, members, me=request.user.pk, is_group=thread.is_group),
        # For "Seen" in inbox.js: how far each other member has read.
        "read_marks": json.dumps({member.user.username: member.last_read_seq for member in _receipt_members(members, request.user.pk)}),
        "form": form,
        "replying_to": replying_to,
        "stickers": STICKERS,
        # The composer's GIF picker (one query).
        "recent_gifs": media_services.recent_gifs(request.user),
        "request_from": request_from,
        # Parts the apps above the inbox add (inbox.extensions): templates only, no query.
        "thread_page_templates": extensions.thread_page_templates(),
    }
    return _with_retry_hint(render(request, "inbox/thread.html", context, status=status), refused)


def _replying_to(request, thread):
    """The message the composer answers: ?reply_to=<seq> (the menu's "Reply" without JavaScript),
    or the posted reply_to of a refused send, so the quote stays in the composer."""
    seq = request.POST.get("reply_to") or request.GET.get("reply_to")
    if not seq:
        return None
    try:
        message = services.get_message_for(request.user, thread, seq)
    except services.Refused:
        return None
    return None if message.is_system or message.is_gone else message


# --- Actions on one message (the message menu's forms) --------------------------------------


def _at_message(thread_id, message):
    """Back to the conversation, opened at the message."""
    url = reverse("inbox:thread", args=[thread_id])
    return redirect(f"{url}?at={message.seq}#message-{message.pk}") if message else redirect(url)


def _message_or_404(request, thread_id, seq):
    try:
        return services.get_message_for(request.user, thread_id, seq)
    except services.Refused as refusal:
        raise Http404(refusal.detail) from None


@login_required
def message_actions(request, thread_id, seq):
    """A message's own address: the conversation opened at it."""
    return _at_message(thread_id, _message_or_404(request, thread_id, seq))


@login_required
@require_POST
def react(request, thread_id, seq):
    message = _message_or_404(request, thread_id, seq)
    emoji = request.POST.get("emoji") or None
    _attempt(request, lambda: services.react(user=request.user, thread=thread_id, seq=seq, emoji=emoji), "Reaction saved.")
    return _at_message(thread_id, message)


@login_required
@require_POST
def unsend(request, thread_id, seq):
    message = _message_or_404(request, thread_id, seq)
    _attempt(request, lambda: services.unsend_message(user=request.user, thread=thread_id, seq=seq), "Message unsent.")
    return _at_message(thread_id, message)


@login_required
@require_POST
def hide(request, thread_id, seq):
    _message_or_404(request, thread_id, seq)
    _attempt(request, lambda: services.hide_message(user=request.user, thread=thread_id, seq=seq), "Deleted for you.")
    return _at_message(thread_id, None)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, thread_id, seq):
    message = _message_or_404(request, thread_id, seq)
    form = EditMessageForm(request.POST or None, initial={"body": message.body})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_message(user=request.user, thread=thread_id, seq=seq, body=form.cleaned_data["body"])
        except services.Refused as refusal:
            form.add_error("body", refusal.detail)
            status = refusal.http_status
        else:
            messages.success(request, "Message edited.")
            return _at_message(thread_id, message)
    elif form.errors:
        status = 400
    context = {**_list_context(request, current_thread_id=thread_id), "message": message, "form": form}
    return render(request, "inbox/edit_message.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def forward(request, thread_id, seq):
    message = _message_or_404(request, thread_id, seq)
    if message.is_system or message.is_gone:
        raise Http404(services.MESSAGE_NOT_FOUND)
    choices = services.forward_targets(user=request.user)
    error = None
    if request.method == "POST":
        chosen = request.POST.getlist("to")
        try:
            sent, refused = services.forward_message(user=request.user, thread=thread_id, seq=seq, to=chosen)
        except services.Refused as refusal:
            error = refusal.detail
        else:
            if sent:
                count = len(sent)
                messages.success(request, f"Forwarded to {count} conversation{'s' if count != 1 else ''}.")
            for _target, refusal in refused:
                messages.error(request, f"Not forwarded to one conversation: {refusal.detail}")
            if len(sent) == 1 and not refused:
                return redirect("inbox:thread", sent[0].thread_id)
            return _at_message(thread_id, message)
    context = {
        **_list_context(request, current_thread_id=thread_id), "message": message, "choices": choices, "error": error,
    }
    return render(request, "inbox/forward_message.html", context, status=400 if error else 200)


# --- Actions on a conversation (each a POST form on the conversation page) -------------------


def _back(thread):
    return redirect("inbox:thread", thread.pk)


def _attempt(request, action, done):
    """Run one change; flash what happened (done, or done(result)) or why it was refused. True if it ran."""
    try:
        result = action()
    except services.Refused as refusal:
        if refusal.code == "not_found":
            raise Http404(services.NOT_FOUND) from None
        messages.error(request, refusal.detail)
        return False
    messages.success(request, done(result) if callable(done) else done)
    return True


def _membership_action(change, *, done, to_inbox=False, **arguments):
    """A view that flips one of my own settings on a thread and says so."""

    @login_required
    @require_POST
    def view(request, thread_id):
        thread = _thread_or_404(request.user, thread_id)
        if _attempt(request, lambda: change(user=request.user, thread=thread, **arguments), done) and to_inbox:
            return redirect("inbox:index")
        return _back(thread)

    return view


archive = _membership_action(
    services.set_archived, archived=True, to_inbox=True,
    done="Conversation archived. It comes back to your inbox when someone writes.",
)
unarchive = _membership_action(services.set_archived, archived=False, done="Conversation moved back to your inbox.")
mute = _membership_action(
    services.set_muted, muted=True, done="Conversation muted: it no longer counts in your Inbox badge.",
)
unmute = _membership_action(services.set_muted, muted=False, done="Conversation unmuted.")


@login_required
@require_http_methods(["GET"])
def notification(request, thread_id):
    """Whether a new message here may show a browser notification: {"notify": false} when muted.

    Asked by static/js/browser_notifications.js from a background tab before it shows one: an
    unread.update comes for a muted conversation too. Participants only (404 otherwise).
    """
    # One query: the participant row is both the access check and the muted flag.
    muted = Participant.objects.filter(thread_id=thread_id, user=request.user).values_list("muted", flat=True).first()
    if muted is None:
        raise Http404(services.NOT_FOUND)
    response = JsonResponse({"notify": not muted})
    response["Cache-Control"] = "private, no-store"
    return response
mark_unread = _membership_action(services.mark_unread, to_inbox=True, done="Conversation marked as unread.")


@login_required
@require_POST
def rename(request, thread_id):
    thread = _thread_or_404(request.user, thread_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["name"]))
        return _back(thread)
    name = form.cleaned_data["name"]
    _attempt(request, lambda: services.rename_group(user=request.user, thread=thread, name=name),
             "Group renamed." if name else "Group name removed.")
    return _back(thread)


@login_required
@require_POST
def add_people(request, thread_id):
    thread = _thread_or_404(request.user, thread_id)
    form = AddPeopleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name the people to add, by username.")
        return _back(thread)

    def add():
        people = services.resolve_recipients(creator=request.user, text=form.cleaned_data["people"])
        return services.add_participants(user=request.user, thread=thread, users=people)

    _attempt(request, add, lambda added: f"Added {', '.join(person.display_name for person in added)}.")
    return _back(thread)


@login_required
@require_POST
def remove_person(request, thread_id):
    thread = _thread_or_404(request.user, thread_id)
    form = RemoveMemberForm(request.POST)
    username = form.cleaned_data["member"] if form.is_valid() else ""
    member = next(
        (member.user for member in services.thread_participants(thread=thread) if member.user.username == username),
        None,
    )
    if member is None:
        messages.error(request, "That person is not in this group.")
        return _back(thread)
    _attempt(request, lambda: services.remove_participant(user=request.user, thread=thread, member=member),
             f"Removed {member.display_name} from the group.")
    return _back(thread)


@login_required
@require_POST
def leave(request, thread_id):
    thread = _thread_or_404(request.user, thread_id)
    if _attempt(request, lambda: services.leave_thread(user=request.user, thread=thread), "You left the group."):
        return redirect("inbox:index")
    return _back(thread)


# --- Message requests -----------------------------------------------------------------------

REQUESTS_TAB = "/inbox/?box=requests"


@login_required
@require_POST
def requests(request):
    """The Requests tab's buttons, as one plain form.

    A row's own button posts accept=<id>, delete=<id> or block=<id>; "Delete selected" and
    "Block selected" post action=delete|block with the checked thread ids. Accept opens the
    conversation; the others come back to the Requests tab. A single request that is not the
    user's is a 404; in a bulk post, ids that are not the user's requests are ignored.
    """
    action, single = None, None
    for verb in ("accept", "delete", "block"):
        if verb in request.POST:
            action, single = verb, request.POST[verb]
            break
    else:
        action = request.POST.get("action")
    if action not in {"accept", "delete", "block"} or (action == "accept" and single is None):
        messages.error(request, "Choose Accept, Delete or Block.")
        return redirect(REQUESTS_TAB)
    if single is not None:
        thread = _thread_or_404(request.user, single)
        ids = [thread.pk]
    else:
        ids = request.POST.getlist("thread")
        if not ids:
            messages.error(request, "Select the requests first, with the boxes beside them.")
            return redirect(REQUESTS_TAB)
    if action == "accept":
        if social.accept_request(user=request.user, thread=thread):
            messages.success(request, "Request accepted: the conversation is in your inbox now.")
        return redirect("inbox:thread", thread.pk)
    if action == "delete":
        deleted = social.delete_requests(user=request.user, threads=ids)
        if deleted:
            messages.success(request, "Request deleted." if deleted == 1 else f"{deleted} requests deleted.")
        return redirect(REQUESTS_TAB)
    blocked = social.block_requests(user=request.user, threads=ids)
    if len(blocked) == 1:
        messages.success(request, f"You blocked @{blocked[0].username}. They can't message you, and they aren't told.")
    elif blocked:
        messages.success(request, f"You blocked {len(blocked)} people. They can't message you, and they aren't told.")
    return redirect(REQUESTS_TAB)
