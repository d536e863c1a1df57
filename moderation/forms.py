from django import forms

from .models import Report


class ReportForm(forms.Form):
    """Why something is reported, a few words, and whether to block the person too.

    The template draws the reasons as a radio group with a description under each choice (the
    label alone is each radio's accessible name). moderation.services checks the same rules again.
    """

    reason = forms.ChoiceField(
        label="Why are you reporting this?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are reporting this."},
    )
    details = forms.CharField(
        label="Details",
        required=False,
        # No max_length here: browsers count a line break as one character and send two (CRLF);
        # clean_details measures after turning them back into one.
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional for spam and harassment, needed for Other. Up to 1,000 characters.",
    )
    also_block = forms.BooleanField(
        label="Also block this person",
        required=False,
        help_text="They won't be able to message or follow you. They aren't told.",
    )

    DESCRIPTIONS = {
        Report.Reason.SPAM: "Ads, scams, fake offers, or the same message sent to many people.",
        Report.Reason.HARASSMENT: "Insults, threats, bullying, hate, or unwanted sexual content.",
        Report.Reason.OTHER: "Something else that shouldn't be on Parley. Tell us below.",
    }

    def __init__(self, *args, can_block=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_block:
            # A group has no one person to block, and an existing block needs no second one.
            del self.fields["also_block"]

    def choices_with_descriptions(self):
        return [(radio, self.DESCRIPTIONS[radio.data["value"]]) for radio in self["reason"]]

    def clean_details(self):
        details = self.cleaned_data["details"].replace("\r\n", "\n")
        if len(details) > Report.TEXT_MAX_LENGTH:
            raise forms.ValidationError(
                f"Keep the details under {Report.TEXT_MAX_LENGTH:,} characters (now {len(details):,}).", code="too_long"
            )
        return details

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Report.Reason.OTHER and not cleaned.get("details", "").strip():
            self.add_error("details", forms.ValidationError("Tell us in a few words what is wrong.", code="text_required"))
        return cleaned
