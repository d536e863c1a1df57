"""Moderation in the admin: the reports queue, a report's evidence, the decisions and their records,
the staff access log, and the promise that staff reach message content through reports only.
"""

import html as html_module

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from inbox import services as inbox
from inbox.models import Message
from media import services as media_services
from moderation import services as moderation
from moderation.models import ModerationAction, Report, StaffAccessLog
from tests.inbox.conftest import ORIGIN, TIMEOUT, fresh_channel_layer, make_thread  # noqa: F401  (fixtures)
from tests.media import samples

pytestmark = pytest.mark.django_db

REPORTED_WORDS = "you will regret this"
# In a conversation nobody reported: no admin page may ever show these.
PRIVATE_WORDS = "zanzibar quokka rendezvous"
PRIVATE_FILE = "quokka-itinerary.pdf"


def make_moderator(username="mod", *, can_act=True):
    """A staff member who may see reports and, with can_act, decide on them (not a superuser)."""
    staff = User.objects.create_user(username, f"{username}@example.com", "x-long-password", is_staff=True)
    codenames = ["view_report"] + (["change_report"] if can_act else [])
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames))
    return staff


@pytest.fixture
def moderator(db):
    return make_moderator()


@pytest.fixture
def moderator_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.com", "x-long-password")


@pytest.fixture
def root_client(root):
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def reported(make_thread, alice, bob):
    """alice reports bob's threatening message in their 1:1."""
    thread = make_thread(alice, bob)
    inbox.send_message(sender=alice, thread=thread, body="can we talk?")
    message, _ = inbox.send_message(sender=bob, thread=thread, body=REPORTED_WORDS)
    inbox.send_message(sender=alice, thread=thread, body="please stop")
    report, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment", text="threats")
    return report


def change_url(report):
    return f"/admin/moderation/report/{report.pk}/change/"


def moderate_url(report, action):
    return f"/admin/moderation/report/{report.pk}/moderate/{action}/"


def text(response):
    return html_module.unescape(response.content.decode())


# --- The queue -------------------------------------------------------------------------------


def test_the_queue_lists_reports_by_their_facts_without_the_reported_words(moderator_client, reported):
    response = moderator_client.get("/admin/moderation/report/")
    html = text(response)
    assert response.status_code == 200
    for column in ("Created", "Kind", "Reason", "Status", "Reporter", "Reported person"):
        assert f">{column}</a>" in html or f"<span>{column}</span>" in html, column
    assert "Harassment" in html and "alice" in html and "bob" in html
    assert REPORTED_WORDS not in html and "threats" not in html


def test_the_queue_filters_by_status_reason_and_kind_and_searches_usernames(moderator_client, reported, carol):
    moderation.report_person(reporter=carol, username="alice", reason="spam")

    def rows(**query):
        return moderator_client.get("/admin/moderation/report/", query).context["cl"].result_count

    assert rows() == 2
    assert rows(reason__exact="spam") == 1 and rows(kind__exact="message") == 1 and rows(status__exact="open") == 2
    assert rows(q="carol") == 1 and rows(q="bob") == 1 and rows(q="alice") == 2
    # The reported words are not searchable: staff find reports by people, not by content.
    assert rows(q="regret") == 0


def test_the_queue_runs_the_same_queries_for_one_report_or_ten(
    moderator_client, make_user, make_thread, alice, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert moderator_client.get("/admin/moderation/report/").status_code == 200
        return len(captured)

    first = make_user("reporter0")
    moderation.report_person(reporter=first, username="alice", reason="spam")
    one = queries()
    for index in range(1, 10):
        moderation.report_person(reporter=make_user(f"reporter{index}"), username="alice", reason="spam")
    assert queries() == one


# --- A report's page -------------------------------------------------------------------------


def test_a_report_page_shows_the_evidence_as_a_conversation(moderator_client, reported):
    response = moderator_client.get(change_url(reported))
    html = text(response)
    assert response.status_code == 200
    assert "<h2 id=\"evidence-heading\">Evidence</h2>" in html
    assert html.count(REPORTED_WORDS) == 2  # the reported message, and in its place among the context
    assert "can we talk?" in html and "please stop" in html
    assert '<span class="evidence-flag">Reported</span>' in html
    assert "Profile of @bob when reported" in html and "threats" in html
    # Rendered, never dumped: no JSON keys on the page.
    assert '"seq"' not in html and "'seq'" not in html and '"body"' not in html


def test_a_report_page_leads_to_the_other_reports_about_the_same_person(moderator_client, reported, carol):
    moderation.report_person(reporter=carol, username="bob", reason="spam")
    html = text(moderator_client.get(change_url(reported)))
    link = f"/admin/moderation/report/?reported_user__id__exact={reported.reported_user_id}"
    assert f'<a href="{link}">1 other report about them</a> (1 open)' in html
    assert moderator_client.get(link).context["cl"].result_count == 2


def test_every_view_of_a_report_is_logged_with_the_staff_member_and_time(moderator_client, moderator, reported):
    before = timezone.now()
    moderator_client.get(change_url(reported))
    moderator_client.get(change_url(reported))
    entries = list(StaffAccessLog.objects.order_by("viewed_at"))
    assert len(entries) == 2
    assert all(entry.staff == moderator and entry.report == reported and entry.viewed_at >= before for entry in entries)
    assert entries[0].what == "Reported message and 3 messages of context"
    # The queue itself shows no content and logs nothing.
    moderator_client.get("/admin/moderation/report/")
    assert StaffAccessLog.objects.count() == 2


def test_the_access_log_is_visible_to_superusers_only_and_read_only(moderator_client, root_client, reported):
    moderator_client.get(change_url(reported))
    entry = StaffAccessLog.objects.get()

    assert moderator_client.get("/admin/moderation/staffaccesslog/").status_code == 403
    assert "/admin/moderation/staffaccesslog/" not in moderator_client.get("/admin/").content.decode()
    assert "Viewed by" not in moderator_client.get(change_url(reported)).content.decode()

    html = text(root_client.get("/admin/moderation/staffaccesslog/"))
    assert "mod" in html and "Reported message and 3 messages of context" in html
    assert root_client.get(f"/admin/moderation/staffaccesslog/{entry.pk}/change/").status_code == 200
    assert root_client.get("/admin/moderation/staffaccesslog/add/").status_code == 403
    assert root_client.post(f"/admin/moderation/staffaccesslog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "Viewed by" in root_client.get(change_url(reported)).content.decode()


def test_reports_cannot_be_added_edited_or_deleted_in_the_admin(root_client, reported):
    assert root_client.get("/admin/moderation/report/add/").status_code == 403
    assert root_client.post(change_url(reported), {"reason": "spam"}).status_code == 403
    assert root_client.post(f"/admin/moderation/report/{reported.pk}/delete/", {"post": "yes"}).status_code == 403
    reported.refresh_from_db()
    assert reported.reason == "harassment"


# --- Decisions -------------------------------------------------------------------------------


def test_the_report_page_offers_the_three_decisions(moderator_client, reported):
    html = text(moderator_client.get(change_url(reported)))
    for slug, label in (("dismiss", "Dismiss"), ("remove-message", "Remove the message for everyone"),
                        ("suspend", "Suspend the account")):
        assert f'formaction="{moderate_url(reported, slug)}"' in html
        assert f">{label}</button>" in html
    assert '<label for="id_moderation_note">' in html


def test_dismissing_resolves_the_report_and_records_who_and_when(moderator_client, moderator, reported, bob):
    before = timezone.now()
    response = moderator_client.post(moderate_url(reported, "dismiss"), {"moderation_note": "banter between friends"})
    assert response.status_code == 302 and response["Location"] == change_url(reported)

    reported.refresh_from_db()
    assert (reported.status, reported.resolution, reported.resolved_by) == ("resolved", "dismissed", moderator)
    assert reported.resolved_at >= before
    action = ModerationAction.objects.get()
    assert (action.report, action.staff, action.action, action.note) == (
        reported, moderator, "dismissed", "banter between friends"
    )
    assert action.created == reported.resolved_at
    bob.refresh_from_db()
    assert bob.is_active

    html = text(moderator_client.get(change_url(reported)))
    assert "Report {} dismissed.".format(reported.pk) in html
    assert "banter between friends" in html  # the action, on the report's page
    assert "formaction=" not in html  # nothing left to decide


def test_a_resolved_report_is_not_resolved_twice(moderator_client, reported):
    moderator_client.post(moderate_url(reported, "dismiss"))
    response = moderator_client.post(moderate_url(reported, "suspend"), follow=True)
    assert "This report was already resolved (dismissed)." in text(response)
    assert ModerationAction.objects.count() == 1
    assert User.objects.get(username="bob").is_active


def test_suspending_deactivates_the_account_and_tells_its_sockets_to_close(
    moderator_client, moderator, reported, bob, django_capture_on_commit_callbacks, monkeypatch
):
    # A spy, so this works on every channel layer; the socket itself closing is the real-stack test below.
    closed = []
    monkeypatch.setattr("accounts.services.close_user_sockets", lambda user, session_key=None: closed.append(
        (user.pk, session_key, User.objects.get(pk=user.pk).is_active)
    ))
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(moderate_url(reported, "suspend"), {"moderation_note": "threats"})
    bob.refresh_from_db()
    assert not bob.is_active
    # All of bob's sockets (no session key), told only once the deactivation is committed.
    assert closed == [(bob.pk, None, False)]
    reported.refresh_from_db()
    assert reported.resolution == "account_suspended"
    assert ModerationAction.objects.get().staff == moderator


def test_removing_the_message_blanks_it_for_everyone_and_the_report_keeps_the_words(
    moderator_client, moderator, reported, django_capture_on_commit_callbacks, monkeypatch
):
    from inbox import events

    pushed = []
    monkeypatch.setattr(events, "broadcast_message_removed", lambda message: pushed.append(message.pk))
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(moderate_url(reported, "remove-message"))
    # Every participant's open pages hear of it on commit (inbox.events sends "message.removed").
    assert pushed == [reported.message_id]
    message = Message.objects.get(pk=reported.message_id)
    assert message.body == "" and message.is_removed and message.removed_by == moderator
    reported.refresh_from_db()
    assert reported.resolution == "message_removed" and reported.snapshot[0]["body"] == REPORTED_WORDS
    action = ModerationAction.objects.get()
    assert (action.action, action.staff, action.report) == ("message_removed", moderator, reported)
    html = text(moderator_client.get(change_url(reported)))
    assert REPORTED_WORDS in html and "removed for everyone on" in html and "by mod" in html


def test_the_other_open_reports_of_a_removed_message_are_resolved_with_it(moderator_client, moderator, make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol, name="Trip")
    message, _ = inbox.send_message(sender=bob, thread=group, body=REPORTED_WORDS)
    first, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")
    second, _ = moderation.report_message(reporter=carol, message_id=message.pk, reason="spam")
    moderator_client.post(moderate_url(first, "remove-message"))
    second.refresh_from_db()
    assert (second.status, second.resolution, second.resolved_by) == ("resolved", "message_removed", moderator)
    assert ModerationAction.objects.get(report=second).note == f"Removed with report {first.pk}."
    assert ModerationAction.objects.count() == 2


def test_a_removed_message_cannot_be_removed_again(moderator_client, reported, make_thread, alice, bob):
    inbox.remove_message(message=Message.objects.get(pk=reported.message_id), removed_by=User.objects.get(username="bob"))
    html = text(moderator_client.get(change_url(reported)))
    assert "Remove the message for everyone</button>" not in html and "Dismiss</button>" in html
    response = moderator_client.post(moderate_url(reported, "remove-message"), follow=True)
    assert "This message was already removed." in text(response)
    reported.refresh_from_db()
    assert reported.is_open and not ModerationAction.objects.exists()


def test_a_message_deleted_meanwhile_cannot_be_removed_but_the_report_can_be_dismissed(moderator_client, reported):
    Message.objects.filter(pk=reported.message_id).delete()
    reported.refresh_from_db()
    html = text(moderator_client.get(change_url(reported)))
    assert "A message that has since been deleted" in html and REPORTED_WORDS in html
    assert "Remove the message for everyone</button>" not in html
    response = moderator_client.post(moderate_url(reported, "remove-message"), follow=True)
    assert "The message no longer exists. Dismiss the report instead." in text(response)
    assert not ModerationAction.objects.exists()
    moderator_client.post(moderate_url(reported, "dismiss"))
    assert ModerationAction.objects.get().action == "dismissed"


def test_a_group_report_has_no_account_to_suspend(moderator_client, make_thread, alice, bob, carol):
    group = make_thread(alice, bob, carol, name="Trip")
    report, _ = moderation.report_conversation(reporter=bob, thread_id=group.pk, reason="spam")
    html = text(moderator_client.get(change_url(report)))
    assert "Nobody in particular (a group conversation)" in html
    assert "Suspend the account</button>" not in html and "Dismiss</button>" in html
    response = moderator_client.post(moderate_url(report, "suspend"), follow=True)
    assert "This report is not about one person" in text(response)
    assert not ModerationAction.objects.exists()


def test_staff_cannot_suspend_a_staff_account_but_a_superuser_can(moderator_client, root_client, alice):
    colleague = make_moderator("colleague")
    report, _ = moderation.report_person(reporter=alice, username="colleague", reason="harassment")
    response = moderator_client.post(moderate_url(report, "suspend"), follow=True)
    assert "Only a superuser can suspend a staff account" in text(response)
    colleague.refresh_from_db()
    assert colleague.is_active
    root_client.post(moderate_url(report, "suspend"))
    colleague.refresh_from_db()
    assert not colleague.is_active


def test_staff_who_may_only_view_reports_see_the_evidence_but_cannot_decide(reported):
    viewer = make_moderator("viewer", can_act=False)
    client = Client()
    client.force_login(viewer)
    html = text(client.get(change_url(reported)))
    assert REPORTED_WORDS in html and "formaction=" not in html
    assert client.post(moderate_url(reported, "dismiss")).status_code == 403
    assert client.post("/admin/moderation/report/", {"action": "dismiss_selected", "_selected_action": [reported.pk]}).status_code == 200
    reported.refresh_from_db()
    assert reported.is_open and not ModerationAction.objects.exists()


def test_outsiders_of_the_admin_reach_no_report(client, alice, reported):
    assert client.get(change_url(reported)).status_code == 302
    assert client.post(moderate_url(reported, "dismiss")).status_code == 302
    client.force_login(alice)  # the reporter, not staff
    assert client.post(moderate_url(reported, "dismiss")).status_code == 302
    reported.refresh_from_db()
    assert reported.is_open


def test_decisions_are_posts_only(moderator_client, reported):
    assert moderator_client.get(moderate_url(reported, "dismiss")).status_code == 405
    assert moderator_client.post(moderate_url(reported, "delete")).status_code == 404
    reported.refresh_from_db()
    assert reported.is_open


def test_several_reports_can_be_dismissed_at_once_from_the_queue(moderator_client, moderator, reported, carol):
    other, _ = moderation.report_person(reporter=carol, username="bob", reason="spam")
    response = moderator_client.post(
        "/admin/moderation/report/", {"action": "dismiss_selected", "_selected_action": [reported.pk, other.pk]}
    )
    assert response.status_code == 302
    assert set(Report.objects.values_list("resolution", flat=True)) == {"dismissed"}
    assert ModerationAction.objects.filter(staff=moderator, action="dismissed").count() == 2


# --- The suspended person's open socket, through the real stack -------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_staff_member_suspends_the_account_and_its_open_socket_closes_at_once(make_thread, alice, bob):
    from config.asgi import application

    @sync_to_async
    def prepare():
        thread = make_thread(alice, bob)
        message, _ = inbox.send_message(sender=bob, thread=thread, body=REPORTED_WORDS)
        report, _ = moderation.report_message(reporter=alice, message_id=message.pk, reason="harassment")
        staff = make_moderator()
        staff_client, bob_client = Client(), Client()
        staff_client.force_login(staff)
        bob_client.force_login(bob)
        return report, staff, staff_client, bob_client.cookies[settings.SESSION_COOKIE_NAME].value

    report, staff, staff_client, bob_session = await prepare()
    socket = WebsocketCommunicator(
        application, "/ws/", headers=[ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={bob_session}".encode())]
    )
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    try:
        response = await sync_to_async(staff_client.post)(moderate_url(report, "suspend"), {"moderation_note": "threats"})
        assert response.status_code == 302
        assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4001}
    finally:
        await socket.disconnect(timeout=1)

    @sync_to_async
    def outcome():
        report.refresh_from_db()
        action = ModerationAction.objects.get()
        return User.objects.get(pk=bob.pk).is_active, report.resolution, action.staff_id, action.action

    assert await outcome() == (False, "account_suspended", staff.pk, "account_suspended")
    # Bob's session no longer works for pages either, and a new socket is refused.
    again = WebsocketCommunicator(
        application, "/ws/", headers=[ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={bob_session}".encode())]
    )
    assert await again.connect(timeout=TIMEOUT) == (False, 4003)


# --- Staff see message content only through reports -----------------------------------------


def test_messages_have_no_admin_pages_at_all():
    assert Message not in admin.site._registry
    for name in ("changelist", "add"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:inbox_message_{name}")
    with pytest.raises(NoReverseMatch):
        reverse("admin:inbox_message_change", args=[1])


def admin_urls_of_every_registered_model():
    """Every page of every registered model admin: the list, and for each row its change, history
    and delete pages, plus the add page where there is one; with the admin's index pages."""
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
        urls.append(reverse(f"{info}_changelist"))
        urls.append(reverse(f"{info}_add"))
        for pk in model._default_manager.values_list("pk", flat=True):
            for page in ("change", "history", "delete"):
                urls.append(reverse(f"{info}_{page}", args=[pk]))
    return urls


def test_no_admin_page_shows_or_finds_an_unreported_message_or_file(
    root_client, reported, make_thread, alice, bob, carol
):
    # A private conversation with a file, and a group, that nobody reported.
    private = make_thread(carol, alice)
    upload = media_services.store_upload(
        owner=carol, uploaded_file=SimpleUploadedFile(PRIVATE_FILE, samples.pdf(), "application/pdf")
    )
    message, _ = inbox.send_message(sender=carol, thread=private, body=PRIVATE_WORDS)
    media_services.attach_to_message(owner=carol, attachment_ids=[upload.pk], message=message)
    group = make_thread(alice, bob, carol, name="Trip")
    inbox.send_message(sender=bob, thread=group, body=f"group: {PRIVATE_WORDS}")
    # A resolved report and an access log entry, so their pages are walked too.
    moderation.dismiss_report(report=reported, staff=User.objects.get(username="root"))
    root_client.get(change_url(reported))

    urls = admin_urls_of_every_registered_model()
    assert any("/admin/inbox/thread/" in url for url in urls) and any("/admin/media/attachment/" in url for url in urls)
    assert any(url.startswith(f"/admin/moderation/report/{reported.pk}/") for url in urls)
    for url in urls:
        response = root_client.get(url)
        assert response.status_code in {200, 302, 403}, url
        page = text(response).lower()
        assert "quokka" not in page and "zanzibar" not in page, url

    # Nothing is found by searching for the words or the file name either.
    for model, model_admin in admin.site._registry.items():
        if not model_admin.search_fields:
            continue
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for words in ("quokka", "zanzibar", "itinerary", "regret"):
            response = root_client.get(changelist, {"q": words})
            if response.status_code == 200:
                assert response.context["cl"].result_count == 0, (changelist, words)


def test_the_old_admin_addresses_of_reports_lead_to_the_moderation_admin(moderator_client, reported):
    old = moderator_client.get(f"/admin/accounts/report/{reported.pk}/change/")
    assert old.status_code == 302 and old["Location"] == f"/admin/moderation/report/{reported.pk}/change/"
    listing = moderator_client.get("/admin/accounts/report/", {"status__exact": "open"})
    assert listing["Location"] == "/admin/moderation/report/?status__exact=open"
    assert moderator_client.get(listing["Location"]).status_code == 200
    assert moderator_client.get("/admin/accounts/staffaccesslog/")["Location"] == "/admin/moderation/staffaccesslog/"
