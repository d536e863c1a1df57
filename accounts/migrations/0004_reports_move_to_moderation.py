"""Reports, moderation actions and the staff access log now belong to the moderation app.

State only: their tables stay as they are (moderation's models keep the accounts_* table names),
so no row moves and nothing is copied. moderation's 0001 takes the models over first.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_reports_and_moderation'),
        ('moderation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='report',
                    name='message',
                ),
                migrations.RemoveField(
                    model_name='report',
                    name='reported_user',
                ),
                migrations.RemoveField(
                    model_name='report',
                    name='reporter',
                ),
                migrations.RemoveField(
                    model_name='report',
                    name='resolved_by',
                ),
                migrations.RemoveField(
                    model_name='report',
                    name='thread',
                ),
                migrations.RemoveField(
                    model_name='staffaccesslog',
                    name='report',
                ),
                migrations.RemoveField(
                    model_name='staffaccesslog',
                    name='staff',
                ),
                migrations.DeleteModel(
                    name='ModerationAction',
                ),
                migrations.DeleteModel(
                    name='Report',
                ),
                migrations.DeleteModel(
                    name='StaffAccessLog',
                ),
            ],
        ),
    ]
