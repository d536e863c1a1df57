"""On PostgreSQL, the words of each message as a stored, generated tsvector column with its GIN index.

Matching a column costs a comparison per row where matching the expression index's
to_tsvector(body) parsed every body the planner looked at: searching a common word at 1,000,000
messages took 60 to 80 ms walking the newest messages, a rare one seconds or an index-first plan.
PostgreSQL computes the column in every INSERT and UPDATE itself, whoever writes (the send path's
hand-written INSERT included); it is NULL for what is not indexed (system lines, emptied bodies).
The model does not know the column: only search.services reads it. SQLite keeps its FTS5 table.
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """ALTER TABLE inbox_message ADD COLUMN search_words tsvector GENERATED ALWAYS AS (
         CASE WHEN kind = 'text' AND body <> '' THEN to_tsvector('english'::regconfig, body) END
       ) STORED""",
    "CREATE INDEX search_message_words_column ON inbox_message USING gin (search_words)",
    "DROP INDEX IF EXISTS search_message_words",
]
POSTGRESQL_BACKWARD = [
    """CREATE INDEX IF NOT EXISTS search_message_words ON inbox_message
       USING gin (to_tsvector('english'::regconfig, body)) WHERE kind = 'text' AND body <> ''""",
    "DROP INDEX IF EXISTS search_message_words_column",
    "ALTER TABLE inbox_message DROP COLUMN IF EXISTS search_words",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0001_message_index"),
        ("inbox", "0005_message_actions"),
    ]

    operations = [migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD))]
