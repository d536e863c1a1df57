"""Finding things again: words in the messages of my conversations (SQLite FTS5 or PostgreSQL full text).

Stands on the inbox: it reads messages and conversations and owns the full-text index over them.
"""
