"""The inbox's forms: they read and label fields; inbox.services decides what is allowed."""

import uuid

from django import forms

from . import services

RECIPIENTS_HELP = "Usernames, separated by commas or spaces. Two or more people make a group."


def new_client_id():
    """A fresh id for one form render: submitting the same form twice stores the message once."""
    return uuid.uuid4().hex


class BodyField(forms.CharField):
    widget = forms.Textarea

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Message")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # The browser stops typing at the limit; services.clean_body still checks it on the server.
        return {**super().widget_attrs(widget), "maxlength": str(services.MAX_BODY_LENGTH)}


class NewConversationForm(forms.Form):
    recipients = forms.CharField(
        label="To",
        max_length=2000,
        help_text=RECIPIENTS_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                                      "placeholder": "bob, carol", "data-people-picker": ""}),
    )
    name = forms.CharField(
        label="Group name",
        required=False,
        max_length=services.MAX_GROUP_NAME_LENGTH,
        help_text="Optional, for a group.",
    )
    body = BodyField(widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write a message…"}))
    client_id = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_body(self):
        # Optional here, but when given it follows the same rules as any message, checked before
        # anything is created, so a refused body never leaves an empty conversation behind.
        body = self.cleaned_data["body"]
        if not body:
            return ""
        try:
            return services.clean_body(body)
        except services.Refused as refusal:
            raise forms.ValidationError(refusal.detail, code=refusal.code) from None


class MessageForm(forms.Form):
    """The composer. Empty and over-long bodies are refused by services.send_message, not here."""

    body = BodyField(widget=forms.Textarea(attrs={
        "rows": 1, "placeholder": "Write a message…", "enterkeyhint": "send", "autocomplete": "off",
    }))
    client_id = forms.CharField(widget=forms.HiddenInput, required=False)


class EditMessageForm(forms.Form):
    body = BodyField(label="Edit message", widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}))


class RenameForm(forms.Form):
    name = forms.CharField(label="Group name", required=False, max_length=services.MAX_GROUP_NAME_LENGTH)


class AddPeopleForm(forms.Form):
    people = forms.CharField(
        label="Add people",
        max_length=2000,
        help_text="Usernames, separated by commas or spaces.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                                      "placeholder": "dave, erin"}),
    )


class RemoveMemberForm(forms.Form):
    member = forms.CharField(max_length=150, widget=forms.HiddenInput)
