"""The public side's pages: the home feed, a post with its comments, a profile's posts, stories,
and the small forms that hand a conversation over to private (reply privately, send).

Each view reads a form, calls posts.services and renders or redirects; every page works as plain
form posts, and static/js/posts.js only adds the story viewer's keys and swipes and the
"New posts" poll (GET /feed/new-posts/?after=<cursor> answers {"count": n}).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import views as accounts_views
from common.errors import Refused
from inbox import services as inbox_services
from moderation import views as moderation_views

from . import services
from .forms import CommentForm, PostForm, PrivateReplyForm, StoryForm, StoryReplyForm

SHARE_CHOICES = 30


def _back(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _post_or_unavailable(request, pk):
    try:
        return services.get_post_for(request.user, pk)
    except Refused:
        raise Http404(services.POST_UNAVAILABLE) from None


def _unavailable(request, text=services.POST_UNAVAILABLE):
    return render(request, "posts/unavailable.html", {"text": text}, status=404)


# --- Feed and profile ------------------------------------------------------------------------


def home(request):
    """`/`: the home feed for a logged-in person; otherwise what `/` always did (accounts.views.home)."""
    if not request.user.is_authenticated:
        return accounts_views.home(request)
    try:
        posts, next_cursor = services.feed_page(viewer=request.user, before=request.GET.get("before"))
    except Refused:
        return redirect("home")
    return render(request, "posts/feed.html", {
        "posts": posts,
        "next_cursor": next_cursor,
        "newest_cursor": services.newest_cursor(posts) if not request.GET.get("before") else "",
        "rings": services.story_rings(request.user),
        "form": PostForm(),
        "nav_section": "home",
    })


@login_required
@require_GET
def new_posts(request):
    """{"count": how many feed posts are newer than ?after=<cursor>}: the feed's "New posts" poll."""
    try:
        count = services.newer_in_feed(viewer=request.user, after=request.GET.get("after"))
    except Refused as refusal:
        return JsonResponse({"error": refusal.code, "detail": refusal.detail}, status=400)
    return JsonResponse({"count": count})


def profile(request, username):
    """A profile (accounts' page) with the person's pinned FAQ and posts below."""
    person = accounts_views.active_person_or_404(username)
    context = accounts_views.profile_context(request, person)
    try:
        posts, next_cursor = services.profile_page(viewer=request.user, author=person, before=request.GET.get("before"))
    except Refused:
        raise Http404 from None
    return render(request, "posts/profile.html", {
        **context,
        "posts": posts,
        "next_cursor": next_cursor,
        "pinned": services.pinned_posts(viewer=request.user, author=person),
        "form": PostForm() if context["is_me"] else None,
    })


# --- Posts -----------------------------------------------------------------------------------


@login_required
@require_POST
def create(request):
    form = PostForm(request.POST)
    back = _back(request, reverse("home"))
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(back)
    try:
        post = services.create_post(author=request.user, body=form.cleaned_data["body"],
                                    uploaded_files=request.FILES.getlist("pictures"))
    except Refused as refusal:
        messages.error(request, refusal.detail)
        return redirect(back)
    messages.success(request, "Posted.")
    return redirect(f"{back}#post-{post.pk}")


def post(request, pk):
    try:
        item = services.get_post_for(request.user, pk)
    except Refused:
        return _unavailable(request)
    return render(request, "posts/post.html", {
        "post": item,
        "comments": services.post_comments(item, viewer=request.user),
        "form": CommentForm(),
        "is_author": request.user.is_authenticated and request.user.pk == item.author_id,
    })


@login_required
@require_POST
def delete(request, pk):
    item = _post_or_unavailable(request, pk)
    try:
        services.delete_post(user=request.user, post=item)
    except Refused as refusal:
        messages.error(request, refusal.detail)
        return redirect("posts:post", pk)
    messages.success(request, "Post deleted.")
    return redirect(_back(request, reverse("accounts:profile", args=[request.user.username])))


@login_required
@require_POST
def toggle_comments(request, pk):
    item = _post_or_unavailable(request, pk)
    try:
        services.set_comments_enabled(user=request.user, post=item, enabled=request.POST.get("enabled") == "1")
    except Refused as refusal:
        messages.error(request, refusal.detail)
    return redirect("posts:post", pk)


@login_required
@require_POST
def pin(request, pk):
    item = _post_or_unavailable(request, pk)
    try:
        services.pin_post(user=request.user, post=item, pinned=request.POST.get("pinned") == "1")
    except Refused as refusal:
        messages.error(request, refusal.detail)
    return redirect(_back(request, reverse("posts:post", args=[pk])))


# --- Comments --------------------------------------------------------------------------------


@login_required
@require_POST
def comment(request, pk):
    try:
        item = services.get_post_for(request.user, pk)
    except Refused:
        return _unavailable(request)
    form = CommentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            created = services.add_comment(author=request.user, post=item, body=form.cleaned_data["body"])
        except Refused as refusal:
            form.add_error("body", refusal.detail)
            status = refusal.http_status
        else:
            return redirect(f"{reverse('posts:post', args=[pk])}#comment-{created.pk}")
    return render(request, "posts/post.html", {
        "post": item, "comments": services.post_comments(item, viewer=request.user), "form": form,
        "is_author": request.user.pk == item.author_id,
    }, status=status)


def _comment_or_404(request, pk, comment_pk):
    item = _post_or_unavailable(request, pk)
    try:
        found = services.get_comment_for(request.user, item, comment_pk)
    except Refused:
        raise Http404 from None
    found.post = item
    return item, found


@login_required
@require_POST
def delete_comment(request, pk, comment_pk):
    _item, found = _comment_or_404(request, pk, comment_pk)
    try:
        services.delete_comment(user=request.user, comment=found)
    except Refused as refusal:
        messages.error(request, refusal.detail)
    else:
        messages.success(request, "Comment deleted.")
    return redirect("posts:post", pk)


# --- Hand-off to private ---------------------------------------------------------------------


def _private_reply(request, *, card, recipient, send, back):
    """The small form behind "Reply privately": the card, the words, "Send" into the 1:1."""
    form = PrivateReplyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            thread, _message = send(form.cleaned_data["body"])
        except Refused as refusal:
            form.add_error("body", refusal.detail)
            status = refusal.http_status
        else:
            return redirect("inbox:thread", thread.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "posts/reply.html", {
        "form": form, "card": card, "recipient": recipient, "back": back,
    }, status=status)


@login_required
def reply_to_post(request, pk):
    try:
        item = services.get_post_for(request.user, pk)
    except Refused:
        return _unavailable(request)
    return _private_reply(
        request, card=services.post_card(item, label="Replied to your post"), recipient=item.author,
        send=lambda body: services.reply_to_post(sender=request.user, post=item, body=body),
        back=reverse("posts:post", args=[pk]),
    )


@login_required
def reply_to_comment(request, pk, comment_pk):
    try:
        item, found = _comment_or_404(request, pk, comment_pk)
    except Http404:
        return _unavailable(request)
    if item.author_id != request.user.pk:
        raise Http404
    return _private_reply(
        request, card=services.comment_card(found, label="Replied to your comment"), recipient=found.author,
        send=lambda body: services.reply_to_comment(sender=request.user, comment=found, body=body),
        back=reverse("posts:post", args=[pk]),
    )


def _share(request, *, card, send, back, what):
    conversations = list(inbox_services.inbox_page(user=request.user, box="all")[:SHARE_CHOICES])
    error = None
    status = 200
    if request.method == "POST":
        try:
            sent = send(request.POST.getlist("threads"), request.POST.get("body", ""))
        except Refused as refusal:
            error, status = refusal.detail, refusal.http_status
        else:
            messages.success(request, f"Sent to {len(sent)} conversation{'s' if len(sent) != 1 else ''}.")
            return redirect(back)
    return render(request, "posts/send.html", {
        "card": card, "conversations": conversations, "error": error, "back": back, "what": what,
    }, status=status)


@login_required
def share_post(request, pk):
    try:
        item = services.get_post_for(request.user, pk)
    except Refused:
        return _unavailable(request)
    return _share(
        request, card=services.post_card(item, label="Shared a post"), what="post",
        send=lambda ids, body: services.share(sender=request.user, thread_ids=ids, body=body, post=item),
        back=reverse("posts:post", args=[pk]),
    )


# --- Stories ---------------------------------------------------------------------------------


@login_required
def create_story(request):
    form = StoryForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.create_story(author=request.user, uploaded_file=form.cleaned_data["file"],
                                                caption=form.cleaned_data["caption"])
            except Refused as refusal:
                form.add_error("file", refusal.detail)
                status = refusal.http_status
            else:
                messages.success(request, "Your story is live for 24 hours.")
                return redirect("posts:story", created.pk)
    return render(request, "posts/story_new.html", {"form": form, "nav_section": "home"}, status=status)


def _story_or_unavailable(request, pk):
    try:
        return services.get_story_for(request.user, pk)
    except Refused:
        return None


@login_required
def story(request, pk):
    item = _story_or_unavailable(request, pk)
    if item is None:
        return _unavailable(request, services.STORY_UNAVAILABLE)
    services.mark_story_seen(viewer=request.user, story=item)
    previous, following = services.story_sequence(request.user, item)
    is_author = item.author_id == request.user.pk
    return render(request, "posts/story.html", {
        "story": item,
        "previous": previous,
        "next": following,
        "is_author": is_author,
        "viewers": services.story_viewers(user=request.user, story=item) if is_author else None,
        "form": None if is_author else StoryReplyForm(author=item.author),
    })


@login_required
@require_POST
def reply_to_story(request, pk):
    item = _story_or_unavailable(request, pk)
    if item is None:
        return _unavailable(request, services.STORY_UNAVAILABLE)
    form = StoryReplyForm(request.POST, author=item.author)
    if form.is_valid():
        try:
            services.reply_to_story(sender=request.user, story=item, body=form.cleaned_data["body"])
        except Refused as refusal:
            messages.error(request, refusal.detail)
        else:
            messages.success(request, f"Reply sent to {item.author.display_name}.")
    else:
        messages.error(request, "Write a reply before sending.")
    return redirect("posts:story", pk)


@login_required
@require_POST
def delete_story(request, pk):
    item = _story_or_unavailable(request, pk)
    if item is None:
        return _unavailable(request, services.STORY_UNAVAILABLE)
    try:
        services.delete_story(user=request.user, story=item)
    except Refused as refusal:
        messages.error(request, refusal.detail)
        return redirect("posts:story", pk)
    messages.success(request, "Story deleted.")
    return redirect("home")


@login_required
def share_story(request, pk):
    item = _story_or_unavailable(request, pk)
    if item is None:
        return _unavailable(request, services.STORY_UNAVAILABLE)
    return _share(
        request, card=services.story_card(item, label="Shared a story"), what="story",
        send=lambda ids, body: services.share(sender=request.user, thread_ids=ids, body=body, story=item),
        back=reverse("posts:story", args=[pk]),
    )


# --- Reports ---------------------------------------------------------------------------------


def _report(request, *, kind, person, body, created, back, submit):
    target = {"kind": kind, "person": person, "content": {"body": body, "created": created}, "back": back}
    return moderation_views.report_page(
        request, target=target, submit=lambda data: submit(**moderation_views.choices(data)),
    )


@login_required
def report_post(request, pk):
    try:
        item = services.get_post_for(request.user, pk)
    except Refused:
        return _unavailable(request)
    return _report(request, kind="post", person=item.author, body=item.body, created=item.created,
                   back=reverse("posts:post", args=[pk]),
                   submit=lambda **choices: services.report_post(reporter=request.user, post=item, **choices))


@login_required
def report_comment(request, pk, comment_pk):
    try:
        _item, found = _comment_or_404(request, pk, comment_pk)
    except Http404:
        return _unavailable(request)
    return _report(request, kind="comment", person=found.author, body=found.body, created=found.created,
                   back=reverse("posts:post", args=[pk]) + f"#comment-{found.pk}",
                   submit=lambda **choices: services.report_comment(reporter=request.user, comment=found, **choices))


@login_required
def report_story(request, pk):
    item = _story_or_unavailable(request, pk)
    if item is None:
        return _unavailable(request, services.STORY_UNAVAILABLE)
    return _report(request, kind="story", person=item.author, body=item.caption, created=item.created,
                   back=reverse("posts:story", args=[pk]),
                   submit=lambda **choices: services.report_story(reporter=request.user, story=item, **choices))
