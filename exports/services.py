"""Your data: "Download my data" builds a zip in the background (exports.tasks) of what Parley keeps
about the person and what they can see, e-mails them a link, and keeps it for DATA_EXPORT_KEPT.

What goes in: their profile and settings, whom they follow and who follows them, whom they blocked
and muted, their conversations (only those they are in now) with the messages they can see there
(not those they deleted for themselves nor, in a group, those of people they blocked), and the files
they uploaded. Nothing of other people's private data: no one's e-mail, settings, blocks or
"delete for me" marks but their own.
"""

import io
import json
import logging
import uuid
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block, Follow, PersonMute, Profile
from common.errors import Refused
from inbox import services as inbox_services
from inbox.events import message_payload
from inbox.models import Participant
from media.models import Attachment

from .models import DataExport

logger = logging.getLogger(__name__)

PAGE = 500


def request_export(*, user):
    """Start an export, unless one is already being prepared; returns it. The zip is built by the worker."""
    from . import tasks

    with transaction.atomic():
        preparing = DataExport.objects.filter(user=user, status=DataExport.Status.PREPARING).first()
        if preparing is not None:
            return preparing
        export = DataExport.objects.create(user=user)
        transaction.on_commit(lambda: tasks.build_export_task.enqueue(export.pk))
    return export


def exports_of(user):
    """The person's exports still kept, newest first (one query)."""
    return list(DataExport.objects.filter(user=user, requested__gte=timezone.now() - settings.DATA_EXPORT_KEPT))


def export_for_download(*, user, token):
    """The ready, unexpired export with this token, if it is the user's; else Refused("not_found")."""
    export = DataExport.objects.filter(token=token, user_id=user.pk, status=DataExport.Status.READY).first() if user.is_authenticated else None
    if export is None or export.expires < timezone.now():
        raise Refused("not_found", "This download does not exist or has expired.")
    return export


def build_export(export_id):
    """Build the zip of one export, store it, mark it ready and e-mail the link. Safe to run twice."""
    export = DataExport.objects.select_related("user__profile").filter(pk=export_id, status=DataExport.Status.PREPARING).first()
    if export is None:
        return None
    try:
        content = _zip_for(export.user)
        # A folder of its own: media's orphan sweep walks only the attachments' folder.
        name = default_storage.save(f"exports/{uuid.uuid4().hex}.zip", ContentFile(content))
    except Exception:
        logger.exception("Could not build data export %s", export_id)
        DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED, finished=timezone.now())
        return None
    DataExport.objects.filter(pk=export_id).update(
        status=DataExport.Status.READY, finished=timezone.now(), file=name, size=len(content)
    )
    if export.user.email:
        link = settings.PARLEY_SITE_URL.rstrip("/") + reverse("exports:your_data")
        send_mail(
            "Your Parley data is ready",
            f"Hi {export.user.display_name},\n\nThe copy of your data you asked for is ready. Download it "
            f"from {link} (you will need to log in) within 7 days.\n",
            None, [export.user.email],
        )
    return name


def _zip_for(user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.json", _json(_profile(user)))
        archive.writestr("people.json", _json(_people(user)))
        archive.writestr("conversations.json", _json(_conversations(user)))
        for attachment in Attachment.objects.filter(owner=user).order_by("pk"):
            try:
                with default_storage.open(attachment.file.name, "rb") as stored:
                    archive.writestr(f"files/{attachment.pk}-{attachment.original_name}", stored.read())
            except FileNotFoundError:
                continue
    return buffer.getvalue()


def _json(data):
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _profile(user):
    profile = Profile.objects.filter(user=user).first()
    return {
        "username": user.username, "email": user.email, "joined": user.date_joined,
        "display_name": profile.display_name if profile else "", "bio": profile.bio if profile else "",
        "who_can_message_me": profile.message_policy if profile else None,
        "show_activity_status": profile.show_activity if profile else True,
        "send_read_receipts": profile.read_receipts if profile else True,
    }


def _people(user):
    return {
        "following": list(Follow.objects.filter(follower=user).values_list("followed__username", flat=True)),
        "followers": list(Follow.objects.filter(followed=user).values_list("follower__username", flat=True)),
        "blocked": list(Block.objects.filter(blocker=user).values_list("blocked__username", flat=True)),
        "muted": list(PersonMute.objects.filter(muter=user).values_list("muted__username", flat=True)),
    }


def _conversations(user):
    conversations = []
    memberships = Participant.objects.filter(user=user).select_related("thread").order_by("thread_id")
    for membership in memberships:
        thread = membership.thread
        members = list(Participant.objects.filter(thread=thread).values_list("user__username", flat=True))
        messages, before = [], None
        while True:
            page = inbox_services.messages_page(thread=thread, before_seq=before, limit=PAGE, viewer=user)
            messages[:0] = [_message(message) for message in page]
            if not page or page[0].seq <= 1:
                break
            before = page[0].seq
        conversations.append({
            "id": thread.pk, "kind": thread.kind, "name": thread.name, "people": members,
            "archived": membership.archived, "muted": membership.muted, "messages": messages,
        })
    return conversations


def _message(message):
    payload = message_payload(message)
    payload.pop("client_id", None)
    return payload


def prune_exports():
    """Delete the exports older than DATA_EXPORT_KEPT, files once that commits; returns how many."""
    old = DataExport.objects.filter(requested__lt=timezone.now() - settings.DATA_EXPORT_KEPT)
    names = [name for name in old.values_list("file", flat=True) if name]
    with transaction.atomic():
        count, _ = old.delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return count
