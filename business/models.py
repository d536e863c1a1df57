from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class QuickReply(models.Model):
    """A saved reply an account inserts in the composer by its shortcut ("/thanks")."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quick_replies")
    # Without the leading "/": lower-case letters, digits, "-" and "_" (business.services.clean_shortcut).
    shortcut = models.CharField(max_length=30)
    text = models.TextField(max_length=1000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One reply per shortcut per account: "/thanks" must mean one thing. Its index lists an account's replies.
            models.UniqueConstraint(fields=["owner", "shortcut"], name="quick_reply_unique_shortcut"),
        ]

    def __str__(self):
        return f"/{self.shortcut}"


class BusinessProfile(models.Model):
    """An account switched to business: what its profile shows and its automatic replies."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="business_profile")
    category = models.CharField(max_length=60, blank=True)
    website = models.URLField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    # {"0": ["09:00", "17:00"], ...}: Monday is "0"; a day left out is closed; closing at or before
    # opening runs past midnight (business.hours).
    hours = models.JSONField(default=dict, blank=True)
    open_to_collaborations = models.BooleanField(default=False)
    greeting_enabled = models.BooleanField(default=False)
    greeting_text = models.TextField(max_length=1000, blank=True)
    away_enabled = models.BooleanField(default=False)
    away_text = models.TextField(max_length=1000, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Business profile of {self.user}"


class FeedbackRequest(models.Model):
    """A rating card a business sent in a conversation, and the customer's answer (once)."""

    business = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_asked")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_given")
    thread = models.ForeignKey("inbox.Thread", on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    answered = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="feedback_rating_one_to_five"),
        ]
        indexes = [
            # Insights: a business's answered feedback in a period.
            models.Index(fields=["business", "answered"], name="feedback_business_answered"),
        ]

    def __str__(self):
        return f"Feedback {self.pk} for {self.business}"


class Label(models.Model):
    """A coloured label a business puts on its conversations ("Order issue", "VIP")."""

    class Colour(models.TextChoices):
        GREY = "grey", "Grey"
        RED = "red", "Red"
        ORANGE = "orange", "Orange"
        GREEN = "green", "Green"
        BLUE = "blue", "Blue"
        PURPLE = "purple", "Purple"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=30)
    colour = models.CharField(max_length=10, choices=Colour.choices, default=Colour.GREY)

    class Meta:
        constraints = [
            # One label per name per account.
            models.UniqueConstraint(fields=["owner", "name"], name="label_unique_name"),
        ]

    def __str__(self):
        return self.name


class ConversationLabel(models.Model):
    """A label on one conversation; only the label's owner sees it."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="uses")
    thread = models.ForeignKey("inbox.Thread", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # A label is on a conversation once; its index also finds a label's conversations.
            models.UniqueConstraint(fields=["label", "thread"], name="conversation_label_unique"),
        ]


class ConversationNote(models.Model):
    """A business's private note about a conversation (its customer)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey("inbox.Thread", on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=2000, blank=True)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One note per business per conversation.
            models.UniqueConstraint(fields=["owner", "thread"], name="conversation_note_unique"),
        ]


class ConversationFolder(models.Model):
    """A business inbox's conversation moved to General; every other conversation is in Primary."""

    class Folder(models.TextChoices):
        PRIMARY = "primary", "Primary"
        GENERAL = "general", "General"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey("inbox.Thread", on_delete=models.CASCADE, related_name="+")
    folder = models.CharField(max_length=10, choices=Folder.choices, default=Folder.GENERAL)

    class Meta:
        constraints = [
            # One folder per business per conversation; its index answers "is this one in General?".
            models.UniqueConstraint(fields=["owner", "thread"], name="conversation_folder_unique"),
        ]


class Offer(models.Model):
    """An offer a business sends to chosen followers, each as an ordinary 1:1 message (business.offers)."""

    class Audience(models.TextChoices):
        FOLLOWERS = "followers", "All followers"
        LABEL = "label", "Followers with a label"
        PICKED = "picked", "Hand-picked followers"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        DONE = "done", "Sent"

    business = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    text = models.TextField(max_length=1000)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The optional picture every copy shows in its card: one Attachment stored by
    # media.services.store_upload, fetched by the recipients it was sent to (business.offers).
    # DO_NOTHING, as for posts' pictures: deleting a message's attachments then costs no look-up
    # here; the picture is never a message's, and it goes with its owner, the business.
    picture = models.OneToOneField("media.Attachment", null=True, blank=True, on_delete=models.DO_NOTHING,
                                   related_name="offer")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Offer {self.pk} from {self.business}"


class OfferRecipient(models.Model):
    """One person an offer goes to, and what became of it: the job's progress, row by row."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=60, blank=True)
    message = models.ForeignKey("inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            # One copy per person per offer; the index also serves the job's "next pending" scan.
            models.UniqueConstraint(fields=["offer", "person"], name="offer_recipient_unique"),
        ]
        indexes = [
            models.Index(fields=["offer", "status"], name="offer_recipient_status"),
        ]


class OfferOptOut(models.Model):
    """person pressed "Stop offers" (or replied STOP): business sends them no more offers."""

    business = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "person"], name="offer_opt_out_unique"),
        ]
