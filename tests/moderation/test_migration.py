"""Reports, actions and access-log rows made while they lived in accounts survive the move to moderation."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.models import User
from inbox import services as inbox
from moderation.models import ModerationAction, Report, StaffAccessLog
from tests.inbox.conftest import make_thread, no_rate_limit  # noqa: F401  (fixtures)

# The schema of the last release with reports in accounts: accounts' 0003, and no moderation app.
BEFORE = [("accounts", "0003_reports_and_moderation"), ("moderation", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1] is not None]).apps


def leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_database_with_reports_upgrades_and_keeps_every_row_and_permission(alice, bob, no_rate_limit):
    thread, _ = inbox.start_thread(creator=alice, recipients=[bob])
    message, _ = inbox.send_message(sender=bob, thread=thread, body="you will regret this")
    latest = leaf_nodes()
    # Made before going back: today's User has columns (theme) the old schema lacks.
    root = User.objects.create_superuser("root", "root@example.com", "x-long-password")
    moderator = User.objects.create_user("mod", "mod@example.com", "x-long-password", is_staff=True)

    old = migrate(BEFORE)
    try:
        OldReport = old.get_model("accounts", "Report")
        OldAction = old.get_model("accounts", "ModerationAction")
        OldAccessLog = old.get_model("accounts", "StaffAccessLog")
        # The permissions a moderator was given before the move, under the accounts label.
        moderator.user_permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=["view_report", "change_report"])
        )
        assert moderator.user_permissions.count() == 2
        snapshot = [{"id": message.pk, "seq": message.seq, "body": "you will regret this", "sender": "bob"}]
        open_report = OldReport.objects.create(
            reporter_id=alice.pk, reported_user_id=bob.pk, kind="message", reason="harassment",
            message_id=message.pk, thread_id=thread.pk, snapshot=snapshot, context=snapshot,
            person_snapshot={"username": "bob"},
        )
        resolved = OldReport.objects.create(
            reporter_id=alice.pk, reported_user_id=bob.pk, kind="person", reason="spam", status="resolved",
            resolution="dismissed", resolved_by_id=root.pk, resolved_at=open_report.created,
        )
        OldAction.objects.create(report_id=resolved.pk, staff_id=root.pk, action="dismissed", note="Not spam.")
        OldAccessLog.objects.create(report_id=open_report.pk, staff_id=root.pk, what="Reported message")
    finally:
        migrate(latest)

    assert not ContentType.objects.filter(app_label="accounts", model__in=["report", "moderationaction", "staffaccesslog"]).exists()
    report = Report.objects.get(pk=open_report.pk)
    assert (report.reporter, report.reported_user, report.message, report.thread) == (alice, bob, message, thread)
    assert report.snapshot == snapshot and report.is_open
    assert Report.objects.get(pk=resolved.pk).resolution == "dismissed"
    assert list(ModerationAction.objects.values_list("report_id", "staff__username", "note")) == [(resolved.pk, "root", "Not spam.")]
    assert list(StaffAccessLog.objects.values_list("report_id", "what")) == [(open_report.pk, "Reported message")]

    # The same permission rows now mean moderation's: the moderator still opens and decides on reports.
    moderator = User.objects.get(pk=moderator.pk)
    assert moderator.has_perm("moderation.view_report") and moderator.has_perm("moderation.change_report")
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/admin/moderation/report/{report.pk}/change/")
    assert page.status_code == 200
    assert "you will regret this" in page.content.decode()
    assert client.post(f"/admin/moderation/report/{report.pk}/moderate/dismiss/").status_code == 302
    assert Report.objects.get(pk=report.pk).resolution == "dismissed"
