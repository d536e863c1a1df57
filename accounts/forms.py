from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms

from media.images import ImageRefused, describe_bytes

from . import services
from .models import Profile, User


class SignupForm(auth_forms.UserCreationForm):
    """Username, e-mail and the password twice. Saving is services.create_account's job."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Only used to reset your password. Nobody else sees it.",
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["username"].help_text = "Letters, digits and @ . + - _ only. Others find you by it."
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password1"].help_text = "At least 8 characters: not only digits, not a common password, not like your username."

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.", code="email_taken")
        return email


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, with one message whether or not the account exists."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": "That username and password don't match. Check both and try again.",
        # Only reached with a backend that lets inactive users authenticate; same words, same answer.
        "inactive": "That username and password don't match. Check both and try again.",
    }

    def __init__(self, request=None, *args, refusal=None, **kwargs):
        # Set while logins are throttled: the form then refuses without checking any password.
        self.refusal = refusal
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean(self):
        if self.refusal:
            raise forms.ValidationError(self.refusal, code="throttled")
        return super().clean()


class ProfileForm(forms.ModelForm):
    avatar = forms.FileField(
        label="Avatar",
        required=False,
        # A plain file input: the current picture is shown beside it and removal is its own checkbox.
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )

    class Meta:
        model = Profile
        fields = ("display_name", "bio")
        labels = {"display_name": "Display name", "bio": "Bio"}
        help_texts = {
            "display_name": "How your name appears in conversations. Leave empty to use your username.",
            "bio": "A few words about you, shown on your profile (up to 500 characters).",
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["avatar"].help_text = (
            f"JPEG, PNG, GIF, WebP or HEIC, up to {describe_bytes(settings.AVATAR_MAX_BYTES)}. "
            "It is cropped to a square."
        )

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        try:
            return services.prepare_avatar(upload)
        except ImageRefused as refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code) from None


class PasswordConfirmationForm(forms.Form):
    """Asks for the current password before something that cannot be undone by the person alone."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your current password, to confirm it's you.",
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password isn't right.", code="wrong_password")
        return password


class PrivacyForm(forms.Form):
    """Who can message me. The template draws the radio group with a description under each choice."""

    message_policy = forms.ChoiceField(
        label="Who can message me",
        choices=Profile.MessagePolicy.choices,
        widget=forms.RadioSelect,
    )
    show_activity = forms.BooleanField(
        label="Show activity status", required=False,
        help_text="People you talk with see when you were last active (“Active now”). Off: you won't see theirs either.",
    )
    read_receipts = forms.BooleanField(
        label="Send read receipts", required=False,
        help_text="People see “Seen” when you have read their messages. Off: you won't see when they read yours either.",
    )

    # Shown under each choice; the label alone is the radio button's accessible name.
    DESCRIPTIONS = {
        Profile.MessagePolicy.EVERYONE: "Anyone on Parley can start a conversation with you. It goes straight to your inbox.",
        Profile.MessagePolicy.REQUESTS: (
            "People you follow land in your inbox. Everyone else lands in Requests, where you decide: "
            "accept, delete or block. They don't see when you've read it."
        ),
        Profile.MessagePolicy.FOLLOWED: (
            "Only people you follow can start a conversation with you. Anyone else is told they can't "
            "message you, without learning why."
        ),
    }

    def choices_with_descriptions(self):
        return [
            (radio, self.DESCRIPTIONS[radio.data["value"]])
            for radio in self["message_policy"]
        ]


class AppearanceForm(forms.Form):
    """Light, dark, or whatever the device prefers. The template draws the radios with descriptions."""

    theme = forms.ChoiceField(label="Appearance", choices=User.Theme.choices, widget=forms.RadioSelect)

    DESCRIPTIONS = {
        User.Theme.SYSTEM: "Light or dark, following your device's setting, and changing when it does.",
        User.Theme.LIGHT: "Dark text on light backgrounds, whatever your device's setting.",
        User.Theme.DARK: "Light text on dark backgrounds, whatever your device's setting.",
    }

    def choices_with_descriptions(self):
        return [(radio, self.DESCRIPTIONS[radio.data["value"]]) for radio in self["theme"]]
