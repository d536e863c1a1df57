"""Reports, moderation actions and the staff access log, taken over from accounts.

State only: the tables made by accounts' 0003 keep their names and rows (the models say db_table).
The content types move with them, so the permissions staff hold ("Can view report", "Can change
report") and the admin's history of these rows keep pointing at the same models.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED_MODELS = ["report", "moderationaction", "staffaccesslog"]


def move_content_types(from_label, to_label):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        moving = content_type.objects.using(db).filter(app_label=from_label, model__in=MOVED_MODELS)
        if not moving.exists():
            return  # a new database: content types are made after migrating, under the new label
        # Rows made under the new label by an earlier post_migrate hold no one's permissions yet.
        content_type.objects.using(db).filter(app_label=to_label, model__in=MOVED_MODELS).delete()
        moving.update(app_label=to_label)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_reports_and_moderation'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('inbox', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Report',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('message', 'Message'), ('conversation', 'Conversation'), ('person', 'Person')], max_length=12)),
                        ('reason', models.CharField(choices=[('spam', 'Spam'), ('harassment', 'Harassment'), ('other', 'Other')], max_length=10)),
                        ('text', models.TextField(blank=True, max_length=1000, verbose_name='details')),
                        ('snapshot', models.JSONField(blank=True, default=list)),
                        ('context', models.JSONField(blank=True, default=list)),
                        ('person_snapshot', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('resolved', 'Resolved')], default='open', max_length=10)),
                        ('created', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('resolution', models.CharField(blank=True, choices=[('dismissed', 'Dismissed'), ('message_removed', 'Message removed'), ('account_suspended', 'Account suspended')], max_length=20)),
                        ('message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='inbox.message')),
                        ('reported_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports_received', to=settings.AUTH_USER_MODEL, verbose_name='reported person')),
                        ('reporter', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports_made', to=settings.AUTH_USER_MODEL)),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reports_resolved', to=settings.AUTH_USER_MODEL)),
                        ('thread', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='inbox.thread', verbose_name='conversation')),
                    ],
                    options={
                        'db_table': 'accounts_report',
                    },
                ),
                migrations.CreateModel(
                    name='ModerationAction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('dismissed', 'Dismissed'), ('message_removed', 'Message removed'), ('account_suspended', 'Account suspended')], max_length=20)),
                        ('created', models.DateTimeField(default=django.utils.timezone.now)),
                        ('note', models.TextField(blank=True, max_length=1000)),
                        ('staff', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='moderation_actions', to=settings.AUTH_USER_MODEL)),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='actions', to='moderation.report')),
                    ],
                    options={
                        'db_table': 'accounts_moderationaction',
                    },
                ),
                migrations.CreateModel(
                    name='StaffAccessLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('viewed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('what', models.CharField(max_length=200)),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='access_logs', to='moderation.report')),
                        ('staff', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff_access_logs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_staffaccesslog',
                    },
                ),
                migrations.AddIndex(
                    model_name='report',
                    index=models.Index(fields=['status', '-created'], name='report_status_created'),
                ),
                migrations.AddIndex(
                    model_name='report',
                    index=models.Index(fields=['reported_user', '-created'], name='report_reported_user_created'),
                ),
                migrations.AddConstraint(
                    model_name='report',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('reason', 'other'), _negated=True), models.Q(('text', ''), _negated=True), _connector='OR'), name='report_other_has_text'),
                ),
                migrations.AddConstraint(
                    model_name='report',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('resolution', ''), ('resolved_at__isnull', True), ('resolved_by__isnull', True), ('status', 'open')), models.Q(('resolved_at__isnull', False), ('status', 'resolved'), models.Q(('resolution', ''), _negated=True)), _connector='OR'), name='report_resolution_matches_status'),
                ),
                migrations.AddConstraint(
                    model_name='report',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'message'), ('message__isnull', False), ('status', 'open')), fields=('reporter', 'message'), name='report_unique_open_message'),
                ),
                migrations.AddConstraint(
                    model_name='report',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'conversation'), ('status', 'open'), ('thread__isnull', False)), fields=('reporter', 'thread'), name='report_unique_open_conversation'),
                ),
                migrations.AddConstraint(
                    model_name='report',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'person'), ('reported_user__isnull', False), ('status', 'open')), fields=('reporter', 'reported_user'), name='report_unique_open_person'),
                ),
                migrations.AddIndex(
                    model_name='moderationaction',
                    index=models.Index(fields=['report', 'created'], name='moderation_action_report'),
                ),
                migrations.AddIndex(
                    model_name='staffaccesslog',
                    index=models.Index(fields=['-viewed_at'], name='staff_access_viewed_at'),
                ),
                migrations.AddIndex(
                    model_name='staffaccesslog',
                    index=models.Index(fields=['staff', '-viewed_at'], name='staff_access_staff_viewed_at'),
                ),
                migrations.AddIndex(
                    model_name='staffaccesslog',
                    index=models.Index(fields=['report', '-viewed_at'], name='staff_access_report_viewed_at'),
                ),
            ],
        ),
        migrations.RunPython(
            move_content_types("accounts", "moderation"), move_content_types("moderation", "accounts"), elidable=False
        ),
    ]
