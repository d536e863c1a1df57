from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from common.admin import SuperuserOnlyAdmin

from . import services
from .models import Block, Profile, User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("display_name", "bio", "avatar_preview")
    # Avatars only enter through the checking pipeline (accounts.services), never a raw admin upload.
    readonly_fields = ("avatar_preview",)

    @admin.display(description="Avatar")
    def avatar_preview(self, profile):
        return avatar_thumbnail(profile)


def avatar_thumbnail(profile):
    if not profile.avatar:
        return "None"
    return format_html(
        '<img src="{}?v={}" alt="" width="64" height="64" style="border-radius:50%">',
        reverse("accounts:avatar", args=[profile.user.username]),
        profile.avatar.name[-16:],
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = [ProfileInline]
    list_display = ("username", "email", "display_name_column", "is_active", "is_staff", "date_joined", "last_login")
    # The display name column reads the profile: one join instead of a query per row.
    list_select_related = ("profile",)
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    search_fields = ("username", "email", "profile__display_name")
    ordering = ("-date_joined",)
    date_hierarchy = "date_joined"

    @admin.display(description="Display name", ordering="profile__display_name")
    def display_name_column(self, user):
        profile = getattr(user, "profile", None)
        return profile.display_name if profile else ""

    def get_deleted_objects(self, objs, request):
        """What the confirmation page lists: the accounts only. Nothing else is deleted by cascade
        (delete_account empties the rows and keeps them), so deleting accounts is the only right needed."""
        accounts = [f"{user.username} ({user.email or 'no e-mail'}): profile, posts, uploads and message words"
                    for user in objs]
        return accounts, {User._meta.verbose_name_plural: len(accounts)}, set(), []

    # Deleting an account in the admin is what a person's own "Delete account" does
    # (accounts.services.delete_account): the row stays emptied, so other people's conversations
    # keep every message in its place, and the files go once that commits.
    def delete_model(self, request, obj):
        services.delete_account(user=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for user in queryset:
                services.delete_account(user=user)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "has_avatar", "message_policy", "created")
    list_select_related = ("user",)
    list_filter = ("message_policy", "created")
    search_fields = ("user__username", "user__email", "display_name")
    fields = ("user", "display_name", "bio", "avatar_preview", "message_policy", "created")
    # Who may message a person is their own choice: staff see it, only they change it.
    readonly_fields = ("user", "avatar_preview", "message_policy", "created")
    actions = ["remove_avatars"]

    def has_add_permission(self, request):
        # A profile belongs to an account and is made with it (or on first access).
        return False

    @admin.display(description="Avatar", boolean=True)
    def has_avatar(self, profile):
        return bool(profile.avatar)

    @admin.display(description="Avatar")
    def avatar_preview(self, profile):
        return avatar_thumbnail(profile)

    @admin.action(description="Remove the avatar of the selected profiles")
    def remove_avatars(self, request, queryset):
        removed = 0
        for profile in queryset.select_related("user").exclude(avatar=""):
            services.update_profile(user=profile.user, remove_avatar=True)
            removed += 1
        self.message_user(request, f"Removed {removed} avatar(s).", messages.SUCCESS)


@admin.register(Block)
class BlockAdmin(SuperuserOnlyAdmin):
    """Who blocked whom and when, for superusers handling abuse: metadata only, read-only.

    A person blocked by many is a lead for moderation. Blocks are private between the two people,
    so ordinary staff do not see this list, and nobody edits it here.
    """

    list_display = ("created", "blocker", "blocked")
    list_select_related = ("blocker", "blocked")
    list_filter = ("created",)
    search_fields = ("blocker__username", "blocked__username")
    date_hierarchy = "created"
    ordering = ("-created",)
    fields = ("blocker", "blocked", "created")
    readonly_fields = fields
