from django import forms

from .models import MAX_CAPTION_LENGTH, MAX_COMMENT_LENGTH, MAX_POST_LENGTH, MAX_STORY_VIDEO_SECONDS


class PostForm(forms.Form):
    # Pictures come as request.FILES.getlist("pictures") (the template's <input multiple>).
    body = forms.CharField(
        label="Write a post", required=False, max_length=MAX_POST_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_POST_LENGTH, "placeholder": "What's new?"}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment", max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_COMMENT_LENGTH}),
    )


class PrivateReplyForm(forms.Form):
    body = forms.CharField(
        label="Message", max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000, "autofocus": True}),
    )


class StoryForm(forms.Form):
    file = forms.FileField(label="Picture or video", help_text=f"Videos up to {MAX_STORY_VIDEO_SECONDS} seconds.")
    caption = forms.CharField(label="Caption", required=False, max_length=MAX_CAPTION_LENGTH)


class StoryReplyForm(forms.Form):
    body = forms.CharField(max_length=5000)

    def __init__(self, *args, author, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = f"Reply to {author.username}…"
        self.fields["body"].widget.attrs.update({"placeholder": f"Reply to {author.username}…", "autocomplete": "off"})
