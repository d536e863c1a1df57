"""The rules for files people send: what is accepted, where it is stored, who may fetch it.

Every upload goes through store_upload (the JSON upload view and the inbox's no-JavaScript form);
every download through get_attachment_for, which asks the access rules other apps registered. The inbox send path calls attach_to_message inside its
own transaction, so a message never exists without its files. Storage writes cannot roll back, so
each function here that writes or deletes files says what it does when something fails.
"""

import hashlib
import logging
import posixpath
import re
import unicodedata
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, Max, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone

from common import errors
from media import durations, kinds
from media.attachment_images import reencode_attachment_image
from media.images import ImageRefused, describe_bytes
from media.models import PREFETCHED_FILES, Attachment

logger = logging.getLogger(__name__)

STORAGE_FOLDER = "attachments"
MAX_ID = 2**63 - 1
NAME_MAX_LENGTH = 150
# A stored picture's type is what it was re-encoded as (a still GIF becomes a PNG).
STORED_IMAGE_TYPES = {file_type.content_type: file_type for file_type in (kinds.JPEG, kinds.PNG, kinds.GIF, kinds.WEBP)}


class Refused(errors.Refused):
    """An upload, download or attachment refused; `detail` is written for the person concerned.

    The project's one refusal (common.errors.Refused), so the inbox's send path, its views and
    the socket catch it like any other, with its own HTTP status: 404 for anything the person may
    not see (exactly as for something that does not exist), 413 for sizes and volumes, 400 otherwise.
    """

    def __init__(self, code, detail, status=400):
        super().__init__(code, detail)
        self.status = status

    @property
    def http_status(self):
        return self.status


def not_found():
    return Refused("not_found", "This file doesn't exist or you can't see it.", status=404)


# --- Names --------------------------------------------------------------------------------------

# Bidirectional overrides and other invisible format characters let "gpj.exe" pass for "exe.jpg".
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
SPACES = re.compile(r"\s+")


def clean_display_name(name, file_type):
    """The client's file name made safe to show and to offer as a download name.

    Path parts, control and invisible characters go; the length is capped keeping the extension;
    an extension that disagrees with what the bytes are is replaced (a text file named
    "invoice.html" downloads as "invoice.txt", so the desktop never opens it as a web page).
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if char.isspace() else char for char in name
                   if char.isspace() or unicodedata.category(char) not in INVISIBLE_CATEGORIES)
    name = SPACES.sub(" ", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    if not file_type.accepts_extension(extension):
        extension = file_type.extension
    stem = stem[:NAME_MAX_LENGTH - len(extension) - 1].rstrip(" .") or "file"
    return f"{stem}.{extension}"


def storage_key(extension, *, now=None, suffix=""):
    """A fresh random key: attachments/<yyyy>/<mm>/<uuid4 hex><suffix>.<extension>."""
    now = now or timezone.now()
    return posixpath.join(STORAGE_FOLDER, f"{now:%Y}", f"{now:%m}", f"{uuid.uuid4().hex}{suffix}.{extension}")


# --- Storing ------------------------------------------------------------------------------------

def bytes_uploaded_today(owner):
    since = timezone.now() - timedelta(days=1)
    total = Attachment.objects.filter(owner=owner, created__gte=since).aggregate(total=Sum("size"))["total"]
    return total or 0


def check_daily_volume(owner, size):
    limit = settings.ATTACHMENT_DAILY_BYTES_PER_USER
    if bytes_uploaded_today(owner) + size > limit:
        raise Refused(
            "daily_limit",
            f"You've reached today's upload limit of {describe_bytes(limit)}. Try again tomorrow.",
            status=413,
        )


def check_size(size):
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        raise Refused("too_large", f"This file is too large. The limit is {describe_bytes(limit)}.", status=413)
    if size == 0:
        raise Refused("empty_file", "The file is empty.")


def check_name_matches(name, file_type):
    claimed = kinds.kind_claimed_by_name(name)
    if claimed and claimed != file_type.kind:
        raise Refused(
            "wrong_kind",
            f"This file is named like {kinds.KIND_NAMES[claimed]}, but its contents are {kinds.KIND_NAMES[file_type.kind]}."
            " Check the file and try again.",
        )


def check_video_length(file, file_type, *, max_seconds, what="video"):
    """Refuse a video longer than max_seconds (rounded to the second), or one whose header does not
    say how long it is, so a limit cannot be dodged (media.durations reads it from the bytes)."""
    seconds = durations.video_seconds(file, file_type)
    if seconds is None:
        raise Refused("video_length_unknown", f"This video doesn't say how long it is, and a {what} can be at most "
                      f"{max_seconds} seconds long. Save it again as an MP4 file and try again.")
    if int(seconds + 0.5) > max_seconds:
        raise Refused("video_too_long", f"A {what} can be at most {max_seconds} seconds long "
                      f"(this one is {durations.describe_seconds(seconds)}).")


def store_upload(*, owner, uploaded_file, max_video_seconds=None, video_what="video"):
    """Check one uploaded file, store it under a random key and return its unsent Attachment.

    Refuses (Refused, with a code naming the reason) empty and oversized files, files over the
    owner's daily volume, anything media.kinds does not recognise, files whose name promises
    another kind than their bytes (a text renamed .jpg), videos longer than max_video_seconds
    when given (check_video_length; video_what names them in the refusal: "story video"), and
    pictures media.images or media.attachment_images refuse. Pictures are stored re-encoded without metadata, with a
    thumbnail when larger than the thumbnail box; everything else is stored byte for byte.

    Nothing is half-saved: the row is created last, and when anything fails after a file was
    written (reading the upload, the storage, the database) the written files are deleted again
    before the error propagates. Call it outside a transaction: a rollback of the caller's
    transaction would leave files without a row (prune_uploads sweeps such files after a day).
    """
    size = uploaded_file.size or 0
    check_size(size)
    check_daily_volume(owner, size)
    try:
        file_type = kinds.detect(uploaded_file)
    except kinds.UnsupportedFile as error:
        raise Refused(error.code, error.detail) from None
    check_name_matches(getattr(uploaded_file, "name", ""), file_type)
    if max_video_seconds is not None and file_type.kind == Attachment.Kind.VIDEO:
        check_video_length(uploaded_file, file_type, max_seconds=max_video_seconds, what=video_what)

    fields = {"kind": file_type.kind, "content_type": file_type.content_type, "size": size}
    if file_type.kind == Attachment.Kind.IMAGE:
        try:
            image = reencode_attachment_image(
                uploaded_file,
                max_bytes=settings.ATTACHMENT_MAX_BYTES,
                max_pixels=settings.IMAGE_MAX_PIXELS,
                max_frames=settings.ATTACHMENT_GIF_MAX_FRAMES,
                max_animation_pixels=settings.ATTACHMENT_ANIMATION_MAX_PIXELS,
                thumbnail_size=settings.ATTACHMENT_THUMBNAIL_SIZE,
            )
        except ImageRefused as error:
            raise Refused(error.code, error.message, status=413 if error.code == "too_large" else 400) from None
        contents = [(image.picture.extension, "", image.picture.content)]
        if image.thumbnail:
            contents.append((image.thumbnail.extension, "-thumb", image.thumbnail.content))
        fields.update(content_type=image.picture.content_type, size=image.picture.content.size,
                      width=image.width, height=image.height)
        file_type = STORED_IMAGE_TYPES[image.picture.content_type]
    else:
        contents = [(file_type.extension, "", uploaded_file)]
    fields["original_name"] = clean_display_name(getattr(uploaded_file, "name", ""), file_type)
    fields["content_digest"] = digest_of(contents[0][2])

    now = timezone.now()
    written = []
    try:
        for extension, suffix, content in contents:
            key = storage_key(extension, now=now, suffix=suffix)
            # The key is what we asked for even if the write fails halfway: delete it then.
            written.append(key)
            written[-1] = default_storage.save(key, content)
        with transaction.atomic():
            # Serialise one person's concurrent uploads so the daily volume check cannot be raced.
            get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
            check_daily_volume(owner, fields["size"])
            return Attachment.objects.create(
                owner=owner,
                file=written[0],
                thumbnail=written[1] if len(written) > 1 else "",
                created=now,
                **fields,
            )
    except BaseException:
        delete_stored_files(written)
        raise


def copy_attachment(*, owner, attachment):
    """A new unsent Attachment of owner's holding a copy of attachment's stored file and thumbnail.

    For sending a file again (forwarding, a GIF chosen from the picker): the copy lives under new
    random keys, so deleting the original's files (unsending, pruning, moderation) leaves it whole.
    The caller has already checked that owner may fetch attachment (get_attachment_for). The copy
    counts against owner's daily volume like an upload (Refused "daily_limit", 413).

    Nothing is half-saved: the row is created last, in a transaction that serialises the owner's
    uploads for the volume check, and if anything fails after a file was copied the copies are
    deleted again. A missing original file refuses with "not_found". Call it outside a
    transaction, as store_upload.
    """
    check_daily_volume(owner, attachment.size)
    sources = [(attachment.file.name, "")]
    if attachment.thumbnail:
        sources.append((attachment.thumbnail.name, "-thumb"))
    now = timezone.now()
    written = []
    try:
        for name, suffix in sources:
            key = storage_key(name.rpartition(".")[2], now=now, suffix=suffix)
            try:
                source = default_storage.open(name, "rb")
            except FileNotFoundError:
                raise not_found() from None
            with source:
                # The key is what we asked for even if the write fails halfway: delete it then.
                written.append(key)
                written[-1] = default_storage.save(key, source)
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
            check_daily_volume(owner, attachment.size)
            return Attachment.objects.create(
                owner=owner,
                file=written[0],
                thumbnail=written[1] if len(written) > 1 else "",
                original_name=attachment.original_name,
                content_type=attachment.content_type,
                kind=attachment.kind,
                size=attachment.size,
                content_digest=attachment.content_digest,
                width=attachment.width,
                height=attachment.height,
                created=now,
            )
    except BaseException:
        delete_stored_files(written)
        raise


def copy_attachments_for(*, owner, attachment_ids):
    """Copies (copy_attachment) of files owner may fetch, to send again: all or none, in the order given.

    Ids are checked first (at most ATTACHMENTS_PER_MESSAGE, whole numbers); an id owner may not
    fetch (unknown, a stranger's, a conversation they are not in) refuses the whole lot with
    "attachment_not_found" and deletes the copies already made. One query per id, plus the copies'.
    """
    ids = parse_attachment_ids(attachment_ids)
    check_count(len(ids))
    originals = []
    for pk in ids:
        try:
            originals.append(get_attachment_for(owner, pk))
        except Refused:
            raise Refused(
                "attachment_not_found", "One of the files you chose is no longer available. Choose another one."
            ) from None
    return copy_attachments(owner=owner, attachments=originals)


def copy_attachments(*, owner, attachments):
    """copy_attachment for several files (forwarding a message): all or none; a refusal or any
    error deletes the copies already made (rows now, files once that commits)."""
    copies = []
    try:
        for attachment in attachments:
            copies.append(copy_attachment(owner=owner, attachment=attachment))
    except BaseException:
        discard_uploads(copies)
        raise
    return copies


def digest_of(content):
    """SHA-256 (hex) of a file's bytes, read in chunks (Django's chunks() starts from the beginning)."""
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def store_uploads(*, owner, uploaded_files):
    """Store several files (the no-JavaScript form); all or none: a refusal deletes the others."""
    uploaded_files = list(uploaded_files)
    check_count(len(uploaded_files))
    stored = []
    try:
        for uploaded_file in uploaded_files:
            stored.append(store_upload(owner=owner, uploaded_file=uploaded_file))
    except BaseException:
        discard_uploads(stored)
        raise
    return stored


def discard_uploads(attachments):
    """Delete unsent attachments (rows now, files once the deletion commits)."""
    pks = [attachment.pk for attachment in attachments]
    with transaction.atomic():
        doomed = list(Attachment.objects.select_for_update().filter(unclaimed(), pk__in=pks, message__isnull=True))
        _delete_rows_and_files(doomed)
    return doomed


def delete_stored_files(names):
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:
            # A file left behind has no row; prune_uploads sweeps it after a day.
            logger.exception("Could not delete stored file %s", name)


def _delete_rows_and_files(attachments):
    names = [name for attachment in attachments for name in (attachment.file.name, attachment.thumbnail.name)]
    Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
    transaction.on_commit(lambda: delete_stored_files(names))


# --- Access -------------------------------------------------------------------------------------

# Who may fetch a file once it is put to use is decided by the app that uses it (the inbox for
# files sent in a conversation): each registers a function user -> Q over Attachment, from its
# AppConfig.ready(), so this app never needs to know what a conversation is.
_access_rules = []
# Rules that also answer for logged-out visitors (public pictures, such as a post's).
_public_access_rules = []
# Uploads another app put to use without a message (a post's pictures, a story's file): each
# registers a function () -> Q over Attachment naming them, so they are neither pruned as unsent
# nor claimable by a message.
_claim_rules = []


def register_access_rule(rule, *, anonymous=False):
    """Let another app widen who may fetch attachments: rule(user) returns a Q over Attachment
    naming the files that user may fetch through that app's use of them. With anonymous=True the
    rule is asked for logged-out visitors too (rule(AnonymousUser)), for files that are public."""
    rules = _public_access_rules if anonymous else _access_rules
    if rule not in rules:
        rules.append(rule)
    return rule


def register_claim_rule(rule):
    """Let another app keep uploads it put to use outside messages: rule() returns a Q over
    Attachment naming them. prune_unsent_uploads, discard_uploads and attach_to_message leave them alone."""
    if rule not in _claim_rules:
        _claim_rules.append(rule)
    return rule


def unclaimed():
    """Q for uploads no other app claimed (see register_claim_rule)."""
    condition = Q()
    for rule in _claim_rules:
        condition &= ~rule()
    return condition


def visible_to(user):
    """Attachments the user may fetch: their own unsent uploads, and whatever a registered access
    rule allows them (files sent in their conversations, public pictures)."""
    if not user.is_authenticated:
        if not _public_access_rules:
            return Attachment.objects.none()
        allowed = Q(pk__in=[])
        for rule in _public_access_rules:
            allowed |= rule(user)
        return Attachment.objects.filter(allowed)
    allowed = Q(owner=user, message__isnull=True)
    for rule in _access_rules + _public_access_rules:
        allowed |= rule(user)
    return Attachment.objects.filter(allowed)


def get_attachment_for(user, pk):
    """The attachment pk if user may fetch it; Refused("not_found", status 404) otherwise.

    Unknown ids, other people's unsent uploads, files of threads the user is not (or no longer)
    a participant of, and logged-out visitors all get the same refusal. One query.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise not_found() from None
    if not 1 <= pk <= MAX_ID:
        # Database ids are signed 64-bit: a larger guess is simply unknown, not a database error.
        raise not_found()
    # A participant appears at most once per thread (unique constraint), so the join yields one row.
    attachment = visible_to(user).filter(pk=pk).first()
    if attachment is None:
        raise not_found()
    return attachment


def recent_gifs(user, limit=24):
    """The animated GIFs sent in messages user may fetch, newest first, each file once: the GIF picker.

    Only what visible_to(user) allows (the registered access rules: a removed member or someone
    who left sees none of that conversation's), and only files sent in a message (never an unsent
    upload, nor a picture used elsewhere). A GIF sent again from the picker is a copy under a new
    key with the same bytes: one per content digest (per stored file for rows without one), so it
    is listed once however often it went. One query.
    """
    # The access rules' joins may yield a row more than once too: the newest row per file stands for it.
    same_file = Coalesce(NullIf("content_digest", Value("")), "file", output_field=CharField())
    newest_per_file = (
        visible_to(user)
        .filter(kind=Attachment.Kind.IMAGE, content_type="image/gif", message__isnull=False)
        .values(same_file=same_file)
        .annotate(newest=Max("pk"))
        .values("newest")
    )
    return list(Attachment.objects.filter(pk__in=newest_per_file).order_by("-message__created", "-pk")[:limit])


# --- Sending ------------------------------------------------------------------------------------

def check_count(count):
    limit = settings.ATTACHMENTS_PER_MESSAGE
    if count > limit:
        raise Refused("too_many_files", f"A message can carry at most {limit} files.")


def parse_attachment_ids(values):
    """Attachment ids from a form or frame (strings or ints), deduplicated in order; bad_request otherwise."""
    if values is None:
        return []
    if isinstance(values, (str, int)):
        values = [values]
    ids = []
    try:
        for value in values:
            if isinstance(value, bool):
                raise ValueError
            pk = int(value)
            if not 1 <= pk <= MAX_ID:
                raise ValueError
            if pk not in ids:
                ids.append(pk)
    except (TypeError, ValueError):
        raise Refused("bad_request", "Attachment ids must be positive whole numbers.") from None
    return ids


def attach_to_message(*, owner, attachment_ids, message):
    """Attach the owner's unsent uploads to a message they just created; return them in id order.

    Runs in the caller's transaction (send_message's), so a refusal rolls the message back too:
    no message without its files. Refuses too_many_files past ATTACHMENTS_PER_MESSAGE and
    attachment_not_found when any id is unknown, someone else's, or already sent (a retry that
    already attached them must not call this again). The conditional UPDATE claims the rows, so
    two sends racing for one upload cannot both get it, and prune_uploads cannot delete it.
    """
    ids = parse_attachment_ids(attachment_ids)
    if not ids:
        return []
    check_count(len(ids))
    if message.sender_id != owner.pk:
        raise Refused("attachment_not_found", "One of the files can't be attached to this message.")
    with transaction.atomic():
        claimed = (
            Attachment.objects.filter(unclaimed(), pk__in=ids, owner=owner, message__isnull=True).update(message=message)
        )
        if claimed != len(ids):
            raise Refused(
                "attachment_not_found",
                "One of the files is no longer available. Remove it and try again.",
            )
    return list(Attachment.objects.filter(message=message).order_by("pk"))


def attachments_prefetch():
    """For message querysets: .prefetch_related(attachments_prefetch()) loads every message's
    attachments in one query, in upload order, into message.files (inbox.models.Message.files),
    which message_payload and the message partial read."""
    return Prefetch("attachments", queryset=Attachment.objects.order_by("pk"), to_attr=PREFETCHED_FILES)


def attachment_payload(attachment):
    """The JSON description of an attachment, as in message.new's "attachments" list.

    URLs point at the access-checked views, never at storage.
    """
    is_image = attachment.kind == Attachment.Kind.IMAGE
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "name": attachment.original_name,
        "size": attachment.size,
        "url": reverse("media:download", args=[attachment.pk]),
        "thumbnail_url": reverse("media:thumbnail", args=[attachment.pk]) if is_image else None,
        "width": attachment.width,
        "height": attachment.height,
    }


# --- Deleting -----------------------------------------------------------------------------------

def delete_files_of(attachments):
    """Before deleting attachment rows (directly or by cascade): have their stored files deleted
    once the deletion commits. `attachments` is an Attachment queryset; call this in the same
    transaction, before the delete. Returns how many files will go."""
    names = _stored_names(attachments)
    transaction.on_commit(lambda: delete_stored_files(names))
    return len(names)


def delete_user_files(user):
    """Before deleting an account: have every file they uploaded deleted once the deletion commits."""
    return delete_files_of(Attachment.objects.filter(owner=user))


def _stored_names(queryset):
    return [name for pair in queryset.values_list("file", "thumbnail") for name in pair if name]


# --- Cleaning up --------------------------------------------------------------------------------

UNSENT_MAX_AGE = timedelta(hours=24)


def prune_unsent_uploads(older_than=UNSENT_MAX_AGE):
    """Delete uploads never attached to a message and older than `older_than`; return them.

    Rows go in one transaction that locks them first, so an upload being attached at this moment
    either gets attached (and stays) or is pruned (and the send is refused); the files are
    deleted after commit. Running it again finds nothing more.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        doomed = list(
            Attachment.objects.select_for_update()
            .filter(unclaimed(), message__isnull=True, created__lt=cutoff)
            .select_related("owner")
            .order_by("pk")
        )
        _delete_rows_and_files(doomed)
    return doomed


def prune_orphan_files(older_than=UNSENT_MAX_AGE):
    """Delete stored attachment files that no row points at and that are older than `older_than`.

    They are left by a process that died between writing a file and creating its row, or by a
    caller's transaction rolled back after store_upload. The age keeps files of uploads still in
    progress. Returns the deleted names.
    """
    cutoff = timezone.now() - older_than
    orphans = []
    for batch in _stored_file_batches(STORAGE_FOLDER):
        referenced = Attachment.objects.filter(Q(file__in=batch) | Q(thumbnail__in=batch))
        known_names = {name for pair in referenced.values_list("file", "thumbnail") for name in pair}
        for name in batch:
            if name in known_names:
                continue
            try:
                if default_storage.get_modified_time(name) >= cutoff:
                    continue
            except (OSError, NotImplementedError):
                continue
            delete_stored_files([name])
            orphans.append(name)
    return orphans


def _stored_file_batches(folder, batch_size=500):
    batch = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            folders, files = default_storage.listdir(current)
        except (FileNotFoundError, NotADirectoryError):
            continue
        pending.extend(posixpath.join(current, sub) for sub in folders)
        for file_name in files:
            batch.append(posixpath.join(current, file_name))
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch
