"""The database's own full-text index over filing_searchentry (docs/decisions/0010-mailbox-search-index.md).

PostgreSQL: a generated `tsvector` column (Danish configuration; sender and subject weigh most) with a GIN index,
so the row and its index can never disagree. SQLite: an FTS5 table with filing_searchentry as external content,
kept in step by triggers (SQLite's documented pattern for external-content tables); `owner_key` is one of its
columns, so one person's matches are found inside the index.
"""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE filing_search USING fts5(
           owner_key, sender, label, body, attachments,
           content='filing_searchentry', content_rowid='id',
           tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER filing_search_insert AFTER INSERT ON filing_searchentry BEGIN
           INSERT INTO filing_search(rowid, owner_key, sender, label, body, attachments)
           VALUES (new.id, new.owner_key, new.sender, new.label, new.body, new.attachments);
       END""",
    """CREATE TRIGGER filing_search_delete AFTER DELETE ON filing_searchentry BEGIN
           INSERT INTO filing_search(filing_search, rowid, owner_key, sender, label, body, attachments)
           VALUES ('delete', old.id, old.owner_key, old.sender, old.label, old.body, old.attachments);
       END""",
    """CREATE TRIGGER filing_search_update AFTER UPDATE ON filing_searchentry BEGIN
           INSERT INTO filing_search(filing_search, rowid, owner_key, sender, label, body, attachments)
           VALUES ('delete', old.id, old.owner_key, old.sender, old.label, old.body, old.attachments);
           INSERT INTO filing_search(rowid, owner_key, sender, label, body, attachments)
           VALUES (new.id, new.owner_key, new.sender, new.label, new.body, new.attachments);
       END""",
    "INSERT INTO filing_search(filing_search) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS filing_search_update",
    "DROP TRIGGER IF EXISTS filing_search_delete",
    "DROP TRIGGER IF EXISTS filing_search_insert",
    "DROP TABLE IF EXISTS filing_search",
]
POSTGRES_CREATE = [
    """ALTER TABLE filing_searchentry ADD COLUMN document tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('danish'::regconfig, coalesce(sender, '')), 'A')
           || setweight(to_tsvector('danish'::regconfig, coalesce(label, '')), 'A')
           || setweight(to_tsvector('danish'::regconfig, coalesce(attachments, '')), 'B')
           || setweight(to_tsvector('danish'::regconfig, coalesce(body, '')), 'C')
       ) STORED""",
    "CREATE INDEX filing_search_document ON filing_searchentry USING GIN (document)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS filing_search_document",
    "ALTER TABLE filing_searchentry DROP COLUMN IF EXISTS document",
]


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}.get(connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def index_existing_messages(apps, schema_editor):
    """Every message already in a mailbox gets its entry: sender, subject and attachment names (text from the
    blob store is added for messages filed from now on)."""
    Message = apps.get_model("messaging", "Message")
    Document = apps.get_model("messaging", "Document")
    SearchEntry = apps.get_model("filing", "SearchEntry")
    batch = []
    rows = (Message.objects.filter(content_deleted_at=None)
            .values_list("pk", "mailbox__owner_id", "direction", "sender_label", "label", "authority__name")
            .iterator(chunk_size=2000))
    for pk, owner_id, direction, sender, label, authority in rows:
        names = " ".join(Document.objects.filter(message_id=pk).values_list("filename", flat=True))
        batch.append(SearchEntry(message_id=pk, owner_id=owner_id, owner_key=owner_id.hex,
                                 sender=authority if direction == "TO_AUTHORITY" else sender, label=label,
                                 attachments=names))
        if len(batch) >= 1000:
            SearchEntry.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    SearchEntry.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("filing", "0001_folders_placements_search")]

    operations = [
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(index_existing_messages, migrations.RunPython.noop),
    ]
