"""Background jobs of the public side (Django's Tasks API through the django-tasks backport; run by
`manage.py db_worker`).

Expired stories are pruned by one job that, once it has run, enqueues the next run for
STORY_PRUNE_MINUTES later: the worker keeps doing it with no cron. django-tasks has no periodic
jobs of its own, so the chain is kept to one waiting job by keep_story_pruning_scheduled, which
every worker start and every run calls; pruning is idempotent, so two runs at once (two workers
that started together) only do the same work twice, and their chains merge into one at the next run.
"""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus

from . import services

# Any fixed number: the PostgreSQL advisory lock that serialises "is a prune job waiting?" and its enqueue.
SCHEDULE_LOCK = 0x5041524C  # "PARL"


@task()
def prune_stories_task():
    """Prune expired stories (posts.services.prune_stories), then schedule the next run, even after a failure."""
    try:
        stories, files, cards = services.prune_stories()
    finally:
        keep_story_pruning_scheduled(delay=datetime.timedelta(minutes=settings.STORY_PRUNE_MINUTES))
    return {"stories": stories, "files": files, "cards": cards}


def keep_story_pruning_scheduled(*, delay=None):
    """Enqueue a prune job to run after `delay` (now when None), unless one is already waiting.

    Returns True when it enqueued one. The check and the enqueue hold a lock (an advisory lock on
    PostgreSQL; on SQLite a write transaction, which Parley begins IMMEDIATE, already excludes the
    others), so several workers starting or finishing a run at once leave one job waiting, not one each.
    A job left "running" by a killed worker does not count: the next start schedules a new one.
    """
    # The database backend's own table: the Tasks API has no way to list waiting jobs.
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    with exclusive_transaction():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULE_LOCK])
        waiting = DBTaskResult.objects.filter(
            task_path=prune_stories_task.module_path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return False
        job = prune_stories_task if delay is None else prune_stories_task.using(run_after=timezone.now() + delay)
        job.enqueue()
    return True
