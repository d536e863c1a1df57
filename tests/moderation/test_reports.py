"""Reporting a message, a conversation or a person: who may, what a report keeps, the limits, the pages.

alice and bob talk; carol is the outsider, who must be refused exactly as for a missing thing.
"""

import html as html_module
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation import services as moderation
from accounts.models import Block
from moderation.models import Report
from common.errors import Refused
from inbox import services as inbox
from inbox.models import Message
from media import services as media_services
from tests.conftest import PASSWORD
from tests.inbox.conftest import dave, make_thread, no_rate_limit  # noqa: F401  (fixtures)
from tests.media import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def talk(make_thread, alice, bob, no_rate_limit):
    """talk(count) -> the alice-bob 1:1 holding `count` messages, bob's on odd seqs, alice's on even ones."""

    def make(count, *, first=None, second=None):
        first, second = first or bob, second or alice
        thread = make_thread(first, second)
        for index in range(1, count + 1):
            sender = first if index % 2 else second
            inbox.send_message(sender=sender, thread=thread, body=f"line {index} from {sender.username}")
        return thread

    return make


def message_at(thread, seq):
    return Message.objects.get(thread=thread, seq=seq)


def text(response):
    return html_module.unescape(response.content.decode())


def seqs(records):
    return [record["seq"] for record in records]


# --- What a report keeps ----------------------------------------------------------------------


def test_a_participant_reports_a_message_and_the_report_keeps_it_with_ten_around_it(talk, alice, bob):
    thread = talk(20)
    message = message_at(thread, 11)

    report, created = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")

    assert created
    report.refresh_from_db()
    assert (report.kind, report.reason, report.status) == ("message", "harassment", "open")
    assert (report.reporter, report.reported_user, report.message, report.thread) == (alice, bob, message, thread)
    assert report.snapshot == [{
        "id": message.pk, "seq": 11, "kind": "text", "sender": "bob", "sender_name": "Bob Okafor",
        "body": "line 11 from bob", "created": message.created.isoformat(), "removed": False, "attachments": [],
    }]
    # Five before, the reported one, four after, oldest first.
    assert seqs(report.context) == list(range(6, 16))
    assert report.context[5] == report.snapshot[0]
    assert report.person_snapshot["username"] == "bob" and report.person_snapshot["display_name"] == "Bob Okafor"


@pytest.mark.parametrize(
    ("count", "reported_seq", "expected"),
    [
        (20, 1, range(1, 11)),  # nothing before it: the ten first messages
        (20, 3, range(1, 11)),
        (20, 19, range(11, 21)),  # near the end: more before it, still ten
        (4, 3, range(1, 5)),  # a short conversation: all of it
    ],
)
def test_the_context_keeps_ten_messages_when_the_conversation_has_them(talk, alice, count, reported_seq, expected):
    thread = talk(count)
    report, _ = moderation.report_message(reporter=alice, message_id=message_at(thread, reported_seq).pk, reason="spam")
    assert seqs(report.context) == list(expected)


def test_the_snapshot_lists_the_files_a_message_carried_by_name_and_kind(make_thread, alice, bob):
    thread = make_thread(bob, alice)
    upload = media_services.store_upload(
        owner=bob, uploaded_file=SimpleUploadedFile("offer.pdf", samples.pdf(), "application/pdf")
    )
    message, _ = inbox.send_message(sender=bob, thread=thread, body="Click here")
    media_services.attach_to_message(owner=bob, attachment_ids=[upload.pk], message=message)

    report, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="spam")

    assert report.snapshot[0]["attachments"] == [
        {"name": "offer.pdf", "kind": "document", "content_type": "application/pdf", "size": upload.size}
    ]


def test_reporting_a_message_runs_the_same_queries_however_long_the_conversation(talk, alice, bob, carol, dave):
    short = talk(12)
    long = talk(80, first=carol, second=alice)

    def queries_to_report(thread):
        message = Message.objects.filter(thread=thread, seq=9).get()  # the other person's
        with CaptureQueriesContext(connection) as captured:
            moderation.report_message(reporter=alice, message_id=message.pk, reason="spam", also_block=True)
        return len(captured)

    assert queries_to_report(short) == queries_to_report(long)


def test_reporting_a_message_takes_a_fixed_number_of_queries(talk, alice, django_assert_num_queries):
    thread = talk(30)
    message = message_at(thread, 15)
    # Reads: the message with its participant check, an open report of it by alice, the context
    # range, the context's files. Writes: the report row, inside a savepoint (the atomic block).
    with django_assert_num_queries(7) as captured:
        moderation.report_message(reporter=alice, message_id=message.pk, reason="spam")
    reads = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("SELECT")]
    assert len(reads) == 4


def test_the_evidence_survives_the_message_and_the_conversation_being_deleted(talk, alice):
    thread = talk(12)
    message = message_at(thread, 7)
    report, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")

    message.delete()
    report.refresh_from_db()
    assert report.message is None and report.snapshot[0]["body"] == "line 7 from bob"

    thread.delete()
    report.refresh_from_db()
    assert report.thread is None and seqs(report.context) == list(range(2, 12))


# --- Who may report what ---------------------------------------------------------------------


def test_an_outsider_is_refused_a_message_exactly_as_a_missing_one(talk, carol):
    message = message_at(talk(3), 1)
    with pytest.raises(Refused) as outsider:
        moderation.report_message(reporter=carol, message_id=message.pk, reason="spam")
    with pytest.raises(Refused) as missing:
        moderation.report_message(reporter=carol, message_id=message.pk + 1000, reason="spam")
    assert (outsider.value.code, outsider.value.detail) == (missing.value.code, missing.value.detail)
    assert outsider.value.code == "not_found" and outsider.value.http_status == 404
    assert not Report.objects.exists()


def test_a_member_removed_from_a_group_can_no_longer_report_its_messages(make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol, name="Trip")
    message, _ = inbox.send_message(sender=bob, thread=group, body="hello all")
    inbox.remove_participant(user=alice, thread=group, member=carol)
    with pytest.raises(Refused) as refused:
        moderation.report_message(reporter=carol, message_id=message.pk, reason="spam")
    assert refused.value.code == "not_found"


def test_nobody_reports_their_own_message_or_a_system_line(make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol, name="Trip")
    own, _ = inbox.send_message(sender=alice, thread=group, body="mine")
    with pytest.raises(Refused) as refused:
        moderation.report_message(reporter=alice, message_id=own.pk, reason="spam")
    assert refused.value.code == "not_allowed"
    system_line = Message.objects.get(thread=group, kind="system")
    with pytest.raises(Refused) as refused:
        moderation.report_message(reporter=bob, message_id=system_line.pk, reason="spam")
    assert refused.value.code == "not_found"


@pytest.mark.parametrize(
    ("reason", "text", "code"),
    [("other", "   ", "text_required"), ("rude", "", "bad_reason"), ("spam", "x" * 1001, "too_long")],
)
def test_a_report_needs_a_known_reason_and_other_needs_words(talk, alice, reason, text, code):
    message = message_at(talk(2), 1)
    with pytest.raises(Refused) as refused:
        moderation.report_message(reporter=alice, message_id=message.pk, reason=reason, text=text)
    assert refused.value.code == code
    assert not Report.objects.exists()


def test_other_with_words_is_stored_trimmed(talk, alice):
    message = message_at(talk(2), 1)
    report, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="other", text="  pretends to be my bank \n")
    assert report.text == "pretends to be my bank"


def test_the_database_refuses_other_without_words(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(reporter=alice, kind="person", reason="other", text="")


# --- Limits, duplicates, blocking --------------------------------------------------------------


def test_reports_past_the_hourly_limit_are_refused_and_store_and_block_nothing(settings, talk, alice, bob):
    settings.REPORTS_PER_HOUR = 2
    thread = talk(6)
    for seq in (1, 3):
        moderation.report_message(reporter=alice, message_id=message_at(thread, seq).pk, reason="spam")
    with pytest.raises(Refused) as refused:
        moderation.report_message(reporter=alice, message_id=message_at(thread, 5).pk, reason="spam", also_block=True)
    assert refused.value.code == "rate_limited" and refused.value.http_status == 429
    assert refused.value.retry_after > 0
    assert Report.objects.count() == 2
    assert not Block.objects.exists()


def test_reporting_the_same_message_twice_keeps_one_open_report_and_counts_once(settings, talk, alice):
    settings.REPORTS_PER_HOUR = 1
    message = message_at(talk(2), 1)
    first, created = moderation.report_message(reporter=alice, message_id=message.pk, reason="spam")
    again, created_again = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")
    assert created and not created_again and again.pk == first.pk
    assert Report.objects.count() == 1


def test_also_block_blocks_the_sender_with_the_report(talk, alice, bob):
    message = message_at(talk(2), 1)
    moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment", also_block=True)
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()


def test_a_one_to_one_conversation_report_concerns_the_other_person_and_keeps_the_latest_ten(talk, alice, bob):
    thread = talk(25)
    report, _ = moderation.report_conversation(reporter=alice, thread_id=thread.pk, reason="spam", also_block=True)
    assert (report.kind, report.reported_user, report.thread, report.message) == ("conversation", bob, thread, None)
    assert seqs(report.context) == list(range(16, 26)) and report.snapshot == []
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()


def test_a_group_report_concerns_nobody_in_particular_and_blocks_nobody(make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol, name="Trip")
    report, _ = moderation.report_conversation(reporter=bob, thread_id=group.pk, reason="spam", also_block=True)
    assert report.reported_user is None and report.person_snapshot == {}
    assert not Block.objects.exists()


def test_an_outsider_cannot_report_a_conversation(talk, carol):
    thread = talk(2)
    with pytest.raises(Refused) as refused:
        moderation.report_conversation(reporter=carol, thread_id=thread.pk, reason="spam")
    assert refused.value.code == "not_found"


def test_a_person_report_keeps_their_profile_and_the_latest_of_the_one_to_one(talk, alice, bob, carol):
    talk(14)
    report, _ = moderation.report_person(reporter=alice, username="bob", reason="other", text="fake brand")
    assert (report.kind, report.reported_user) == ("person", bob)
    assert seqs(report.context) == list(range(5, 15))
    assert report.person_snapshot["display_name"] == "Bob Okafor"
    # With no conversation between them, only the profile.
    report, _ = moderation.report_person(reporter=carol, username="bob", reason="spam")
    assert report.context == [] and report.thread is None


def test_nobody_reports_themselves_or_a_deactivated_or_unknown_person(alice, bob):
    with pytest.raises(Refused) as refused:
        moderation.report_person(reporter=alice, username="alice", reason="spam")
    assert refused.value.code == "not_allowed"
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    for username in ("bob", "nobody"):
        with pytest.raises(Refused) as refused:
            moderation.report_person(reporter=alice, username=username, reason="spam")
        assert refused.value.code == "not_found"


# --- The pages -------------------------------------------------------------------------------


def test_logged_out_visitors_are_sent_to_log_in(client, talk):
    message = message_at(talk(2), 1)
    for url in (f"/report/message/{message.pk}/", f"/report/conversation/{message.thread_id}/", "/report/person/bob/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"
    assert client.post(f"/report/message/{message.pk}/", {"reason": "spam"}).status_code == 302
    assert not Report.objects.exists()


def test_the_message_report_form_shows_the_message_and_labelled_fields(alice_client, talk, django_assert_num_queries):
    message = message_at(talk(12), 5)
    # session, user, the message with sender and thread (participant check), its files,
    # "did alice block bob?", the navigation's unread badge.
    with django_assert_num_queries(6):
        response = alice_client.get(f"/report/message/{message.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1 id=\"report-heading\">Report a message</h1>" in html
    assert "line 5 from bob" in html
    for label in ("Spam", "Harassment", "Other", "Details", "Also block this person"):
        assert re.search(rf'<label for="[^"]+">{label}</label>', html), label
    assert ">Send report</button>" in html
    assert f'href="/inbox/{message.thread_id}/#message-{message.pk}">Cancel</a>' in html


def test_carol_gets_the_same_404_as_for_a_missing_message_and_stores_nothing(client, carol, talk):
    message = message_at(talk(2), 1)
    client.force_login(carol)
    assert client.get(f"/report/message/{message.pk}/").status_code == 404
    assert client.get("/report/message/999999/").status_code == 404
    assert client.post(f"/report/message/{message.pk}/", {"reason": "spam"}).status_code == 404
    assert client.get(f"/report/conversation/{message.thread_id}/").status_code == 404
    assert client.post(f"/report/conversation/{message.thread_id}/", {"reason": "spam"}).status_code == 404
    assert client.get("/report/message/99999999999999999999999/").status_code == 404
    assert not Report.objects.exists()


def test_sending_the_form_stores_the_report_and_confirms_it(alice_client, talk, bob):
    message = message_at(talk(4), 3)
    response = alice_client.post(f"/report/message/{message.pk}/", {"reason": "harassment", "details": "again"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/report/sent/{report.pk}/"
    assert (report.reason, report.text, report.message) == ("harassment", "again", message)
    html = alice_client.get(response["Location"]).content.decode()
    assert "Thanks for your report" in html
    assert ">Block @bob</button>" in html
    assert f'href="/inbox/{message.thread_id}/">Back to the conversation</a>' in html


def test_only_the_reporter_sees_the_confirmation(client, talk, alice, bob):
    message = message_at(talk(2), 1)
    report, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="spam")
    client.force_login(bob)
    assert client.get(f"/report/sent/{report.pk}/").status_code == 404


def test_other_without_details_is_sent_back_with_an_error(alice_client, talk):
    message = message_at(talk(2), 1)
    response = alice_client.post(f"/report/message/{message.pk}/", {"reason": "other", "details": " "})
    assert response.status_code == 200
    assert "Tell us in a few words what is wrong." in response.content.decode()
    assert not Report.objects.exists()


def test_no_reason_is_sent_back_with_an_error(alice_client, talk):
    message = message_at(talk(2), 1)
    response = alice_client.post(f"/report/message/{message.pk}/", {"details": "hm"})
    assert "Choose why you are reporting this." in response.content.decode()
    assert not Report.objects.exists()


def test_a_form_over_the_hourly_limit_answers_429_with_retry_after(settings, alice_client, talk):
    settings.REPORTS_PER_HOUR = 1
    thread = talk(4)
    alice_client.post(f"/report/message/{message_at(thread, 1).pk}/", {"reason": "spam"})
    response = alice_client.post(
        f"/report/message/{message_at(thread, 3).pk}/", {"reason": "spam", "also_block": "on"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You've sent many reports in a short time." in text(response)
    assert Report.objects.count() == 1 and not Block.objects.exists()


def test_ticking_also_block_blocks_and_the_confirmation_says_so(alice_client, talk, alice, bob):
    message = message_at(talk(2), 1)
    response = alice_client.post(f"/report/message/{message.pk}/", {"reason": "spam", "also_block": "on"}, follow=True)
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    html = text(response)
    assert "You've blocked @bob." in html and "Block @bob</button>" not in html


def test_once_blocked_the_form_no_longer_offers_to_block(alice_client, talk, alice, bob):
    from accounts.services import block

    message = message_at(talk(2), 1)
    block(blocker=alice, blocked=bob)
    html = text(alice_client.get(f"/report/message/{message.pk}/"))
    assert "Also block this person" not in html and "You've blocked @bob." in html


def test_a_group_report_form_has_no_block_box(client, make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol, name="Trip")
    client.force_login(bob)
    html = client.get(f"/report/conversation/{group.pk}/").content.decode()
    assert "Report a group conversation" in html and "Trip" in html
    assert "Also block this person" not in html


def test_a_person_can_be_reported_from_their_profile(alice_client, bob):
    html = alice_client.get("/u/bob/").content.decode()
    assert '<a class="menu-item menu-item-danger" href="/report/person/bob/">Report</a>' in html
    response = alice_client.post("/report/person/bob/", {"reason": "spam"})
    assert response.status_code == 302
    assert Report.objects.get().reported_user == bob
    assert "/report/person/alice/" not in alice_client.get("/u/alice/").content.decode()


def test_reporting_oneself_or_nobody_is_refused(alice_client, alice):
    response = alice_client.get("/report/person/alice/")
    assert response.status_code == 403 and "You can't report yourself." in text(response)
    assert alice_client.get("/report/person/nobody/").status_code == 404


def test_reporting_ones_own_message_is_refused_with_a_reason(alice_client, talk):
    message = message_at(talk(2), 2)  # alice's
    response = alice_client.get(f"/report/message/{message.pk}/")
    assert response.status_code == 403 and "You can't report your own message." in text(response)


def test_the_reporter_can_log_in_and_back_after_the_redirect(client, talk, alice):
    message = message_at(talk(2), 1)
    url = f"/report/message/{message.pk}/"
    response = client.post(f"/accounts/login/?next={url}", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == url


def test_details_of_a_thousand_characters_count_line_breaks_once(alice_client, talk):
    message = message_at(talk(2), 1)
    details = "\r\n".join(["x" * 99] * 10) + "y"  # 1,000 characters as the browser counts them
    response = alice_client.post(f"/report/message/{message.pk}/", {"reason": "spam", "details": details})
    assert response.status_code == 302
    assert Report.objects.get().text == details.replace("\r\n", "\n")
    response = alice_client.post(f"/report/conversation/{message.thread_id}/", {"reason": "spam", "details": details + "z"})
    assert "Keep the details under 1,000 characters (now 1,001)." in text(response)


def test_a_message_staff_already_removed_cannot_be_reported(talk, alice, make_user):
    message = message_at(talk(3), 1)
    inbox.remove_message(message=message, removed_by=make_user("mod", is_staff=True))
    with pytest.raises(Refused) as refused:
        moderation.report_message(reporter=alice, message_id=message.pk, reason="spam")
    assert refused.value.code == "not_found"


def test_the_context_marks_messages_removed_before_the_report(talk, alice, make_user):
    thread = talk(6)
    inbox.remove_message(message=message_at(thread, 3), removed_by=make_user("mod", is_staff=True))
    report, _ = moderation.report_message(reporter=alice, message_id=message_at(thread, 5).pk, reason="spam")
    removed = [record for record in report.context if record["removed"]]
    assert [(record["seq"], record["body"]) for record in removed] == [(3, "")]
