"""The full-text index over message words, on SQLite (FTS5) or PostgreSQL (a GIN index).

Only what a person wrote and can still be read is indexed: text messages with words. A body
emptied by an unsend or a removal leaves the index in the same statement (the triggers on SQLite,
the index's own condition on PostgreSQL), so nothing deleted can be found.
"""

from django.db import migrations

# An external-content FTS5 table: the words live once, in inbox_message; the index keeps only
# their positions. The triggers keep it in step with every insert, change and delete, whoever
# writes (the ORM, the send path's hand-written INSERT, a shell).
SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE search_message_fts USING fts5(
        body, content='inbox_message', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_message_fts_insert AFTER INSERT ON inbox_message
       WHEN new.kind = 'text' AND new.body <> '' BEGIN
         INSERT INTO search_message_fts(rowid, body) VALUES (new.id, new.body);
       END""",
    """CREATE TRIGGER search_message_fts_delete AFTER DELETE ON inbox_message
       WHEN old.kind = 'text' AND old.body <> '' BEGIN
         INSERT INTO search_message_fts(search_message_fts, rowid, body) VALUES ('delete', old.id, old.body);
       END""",
    # One trigger, so the old words always leave before the new ones come (two triggers fire in
    # no promised order, and FTS5 must never hold one rowid twice).
    """CREATE TRIGGER search_message_fts_update AFTER UPDATE OF body, kind ON inbox_message BEGIN
         INSERT INTO search_message_fts(search_message_fts, rowid, body)
           SELECT 'delete', old.id, old.body WHERE old.kind = 'text' AND old.body <> '';
         INSERT INTO search_message_fts(rowid, body)
           SELECT new.id, new.body WHERE new.kind = 'text' AND new.body <> '';
       END""",
    "INSERT INTO search_message_fts(rowid, body) SELECT id, body FROM inbox_message WHERE kind = 'text' AND body <> ''",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_message_fts_update",
    "DROP TRIGGER IF EXISTS search_message_fts_delete",
    "DROP TRIGGER IF EXISTS search_message_fts_insert",
    "DROP TABLE IF EXISTS search_message_fts",
]
# The expression must be the one search.services queries with, to the letter, or the planner
# cannot use the index.
POSTGRESQL_FORWARD = [
    """CREATE INDEX search_message_words ON inbox_message
       USING gin (to_tsvector('english'::regconfig, body)) WHERE kind = 'text' AND body <> ''""",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS search_message_words"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0004_message_card"),
    ]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
