from django.conf import settings
from django.db import models


class EmailSettings(models.Model):
    """How a person hears by e-mail about messages they have not read. No row: the defaults."""

    class Mode(models.TextChoices):
        OFF = "off", "Off"
        EACH = "each", "For each conversation"
        DAILY = "daily", "A daily digest"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_settings")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EACH)
    # E-mails name the sender and the conversation; the words only when the person asks for them.
    include_text = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "e-mail settings"

    def __str__(self):
        return f"{self.user} e-mails: {self.mode}"


class EmailedUpTo(models.Model):
    """How far one person's conversation was e-mailed about: messages up to seq never are again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey("inbox.Thread", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="emailed_up_to_unique_user_thread")]


class DigestSent(models.Model):
    """One daily digest per person per day, whoever runs send_unread_emails and how often."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_sent_unique_user_day")]
