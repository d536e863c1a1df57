from django import forms

from .models import EmailSettings


class EmailSettingsForm(forms.Form):
    mode = forms.ChoiceField(
        label="E-mail me about unread messages", choices=EmailSettings.Mode.choices, widget=forms.RadioSelect,
    )
    include_text = forms.BooleanField(
        label="Include the message text in e-mails", required=False,
        help_text="Off: e-mails say who wrote and in which conversation, never what.",
    )
