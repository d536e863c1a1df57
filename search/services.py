"""Searching the messages of my conversations, the same way on SQLite and on PostgreSQL.

search_messages is the one entry point: the page and any later caller go through it. It finds
words with stemming ("riding" finds "ride"), "quoted phrases" and -excluded words, newest first,
only in conversations the person is in now, and never a message that was removed or is empty
(unsent). Each database answers with its own full-text engine (FTS5 with the Porter stemmer;
PostgreSQL's english configuration with websearch_to_tsquery over a GIN index) behind the same
query language, so the same data gives the same results.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from common.errors import Refused
from inbox.models import HiddenMessage, MAX_ID, Message, Participant

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Words neither engine should decide on alone: PostgreSQL drops them from documents and queries,
# FTS5 keeps them. Leaving them out of every query keeps both answers the same.
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with i me my we our you your he him his she her them what which who whom am been being have "
    "has had do does did so than too very can just".split()
)
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
WORD = re.compile(r"\w+", re.UNICODE)
# Marks the engines put around a match, turned into <mark> after escaping the text.
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_WORDS = 24


@dataclass(frozen=True)
class Term:
    words: tuple
    excluded: bool = False

    @property
    def is_phrase(self):
        return len(self.words) > 1


@dataclass
class Result:
    message: Message
    snippet: str
    # The conversation's other members, for its title ("Bob Okafor and Carol Diaz").
    others: list

    @property
    def jump_url(self):
        url = reverse("inbox:thread", args=[self.message.thread_id])
        return f"{url}?at={self.message.seq}#message-{self.message.pk}"


def parse_query(text):
    """The terms of a search box's text: words, "quoted phrases" and -excluded ones, lower-cased,
    stop words left out. Refused("bad_request") when the text is too long; [] when nothing is left."""
    if not isinstance(text, str):
        raise Refused("bad_request", "Search for some words.")
    text = text.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise Refused("bad_request", f"Search for at most {MAX_QUERY_LENGTH} characters.")
    terms = []
    for match in TERM.finditer(text):
        quoted_minus, quoted, minus, bare = match.groups()
        words = tuple(word.lower() for word in WORD.findall(quoted if quoted is not None else bare))
        if quoted is None:
            words = tuple(word for word in words if word not in STOP_WORDS)
            # "don't" or "e-mail" are one word to the person, several to the engines: a phrase.
        elif all(word in STOP_WORDS for word in words):
            words = ()
        if words:
            terms.append(Term(words=words, excluded=bool(quoted_minus if quoted is not None else minus)))
    return terms[:MAX_TERMS]


def fts5_query(terms):
    """FTS5 MATCH syntax: every word or phrase in double quotes (so nothing is read as an operator)."""
    quoted = {term: '"' + " ".join(term.words) + '"' for term in terms}
    wanted = " ".join(quoted[term] for term in terms if not term.excluded)
    # "a NOT b NOT c" reads as (a NOT b) NOT c: any excluded word leaves the message out.
    return f"({wanted})" + "".join(f" NOT {quoted[term]}" for term in terms if term.excluded)


def websearch_query(terms):
    """websearch_to_tsquery syntax for the same terms: plain words, "phrases" and -words."""
    parts = []
    for term in terms:
        text = " ".join(term.words)
        if term.is_phrase:
            text = f'"{text}"'
        parts.append(f"-{text}" if term.excluded else text)
    return " ".join(parts)


def search_messages(*, user, query, thread_id=None, sender_id=None, with_files=False, before_id=None, limit=PAGE_SIZE):
    """The messages of user's current conversations matching query, newest first: (results, more).

    Filters: one conversation (thread_id), one sender (sender_id), only messages with files.
    before_id pages on (results of the next page have smaller ids). Two queries whatever the
    number of messages: the matching ids with their snippets, then the messages with their
    conversation and sender, then those conversations' members. Nothing is found for a query of only excluded or stop words.
    """
    if not user.is_authenticated:
        return [], False
    terms = parse_query(query)
    if not any(not term.excluded for term in terms):
        return [], False
    for value in (thread_id, sender_id, before_id):
        if value is not None and (type(value) is not int or not 1 <= value <= MAX_ID):
            raise Refused("bad_request", "That filter is not one of your conversations or people.")
    if connection.vendor == "postgresql":
        rows = _postgresql_matches(user, terms, thread_id, sender_id, with_files, before_id, limit + 1)
    else:
        rows = _sqlite_matches(user, terms, thread_id, sender_id, with_files, before_id, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    members = Participant.objects.select_related("user__profile").order_by("joined", "pk")
    messages = (
        Message.objects.select_related("thread", "sender__profile")
        .prefetch_related(Prefetch("thread__participants", queryset=members, to_attr="members"))
        .in_bulk([row[0] for row in rows])
    )
    results = [
        Result(message=messages[pk], snippet=_marked(snippet), others=[
            member for member in messages[pk].thread.members if member.user_id != user.pk
        ])
        for pk, snippet in rows if pk in messages
    ]
    return results, more


def _filters(thread_id, sender_id, with_files, before_id, params):
    # Never what its sender unsent (its body is wiped anyway) nor what this person deleted for themselves.
    clauses = [
        "m.unsent_at IS NULL",
        f"NOT EXISTS (SELECT 1 FROM {HiddenMessage._meta.db_table} h WHERE h.message_id = m.id AND h.user_id = %(user)s)",
    ]
    if thread_id is not None:
        clauses.append("m.thread_id = %(thread)s")
        params["thread"] = thread_id
    if sender_id is not None:
        clauses.append("m.sender_id = %(sender)s")
        params["sender"] = sender_id
    if before_id is not None:
        clauses.append("m.id < %(before)s")
        params["before"] = before_id
    if with_files:
        clauses.append("EXISTS (SELECT 1 FROM media_attachment a WHERE a.message_id = m.id)")
    return "".join(f" AND {clause}" for clause in clauses)


# A member's conversations: removed members and people who left have no row (Participant), so
# they find nothing in them any more.
MEMBER_THREADS = "SELECT p.thread_id FROM {member} p WHERE p.user_id = %(user)s"


def _sqlite_matches(user, terms, thread_id, sender_id, with_files, before_id, limit):
    params = {"match": fts5_query(terms), "user": user.pk, "limit": limit, "start": MARK_START, "end": MARK_END,
              "words": SNIPPET_WORDS}
    sql = (
        "SELECT m.id, snippet(search_message_fts, 0, %(start)s, %(end)s, '…', %(words)s) "
        "FROM search_message_fts f JOIN inbox_message m ON m.id = f.rowid "
        "WHERE search_message_fts MATCH %(match)s AND m.kind = 'text' AND m.body <> '' AND m.removed_at IS NULL "
        f"AND m.thread_id IN ({MEMBER_THREADS.format(member=Participant._meta.db_table)})"
        + _filters(thread_id, sender_id, with_files, before_id, params)
        + " ORDER BY f.rowid DESC LIMIT %(limit)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _postgresql_matches(user, terms, thread_id, sender_id, with_files, before_id, limit):
    # search_words: the stored tsvector of the body (search/migrations/0002), with its GIN index.
    params = {"query": websearch_query(terms), "user": user.pk, "limit": limit,
              "options": f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=8, MaxFragments=1"}
    sql = (
        "SELECT found.id, ts_headline('english'::regconfig, found.body, websearch_to_tsquery('english'::regconfig, %(query)s), %(options)s) "
        "FROM (SELECT m.id, m.body FROM inbox_message m "
        "WHERE m.search_words @@ websearch_to_tsquery('english'::regconfig, %(query)s) "
        "AND m.kind = 'text' AND m.body <> '' AND m.removed_at IS NULL "
        f"AND m.thread_id IN ({MEMBER_THREADS.format(member=Participant._meta.db_table)})"
        + _filters(thread_id, sender_id, with_files, before_id, params)
        + " ORDER BY m.id DESC LIMIT %(limit)s) found ORDER BY found.id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marked(snippet):
    """The engine's snippet, escaped, with its match marks as <mark> (never the text's own HTML)."""
    text = escape(snippet or "")
    return mark_safe(text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
