"""Reports and moderation: people report a message, a conversation or a person; staff act on them.

A report copies the reported words (the snapshot) and a bounded context into the report row, in
the same transaction that stores it, so the evidence survives an unsend, a removal or a deletion.
Only a current participant may report a message or a conversation: anyone else is refused
exactly as for one that does not exist (Refused("not_found")).

Staff see message content only through a report: the admin renders a report's evidence and calls
log_staff_view each time. Every decision (dismiss, remove the message for everyone, suspend the
account) resolves the report and records a ModerationAction in one transaction.

Refusals are common.errors.Refused (http_status: not_found 404, not_allowed 403,
rate_limited 429 with retry_after, anything else 400).
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User
from common.errors import Refused
from inbox import services as inbox_services
from inbox.models import Message, Participant, Thread
from media.services import attachments_prefetch

from .models import ModerationAction, Report, StaffAccessLog

# How many messages a report keeps around the reported one (or of a reported conversation).
CONTEXT_SIZE = 10
# Of those, how many come before the reported message when the conversation has them.
CONTEXT_BEFORE = 5
# Database ids are signed 64-bit at most; a larger number from a URL is simply unknown.
MAX_ID = 2**63 - 1

MESSAGE_NOT_FOUND = "This message does not exist, or you are not in its conversation."
PERSON_NOT_FOUND = "There is no such person on Parley."


# --- What a report keeps -------------------------------------------------------------------


def message_record(message):
    """A message as reports keep it: JSON types only, attachments by name and kind (never the file).

    The message's sender (with profile) and attachments must be preloaded: no query here.
    """
    sender = message.sender
    return {
        "id": message.pk,
        "seq": message.seq,
        "kind": message.kind,
        "sender": sender.username if sender is not None else None,
        "sender_name": sender.display_name if sender is not None else None,
        "body": message.body,
        "created": message.created.isoformat(),
        # Removed by staff before this report: the body is already gone from the database too.
        "removed": message.is_removed,
        "attachments": [
            {"name": attachment.original_name, "kind": attachment.kind,
             "content_type": attachment.content_type, "size": attachment.size}
            for attachment in message.files
        ],
    }


def person_record(user):
    """The public face of a person when reported (a display name or bio can be the abuse itself)."""
    profile = getattr(user, "profile", None)
    return {
        "username": user.username,
        "display_name": profile.display_name if profile else "",
        "bio": profile.bio if profile else "",
        "date_joined": user.date_joined.isoformat(),
    }


def _records(messages):
    return [message_record(message) for message in messages]


def _messages_with_details(queryset):
    return queryset.select_related("sender__profile").prefetch_related(attachments_prefetch()).order_by("seq")


def context_window(*, seq, last_seq):
    """The seqs (first, last) of the CONTEXT_SIZE messages around seq: 5 before and 4 after when
    the conversation has them, else shifted so that it still holds CONTEXT_SIZE when it can.

    Seqs run 1, 2, 3 … with no gaps, so a seq range is exactly that many messages.
    """
    first = max(1, min(seq - CONTEXT_BEFORE, last_seq - CONTEXT_SIZE + 1))
    return first, first + CONTEXT_SIZE - 1


def message_context(message):
    """The messages around `message` in its thread, oldest first: one range query on the
    (thread, seq) index plus one for their attachments, whatever the conversation's length."""
    first, last = context_window(seq=message.seq, last_seq=message.thread.last_seq)
    return list(_messages_with_details(Message.objects.filter(thread_id=message.thread_id, seq__range=(first, last))))


def latest_messages(thread):
    """The latest CONTEXT_SIZE messages of a thread, oldest first (two queries, as message_context)."""
    return list(_messages_with_details(Message.objects.filter(thread_id=thread.pk, seq__gt=thread.last_seq - CONTEXT_SIZE)))


# --- Checking what someone may report -------------------------------------------------------


def clean_reason(reason, text):
    """The reason (one of Report.Reason) and the details text, trimmed: (reason, text).

    "Other" needs a few words; details are at most Report.TEXT_MAX_LENGTH characters.
    """
    if reason not in Report.Reason.values:
        raise Refused("bad_reason", "Choose why you are reporting this.")
    text = (text or "").strip()
    if len(text) > Report.TEXT_MAX_LENGTH:
        raise Refused("too_long", f"Keep the details under {Report.TEXT_MAX_LENGTH:,} characters.")
    if reason == Report.Reason.OTHER and not text:
        raise Refused("text_required", "Tell us in a few words what is wrong.")
    return reason, text


def _id(value):
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if type(value) is not int or not 1 <= value <= MAX_ID:
        return None
    return value


def reportable_message(*, reporter, message_id):
    """The message reporter may report, with sender, profile and thread loaded (one query).

    Refused("not_found") unless reporter is a current participant of its thread, the same answer
    as for a missing message (ids reveal nothing); system lines and messages staff already removed
    (nothing left to report) are not reportable either.
    Refused("not_allowed") for one's own message.
    """
    message_id = _id(message_id)
    message = None
    if message_id is not None and reporter.is_authenticated:
        message = (
            Message.objects.select_related("sender__profile", "thread")
            .filter(pk=message_id, kind=Message.Kind.TEXT, removed_at__isnull=True, thread__participants__user=reporter)
            .first()
        )
    if message is None:
        raise Refused("not_found", MESSAGE_NOT_FOUND)
    if message.sender_id == reporter.pk:
        raise Refused("not_allowed", "You can't report your own message.")
    return message


def reportable_conversation(*, reporter, thread_id):
    """(thread, other members with user and profile): a conversation reporter is in (two queries).

    Refused("not_found") for outsiders, removed members and missing conversations alike.
    """
    try:
        thread = inbox_services.get_thread_for(reporter, thread_id)
    except Refused:
        raise Refused("not_found", inbox_services.NOT_FOUND) from None
    others = [member for member in inbox_services.thread_participants(thread=thread) if member.user_id != reporter.pk]
    return thread, others


def reportable_person(*, reporter, username):
    """The active person with this username (profile loaded); not oneself."""
    try:
        person = accounts_services.get_active_user(username)
    except Refused:
        raise Refused("not_found", PERSON_NOT_FOUND) from None
    if person.pk == reporter.pk:
        raise Refused("not_allowed", "You can't report yourself.")
    return person


def conversation_person(thread, others):
    """The person a conversation report is about: the other person of a 1:1, nobody for a group."""
    if thread.kind == Thread.Kind.DIRECT and len(others) == 1:
        return others[0].user
    return None


# --- Making reports -------------------------------------------------------------------------


def _open_report(reporter, kind, **target):
    return Report.objects.filter(reporter=reporter, kind=kind, status=Report.Status.OPEN, **target).first()


def _store(*, reporter, also_block, duplicate, **fields):
    """Count the report against the reporter's hourly limit, then store it (and the block) in one
    transaction: (report, created). A report already open for the same thing is returned as it is."""
    existing = duplicate()
    block = fields.get("reported_user") if also_block else None
    if existing is not None:
        # Sending the form twice stores one report; a block asked for the second time still happens.
        if block is not None:
            accounts_services.block(blocker=reporter, blocked=block)
        return existing, False
    # Before anything is written: over the limit, nothing is stored and nobody is blocked.
    accounts_services.check_report_rate(reporter)
    try:
        with transaction.atomic():
            report = Report.objects.create(reporter=reporter, **fields)
            if block is not None:
                accounts_services.block(blocker=reporter, blocked=block)
    except IntegrityError:
        # The same report from a second tab in the same moment (the open-report constraints).
        existing = duplicate()
        if existing is None:
            raise
        return existing, False
    return report, True


def report_message(*, reporter, message_id, reason, text="", also_block=False):
    """Report a message of a conversation reporter is in: (report, created).

    Stores a snapshot of the message and the CONTEXT_SIZE messages around it (5 before, 4 after
    when there are) in the report row: a fixed number of queries however long the conversation.
    also_block blocks the sender in the same transaction. Refused: not_found (not a participant,
    missing, a system line), not_allowed (one's own), bad_reason / text_required / too_long,
    rate_limited (REPORTS_PER_HOUR; nothing stored or blocked). An open report of the same message
    by the same person is returned with created=False and not counted again.
    """
    reason, text = clean_reason(reason, text)
    message = reportable_message(reporter=reporter, message_id=message_id)
    context = message_context(message)
    reported = next((item for item in context if item.pk == message.pk), message)
    return _store(
        reporter=reporter,
        also_block=also_block,
        duplicate=lambda: _open_report(reporter, Report.Kind.MESSAGE, message=message),
        kind=Report.Kind.MESSAGE,
        reason=reason,
        text=text,
        reported_user=message.sender,
        message=message,
        thread=message.thread,
        snapshot=[message_record(reported)],
        context=_records(context),
        person_snapshot=person_record(message.sender),
    )


def report_conversation(*, reporter, thread_id, reason, text="", also_block=False):
    """Report a conversation reporter is in: (report, created).

    Keeps the latest CONTEXT_SIZE messages as context. The person concerned is the other person
    of a 1:1 (also_block blocks them); a group report concerns nobody in particular and also_block
    is ignored. Refusals as report_message.
    """
    reason, text = clean_reason(reason, text)
    thread, others = reportable_conversation(reporter=reporter, thread_id=thread_id)
    person = conversation_person(thread, others)
    return _store(
        reporter=reporter,
        also_block=also_block,
        duplicate=lambda: _open_report(reporter, Report.Kind.CONVERSATION, thread=thread),
        kind=Report.Kind.CONVERSATION,
        reason=reason,
        text=text,
        reported_user=person,
        thread=thread,
        context=_records(latest_messages(thread)),
        person_snapshot=person_record(person) if person is not None else {},
    )


def direct_thread_between(first, second):
    """The 1:1 of the two people if both are still in it, else None (one query)."""
    key = inbox_services.direct_key(first.pk, second.pk)
    return (
        Thread.objects.filter(direct_key=key)
        .filter(pk__in=Participant.objects.filter(user=first).values("thread_id"))
        .first()
    )


def report_person(*, reporter, username, reason, text="", also_block=False):
    """Report a person: (report, created).

    Keeps their public profile as it is now and, when the two share a 1:1, its latest
    CONTEXT_SIZE messages (the reporter is a participant: nothing private to anyone else).
    also_block blocks them in the same transaction. Refused: not_found (no such active person),
    not_allowed (oneself), and the rest as report_message.
    """
    reason, text = clean_reason(reason, text)
    person = reportable_person(reporter=reporter, username=username)
    thread = direct_thread_between(reporter, person)
    return _store(
        reporter=reporter,
        also_block=also_block,
        duplicate=lambda: _open_report(reporter, Report.Kind.PERSON, reported_user=person),
        kind=Report.Kind.PERSON,
        reason=reason,
        text=text,
        reported_user=person,
        thread=thread,
        context=_records(latest_messages(thread)) if thread is not None else [],
        person_snapshot=person_record(person),
    )


CONTENT_KINDS = (Report.Kind.POST, Report.Kind.COMMENT, Report.Kind.STORY)
# kind -> remove(ref=..., removed_by=staff): registered by the app that owns the kind (posts, from
# its AppConfig.ready), which stands above moderation: this app never imports it.
_content_removers = {}


def register_content_remover(kind, remove):
    """Let the app that owns a kind of reported content remove it when staff decide so."""
    _content_removers[kind] = remove
    return remove


def report_content(*, reporter, kind, ref, author, record, reason, text="", also_block=False):
    """Report a post, a comment or a story: (report, created).

    The owning app has checked that reporter may see it and gives `record`, a message_record-shaped
    copy of it (id, seq, kind, sender, sender_name, body, created, removed, attachments) plus
    "url": the snapshot keeps the words after the thing is deleted. also_block blocks the author in
    the same transaction. Refused: not_allowed (one's own), and the rest as report_message. An open
    report of the same thing by the same person is returned with created=False.
    """
    if kind not in CONTENT_KINDS:
        raise Refused("bad_request", "This can't be reported.")
    reason, text = clean_reason(reason, text)
    if author.pk == reporter.pk:
        raise Refused("not_allowed", "You can't report your own post.")
    ref = str(ref)
    return _store(
        reporter=reporter,
        also_block=also_block,
        duplicate=lambda: _open_report(reporter, kind, content_ref=ref),
        kind=kind,
        reason=reason,
        text=text,
        reported_user=author,
        content_ref=ref,
        snapshot=[record],
        person_snapshot=person_record(author),
    )


def remove_reported_content(*, report, staff, note=""):
    """Remove the reported post, comment or story (its app's remover: its DM cards then read "no
    longer available" and its files go), resolve the report and record it, in one transaction.

    Removing something already deleted removes nothing and still resolves the report.
    """
    remove = _content_removers.get(report.kind)
    if report.kind not in CONTENT_KINDS or remove is None:
        raise Refused("not_allowed", "Only a reported post, comment or story can be removed here.")
    return _resolve(
        report=report, staff=staff, resolution=Report.Resolution.CONTENT_REMOVED, note=note,
        act=lambda locked: remove(ref=locked.content_ref, removed_by=staff),
    )


def get_report_for_reporter(*, reporter, report_id):
    """A report as its reporter may see it again (the confirmation page); not_found for anyone else."""
    report_id = _id(report_id)
    report = None
    if report_id is not None and reporter.is_authenticated:
        report = Report.objects.select_related("reported_user__profile").filter(pk=report_id, reporter=reporter).first()
    if report is None:
        raise Refused("not_found", "There is no such report.")
    return report


# --- Acting on reports (staff) --------------------------------------------------------------


def may_moderate(staff):
    """Whether staff may act on reports: an active staff member allowed to change reports."""
    return staff.is_active and staff.is_staff and staff.has_perm("moderation.change_report")


def _resolve(*, report, staff, resolution, note, act=None):
    """Inside one transaction: lock the report, check it is still open, do `act` (the effect),
    mark it resolved and record the action. A second moderator acting on the same report at the
    same moment waits for the lock and is then refused ("already_resolved"), not applied twice."""
    if not may_moderate(staff):
        raise Refused("not_allowed", "You are not allowed to act on reports.")
    note = (note or "").strip()
    if len(note) > ModerationAction._meta.get_field("note").max_length:
        raise Refused("too_long", "Keep the note under 1,000 characters.")
    with transaction.atomic():
        locked = Report.objects.select_for_update().filter(pk=report.pk).first()
        if locked is None:
            raise Refused("not_found", "There is no such report.")
        if not locked.is_open:
            raise Refused("already_resolved", f"This report was already resolved ({locked.get_resolution_display().lower()}).")
        if act is not None:
            act(locked)
        now = timezone.now()
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.RESOLVED, resolution=resolution, resolved_by=staff, resolved_at=now
        )
        ModerationAction.objects.create(report_id=report.pk, staff=staff, action=resolution, created=now, note=note)
    report.status, report.resolution, report.resolved_by, report.resolved_at = (
        Report.Status.RESOLVED, resolution, staff, now
    )
    return report


def dismiss_report(*, report, staff, note=""):
    """Close a report with no action against anyone; recorded with the staff member and time."""
    return _resolve(report=report, staff=staff, resolution=Report.Resolution.DISMISSED, note=note)


def remove_reported_message(*, report, staff, note=""):
    """Remove the reported message for everyone (inbox.services.remove_message blanks it, deletes
    its files and tells every participant's open pages), resolve the report and record it, in one
    transaction. Other open reports of the same message are resolved with it, each with its own
    recorded action.

    The report's snapshot keeps the words. Refused("not_allowed") for a report that is not about
    a message; Refused("message_gone") when the message itself was deleted meanwhile;
    Refused("already_removed") when it was removed already.
    """
    if report.kind != Report.Kind.MESSAGE:
        raise Refused("not_allowed", "Only a reported message can be removed.")

    def remove(locked):
        message = Message.objects.filter(pk=locked.message_id).first()
        if message is None:
            raise Refused("message_gone", "The message no longer exists. Dismiss the report instead.")
        inbox_services.remove_message(message=message, removed_by=staff)
        _resolve_others_of_message(locked, staff)

    return _resolve(report=report, staff=staff, resolution=Report.Resolution.MESSAGE_REMOVED, note=note, act=remove)


def _resolve_others_of_message(report, staff):
    """Inside remove_reported_message's transaction: the other open reports of the same message are
    resolved as removed too (locked first, so a moderator acting on one of them waits, then is told
    it is resolved)."""
    others = list(
        Report.objects.select_for_update()
        .filter(message_id=report.message_id, status=Report.Status.OPEN)
        .exclude(pk=report.pk)
        .values_list("pk", flat=True)
    )
    if not others:
        return
    now = timezone.now()
    resolution = Report.Resolution.MESSAGE_REMOVED
    Report.objects.filter(pk__in=others).update(
        status=Report.Status.RESOLVED, resolution=resolution, resolved_by=staff, resolved_at=now
    )
    ModerationAction.objects.bulk_create(
        ModerationAction(report_id=pk, staff=staff, action=resolution, created=now, note=f"Removed with report {report.pk}.")
        for pk in others
    )


def suspend_reported_account(*, report, staff, note=""):
    """Suspend the reported person: deactivate the account (their sessions stop working and, once
    committed, their open sockets close), resolve the report and record it, in one transaction.

    Refused("no_person") for a report about nobody in particular (a group conversation), and
    Refused("not_allowed") for one's own account or a staff account when staff is not a superuser.
    """
    person = User.objects.filter(pk=report.reported_user_id).first() if report.reported_user_id else None
    if person is None:
        raise Refused("no_person", "This report is not about one person, so there is no account to suspend.")
    if person.pk == staff.pk or ((person.is_staff or person.is_superuser) and not staff.is_superuser):
        raise Refused("not_allowed", "Only a superuser can suspend a staff account, and never their own.")

    def suspend(_locked):
        accounts_services.deactivate_account(user=person)

    return _resolve(report=report, staff=staff, resolution=Report.Resolution.ACCOUNT_SUSPENDED, note=note, act=suspend)


MODERATION_ACTIONS = {
    Report.Resolution.DISMISSED: dismiss_report,
    Report.Resolution.MESSAGE_REMOVED: remove_reported_message,
    Report.Resolution.ACCOUNT_SUSPENDED: suspend_reported_account,
    Report.Resolution.CONTENT_REMOVED: remove_reported_content,
}


def available_actions(report):
    """The decisions that make sense for an open report, in the order the admin shows them."""
    if not report.is_open:
        return []
    actions = [Report.Resolution.DISMISSED]
    if report.kind == Report.Kind.MESSAGE and report.message is not None and not report.message.is_removed:
        actions.append(Report.Resolution.MESSAGE_REMOVED)
    if report.kind in CONTENT_KINDS and report.kind in _content_removers:
        actions.append(Report.Resolution.CONTENT_REMOVED)
    if report.reported_user_id is not None:
        actions.append(Report.Resolution.ACCOUNT_SUSPENDED)
    return actions


def log_staff_view(*, staff, report, what):
    """Record that staff looked at report's reported content (the audit trail superusers read)."""
    return StaffAccessLog.objects.create(staff=staff, report=report, what=what[:200])


def other_reports_about(report):
    """How many other reports name the same person, and how many of them are open (one query)."""
    if report.reported_user_id is None:
        return 0, 0
    others = Report.objects.filter(reported_user_id=report.reported_user_id).exclude(pk=report.pk)
    counts = others.aggregate(total=Count("pk"), open=Count("pk", filter=Q(status=Report.Status.OPEN)))
    return counts["total"], counts["open"]
