"""Business forms: they read and label fields; business.services decides what is allowed."""

from django import forms

from . import services
from .models import Label, Offer


class QuickReplyForm(forms.Form):
    shortcut = forms.CharField(
        label="Shortcut", max_length=31, help_text="Typed after “/” in the composer, such as thanks or hours.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                                      "placeholder": "thanks"}),
    )
    text = forms.CharField(
        label="Text", max_length=services.MAX_REPLY_LENGTH,
        help_text="Placeholders: {first_name}, {display_name}, {username}, {my_name}; "
                  "a fallback after a bar: {first_name|there}.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BusinessProfileForm(forms.Form):
    category = forms.CharField(label="Category", max_length=60, required=False,
                               widget=forms.TextInput(attrs={"placeholder": "Coffee shop"}))
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    time_zone = forms.ChoiceField(label="Time zone", initial="UTC")
    open_to_collaborations = forms.BooleanField(label="Open to collaborations", required=False)
    greeting_enabled = forms.BooleanField(label="Send a greeting to people who write for the first time", required=False)
    greeting_text = forms.CharField(label="Greeting", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text="Placeholders work here too: Hi {first_name|there}!")
    away_enabled = forms.BooleanField(label="Send an away message outside business hours", required=False)
    away_text = forms.CharField(label="Away message", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in services.time_zone_names()]
        for weekday, name in enumerate(services.WEEKDAYS):
            time_input = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            self.fields[f"opens_{weekday}"] = forms.TimeField(label=f"{name} opens", required=False, widget=time_input)
            self.fields[f"closes_{weekday}"] = forms.TimeField(label=f"{name} closes", required=False,
                                                              widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def hours(self):
        return {
            weekday: (self.cleaned_data.get(f"opens_{weekday}"), self.cleaned_data.get(f"closes_{weekday}"))
            for weekday in range(7)
        }

    def day_fields(self):
        return [(name, self[f"opens_{weekday}"], self[f"closes_{weekday}"]) for weekday, name in enumerate(services.WEEKDAYS)]

    @staticmethod
    def initial_from(profile):
        initial = {field: getattr(profile, field) for field in (
            "category", "website", "time_zone", "open_to_collaborations", "greeting_enabled", "greeting_text",
            "away_enabled", "away_text",
        )}
        for weekday, (opens, closes) in services.stored_hours(profile).items():
            initial[f"opens_{weekday}"], initial[f"closes_{weekday}"] = opens, closes
        return initial


class LabelForm(forms.Form):
    name = forms.CharField(label="Label", max_length=30)
    colour = forms.ChoiceField(label="Colour", choices=Label.Colour.choices)


class OfferForm(forms.Form):
    text = forms.CharField(
        label="Offer", max_length=services.MAX_REPLY_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Each follower gets it as a message of their own. Placeholders: {first_name|there}, {my_name} …",
    )
    audience = forms.ChoiceField(label="Send to", choices=Offer.Audience.choices, widget=forms.RadioSelect,
                                 initial=Offer.Audience.FOLLOWERS)
    label = forms.TypedChoiceField(label="Label", required=False, coerce=int, empty_value=None)
    usernames = forms.CharField(label="Followers", required=False, help_text="Usernames, separated by commas or spaces.",
                                widget=forms.TextInput(attrs={"placeholder": "ann, ben", "autocomplete": "off"}))
    # A plain file field: media.services.store_upload decides what the bytes are and re-encodes them.
    picture = forms.FileField(label="Picture (optional)", required=False,
                              help_text="Shown with the offer in each message; its location data is removed.",
                              widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))

    def __init__(self, *args, labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = [("", "Choose a label")] + [(label.pk, label.name) for label in labels]
