from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class User(AbstractUser):
    """A Parley account: a person or a brand. Custom from the first migration."""

    class Theme(models.TextChoices):
        """The colours of every page, drawn by the server as <html data-theme> (see base.html)."""

        SYSTEM = "system", "Match my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    # On the user rather than the profile: every page reads it, and the user is already loaded.
    theme = models.CharField(max_length=6, choices=Theme.choices, default=Theme.SYSTEM)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per e-mail address, whatever its case: password reset mails go to one person.
            models.UniqueConstraint(Lower("email"), name="user_unique_email_ci", condition=~Q(email="")),
        ]

    @property
    def display_name(self):
        profile = getattr(self, "profile", None)
        if profile is not None and profile.deleted_at is not None:
            return DELETED_ACCOUNT
        return (profile.display_name if profile else "") or self.username

    @property
    def is_deleted_account(self):
        profile = getattr(self, "profile", None)
        return profile is not None and profile.deleted_at is not None


# What others see in place of the name of someone who deleted their account.
DELETED_ACCOUNT = "Deleted account"


class Profile(models.Model):
    """What others see of an account: display name, bio and avatar."""

    class MessagePolicy(models.TextChoices):
        """Who may reach this person's inbox; see accounts.services.message_route."""

        EVERYONE = "everyone", "Everyone"
        REQUESTS = "requests", "People I follow, and requests from others"
        FOLLOWED = "followed", "Only people I follow"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    # Stored under a random name by accounts.services.update_profile; served by accounts.views.avatar.
    avatar = models.FileField(upload_to="avatars/", blank=True, max_length=200)
    created = models.DateTimeField(default=timezone.now)
    message_policy = models.CharField(
        max_length=10, choices=MessagePolicy.choices, default=MessagePolicy.REQUESTS
    )
    # Both reciprocal, as on Instagram: off hides mine, and then I see nobody's either.
    show_activity = models.BooleanField("Show activity status", default=True)
    read_receipts = models.BooleanField("Send read receipts", default=True)
    # Set when the person deleted their account (accounts.services.delete_account): the row stays,
    # emptied, so their messages keep their places in other people's conversations.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return self.display_name or self.user.username


class Follow(models.Model):
    """follower follows followed: public, one-way, like on X or Instagram."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_links")
    followed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_links")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Following twice means nothing more; its index (follower first) also answers
            # "does the recipient follow the sender?" for every message route, and "whom does X follow".
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_unique_pair"),
            models.CheckConstraint(condition=~Q(follower=F("followed")), name="follow_not_self"),
        ]
        indexes = [
            # The followers page and count of a profile, newest first.
            models.Index(fields=["followed", "-created"], name="follow_followed_created"),
            # The following page of a profile, newest first.
            models.Index(fields=["follower", "-created"], name="follow_follower_created"),
        ]

    def __str__(self):
        return f"{self.follower} follows {self.followed}"


class Block(models.Model):
    """blocker blocked blocked: neither can message the other; see accounts.services.block."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_received")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Blocking twice means nothing more; its index (blocker first) also lists the people I blocked.
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique_pair"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]
        indexes = [
            # The other half of "is there a block between these two, either way?" (blocked_user_ids):
            # the people who blocked me, and who of a group's members blocked the sender.
            models.Index(fields=["blocked", "blocker"], name="block_blocked_blocker"),
        ]

    def __str__(self):
        return f"{self.blocker} blocked {self.blocked}"


class PersonMute(models.Model):
    """muter muted muted: their messages stop counting in muter's badge and notifications, silently."""

    muter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes_made")
    muted = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes_received")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Muting twice means nothing more; its index (muter first) lists the people I muted.
            models.UniqueConstraint(fields=["muter", "muted"], name="person_mute_unique_pair"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="person_mute_not_self"),
        ]
        indexes = [
            # Who of a conversation's members muted the sender (no badge bump for them).
            models.Index(fields=["muted", "muter"], name="person_mute_muted_muter"),
        ]

    def __str__(self):
        return f"{self.muter} muted {self.muted}"
