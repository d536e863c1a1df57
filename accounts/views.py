import copy
import logging
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.core.files.storage import FileSystemStorage, default_storage
from django.forms.forms import NON_FIELD_ERRORS
from django.http import FileResponse, Http404, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from common.http import server_error_fallback

from . import extensions, presence, services
from .forms import AppearanceForm, LoginForm, PasswordConfirmationForm, PrivacyForm, ProfileForm, SignupForm
from .models import User

logger = logging.getLogger(__name__)

AVATAR_CONTENT_TYPES = {"webp": "image/webp", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}


def home(request):
    return redirect("inbox:index" if request.user.is_authenticated else "login")


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the error may be the database.
    try:
        html = loader.get_template("500.html").render()
    except Exception:
        # What broke may be the template's own needs, e.g. the static files manifest (no collectstatic).
        logger.exception("The 500 page could not render; sent the self-contained one")
        return server_error_fallback()
    return HttpResponseServerError(html)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


# --- Sign up, log in, log out ---------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("inbox:index")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        remote_addr = request.META.get("REMOTE_ADDR")
        # Checked before the form, so someone over the limit learns it before fixing their input.
        wait = services.signup_wait(remote_addr=remote_addr)
        if wait:
            return refuse_signup(request, form, wait)
    if request.method == "POST" and form.is_valid():
        try:
            # Counted only for a valid form, and atomically: the last free place goes to one sign-up.
            services.count_signup(remote_addr=remote_addr)
            user = services.create_account(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except services.Refused as refusal:
            if refusal.code == "rate_limited":
                return refuse_signup(request, form, refusal.retry_after)
            form.add_error(None, refusal.detail)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Parley, {user.username}! Add a name and a picture in Settings.")
            return redirect("inbox:index")
    return render(request, "accounts/signup.html", {"form": form})


def refuse_signup(request, form, retry_after):
    """HTTP 429 with the form as it was sent (passwords dropped) and nothing created."""
    form = SignupForm(initial={"username": form.data.get("username", ""), "email": form.data.get("email", "")})
    response = render(
        request,
        "accounts/signup.html",
        {"form": form, "refusal": services.SIGNUPS_REFUSED.format(wait=services.describe_wait(retry_after))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's login, throttled per username and per client address (see services.login_throttle)."""

    form_class = LoginForm
    redirect_authenticated_user = True

    refusal = None

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        throttle = services.login_throttle(username=username, remote_addr=request.META.get("REMOTE_ADDR"))
        if throttle.refused:
            return self.refuse(throttle.retry_after)
        if throttle.delay:
            services.sleep(throttle.delay)
        return super().post(request, *args, **kwargs)

    def refuse(self, retry_after):
        # The same words whether the account exists or not; no password is checked.
        self.refusal = (
            "Too many failed attempts to log in. For your safety, logging in is paused for a while: "
            f"try again in {services.describe_wait(retry_after)}."
        )
        form = self.get_form()
        form.is_valid()
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(retry_after)
        return response

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "refusal": self.refusal}

    def form_valid(self, form):
        services.record_login_success(username=form.cleaned_data["username"])
        return super().form_valid(form)

    def form_invalid(self, form):
        # Only a checked password counts as a failure, not a field left empty.
        if form.has_error(NON_FIELD_ERRORS, "invalid_login") or form.has_error(NON_FIELD_ERRORS, "inactive"):
            services.record_login_failure(
                username=form.cleaned_data.get("username", ""), remote_addr=self.request.META.get("REMOTE_ADDR")
            )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's). Also closes the WebSockets opened with this session."""

    def post(self, request, *args, **kwargs):
        user, session_key = request.user, request.session.session_key
        response = super().post(request, *args, **kwargs)
        if user.is_authenticated:
            services.close_user_sockets(user, session_key)
            messages.info(request, "You're logged out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Keeps this session (Django updates its hash); every other session and socket is closed."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:settings")
    extra_context = {"nav_section": "settings", "settings_section": "password"}

    def form_valid(self, form):
        response = super().form_valid(form)
        # Null closes this tab's socket too; it reconnects at once with the updated session.
        services.close_user_sockets(form.user)
        messages.success(self.request, "Your password is changed. Other devices have been logged out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, limited per address asked for and per client address.

    Limited or not, known address or not, the answer is the same redirect to the same page: only
    the mailbox learns whether a link was sent.
    """

    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"

    def form_valid(self, form):
        wait = services.count_password_reset(
            email=form.cleaned_data["email"], remote_addr=self.request.META.get("REMOTE_ADDR")
        )
        if wait:
            logger.info("Password reset request over its limit; nothing sent")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever reset it owns the mailbox: lift a throttle an attacker may have caused.
        services.record_login_success(username=self.user.get_username())
        services.close_user_sockets(self.user)
        return response


# --- Profiles and settings ------------------------------------------------------------------


def active_person_or_404(username):
    try:
        return services.get_active_user(username)
    except services.Refused:
        raise Http404("No such person") from None


def profile_context(request, person):
    """What a profile page shows of the person, for this view and for the apps that extend the page (posts)."""
    is_me = request.user.is_authenticated and request.user.pk == person.pk
    return {
        "person": person,
        "is_me": is_me,
        "relationship": services.relationship(viewer=request.user, person=person),
        # "Active now" for a signed-in visitor, when both show their activity (no query: the cache).
        "activity": (
            presence.presence_of(request.user, [person]).get(person.pk)
            if request.user.is_authenticated and not is_me else None
        ),
        "nav_section": "profile" if is_me else None,
        # Parts the apps above accounts add (accounts.extensions).
        "profile_parts": extensions.profile_parts(person=person, viewer=request.user),
    }


def profile(request, username):
    person = active_person_or_404(username)
    return render(request, "accounts/profile.html", profile_context(request, person))


FOLLOW_PAGE_SIZE = 30


def follow_list(request, username, direction):
    person = active_person_or_404(username)
    links = services.follow_list(person=person, direction=direction, viewer=request.user)
    page = Paginator(links, FOLLOW_PAGE_SIZE).get_page(request.GET.get("page"))
    for link in page:
        link.person = link.follower if direction == "followers" else link.followed
    is_me = request.user.is_authenticated and request.user.pk == person.pk
    return render(
        request,
        "accounts/follow_list.html",
        {
            "person": person,
            "direction": direction,
            "page": page,
            "nav_section": "profile" if is_me else None,
        },
    )


# What each button on a profile does: the service, and what to say afterwards ({name} is @username).
SOCIAL_ACTIONS = {
    "follow": (lambda me, them: services.follow(follower=me, followed=them), ""),
    "unfollow": (lambda me, them: services.unfollow(follower=me, followed=them), ""),
    "block": (
        lambda me, them: services.block(blocker=me, blocked=them),
        "You blocked {name}. They can't message or follow you, and you won't see their messages in groups. "
        "They aren't told.",
    ),
    "unblock": (lambda me, them: services.unblock(blocker=me, blocked=them), "You unblocked {name}."),
    "mute": (
        lambda me, them: services.mute_person(muter=me, muted=them),
        "You muted {name}. Their messages no longer count in your unread badge. They aren't told.",
    ),
    "unmute": (lambda me, them: services.unmute_person(muter=me, muted=them), "You unmuted {name}."),
}
# Undoing works on deactivated accounts too, so they can be cleared from the privacy page.
UNDO_ACTIONS = {"unfollow", "unblock", "unmute"}


@require_POST
def social_action(request, username, action):
    """One button of a profile (Follow, Block, Mute and their undo), as a plain form POST.

    Answers with a redirect to `next` (same site only) or the profile, and a message.
    """
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("accounts:profile", args=[username])
    if not request.user.is_authenticated:
        # After logging in, come back to the page, not to this POST-only address.
        return redirect_to_login(back)
    if action in UNDO_ACTIONS:
        person = User.objects.filter(username=username).first()
        if person is None:
            raise Http404("No such person")
    else:
        person = active_person_or_404(username)
    run, done = SOCIAL_ACTIONS[action]
    try:
        run(request.user, person)
    except services.Refused as refusal:
        messages.error(request, refusal.detail)
    else:
        if done:
            messages.success(request, done.format(name=f"@{person.username}"))
    return redirect(back)


@require_GET
def avatar(request, username):
    # Served for deactivated accounts too: their past messages still show who wrote them.
    user = User.objects.select_related("profile").filter(username=username).first()
    name = user.profile.avatar.name if user is not None and hasattr(user, "profile") else ""
    if not name:
        raise Http404("No avatar")
    if not isinstance(default_storage, FileSystemStorage):
        # Object storage hands out a short-lived signed URL instead of streaming through Parley.
        response = HttpResponseRedirect(default_storage.url(name))
        response["Cache-Control"] = "private, max-age=60"
        return response
    try:
        file = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No avatar") from None
    extension = PurePosixPath(name).suffix.lstrip(".").lower()
    response = FileResponse(file, content_type=AVATAR_CONTENT_TYPES.get(extension, "application/octet-stream"))
    # The URL changes with every new picture (?v=), so it may be cached for a day.
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
def settings_profile(request):
    profile = services.get_profile(request.user)
    if request.method == "POST" and request.POST.get("action") == "remove_avatar":
        services.update_profile(user=request.user, remove_avatar=True)
        messages.success(request, "Your avatar is removed.")
        return redirect("accounts:settings")
    # A copy: an invalid post must not change the name shown beside the form.
    form = ProfileForm(request.POST or None, request.FILES or None, instance=copy.copy(profile))
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            user=request.user,
            display_name=form.cleaned_data["display_name"],
            bio=form.cleaned_data["bio"],
            avatar=form.cleaned_data["avatar"],
        )
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "person": request.user, "nav_section": "settings", "settings_section": "profile"}
    )


BLOCKED_PAGE_SIZE = 50


@login_required
def settings_privacy(request):
    profile = services.get_profile(request.user)
    form = PrivacyForm(request.POST or None, initial={
        "message_policy": profile.message_policy, "show_activity": profile.show_activity,
        "read_receipts": profile.read_receipts,
    })
    if request.method == "POST" and form.is_valid():
        services.set_message_policy(user=request.user, policy=form.cleaned_data["message_policy"])
        services.set_sharing(
            user=request.user, show_activity=form.cleaned_data["show_activity"],
            read_receipts=form.cleaned_data["read_receipts"],
        )
        messages.success(request, "Your privacy settings are saved.")
        return redirect("accounts:privacy")
    blocked = Paginator(services.blocked_people(request.user), BLOCKED_PAGE_SIZE).get_page(request.GET.get("blocked"))
    muted = Paginator(services.muted_people(request.user), BLOCKED_PAGE_SIZE).get_page(request.GET.get("muted"))
    for entry in blocked:
        entry.person = entry.blocked
    for entry in muted:
        entry.person = entry.muted
    return render(
        request,
        "accounts/privacy.html",
        {
            "form": form,
            "blocked": blocked,
            "muted": muted,
            "nav_section": "settings",
            "settings_section": "privacy",
        },
    )


@login_required
def settings_appearance(request):
    form = AppearanceForm(request.POST or None, initial={"theme": request.user.theme})
    if request.method == "POST" and form.is_valid():
        services.set_theme(user=request.user, theme=form.cleaned_data["theme"])
        messages.success(request, "Your appearance is saved.")
        return redirect("accounts:appearance")
    return render(
        request,
        "accounts/appearance.html",
        {"form": form, "nav_section": "settings", "settings_section": "appearance"},
    )


@login_required
@sensitive_post_parameters("password")
def deactivate(request):
    form = PasswordConfirmationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.deactivate_account(user=request.user)
        logout(request)
        messages.info(request, "Your account is deactivated and you are logged out everywhere.")
        return redirect(reverse("login"))
    return render(
        request,
        "accounts/deactivate.html",
        {"form": form, "nav_section": "settings", "settings_section": "deactivate"}
    )


@login_required
@sensitive_post_parameters("password")
def delete_account(request):
    form = PasswordConfirmationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user=request.user)
        logout(request)
        messages.info(request, "Your account is deleted.")
        return redirect(reverse("login"))
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, "nav_section": "settings", "settings_section": "delete"},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def people_search(request):
    """Suggestions for the fields where a person is picked (static/js/people_picker.js): JSON."""
    people = services.search_people(viewer=request.user, query=request.GET.get("q", ""))
    return JsonResponse({
        "people": [
            {
                "username": person.username,
                "name": person.display_name,
                "avatar": loader.render_to_string("accounts/_avatar.html", {"person": person, "size": "small"}),
                "followed": person.followed,
            }
            for person in people
        ]
    })
