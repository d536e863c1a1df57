import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_token():
    return secrets.token_urlsafe(24)


class DataExport(models.Model):
    """One "Download my data" request: a zip built in the background, downloadable by its owner for 7 days."""

    class Status(models.TextChoices):
        PREPARING = "preparing", "Preparing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    # In the download address, beside the owner check: an export's address says nothing guessable.
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING)
    requested = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    file = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-requested"]

    def __str__(self):
        return f"Data export of {self.user} ({self.status})"

    @property
    def expires(self):
        return (self.finished or self.requested) + settings.DATA_EXPORT_KEPT
