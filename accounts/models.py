from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class User(AbstractUser):
    """A Parley account: a person or a brand. Custom from the first migration."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per e-mail address, whatever its case: password reset mails go to one person.
            models.UniqueConstraint(Lower("email"), name="user_unique_email_ci", condition=~Q(email="")),
        ]

    @property
    def display_name(self):
        profile = getattr(self, "profile", None)
        return (profile.display_name if profile else "") or self.username


class Profile(models.Model):
    """What others see of an account: display name, bio and avatar."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    # Stored under a random name by accounts.services.update_profile; served by accounts.views.avatar.
    avatar = models.FileField(upload_to="avatars/", blank=True, max_length=200)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.display_name or self.user.username
