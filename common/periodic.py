"""Jobs the background worker (manage.py db_worker) runs again and again, without cron.

django-tasks has no periodic jobs of its own: a periodic job enqueues its own next run when it has
run (even after a failure), and keep_scheduled keeps the chain to one waiting job however many
workers start at once. Apps register theirs (register) and `manage.py schedule_background_jobs`,
run by `make run` when the worker starts, starts every chain.
"""

from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus

# Any fixed number: the PostgreSQL advisory lock that serialises "is a job waiting?" and its enqueue.
SCHEDULE_LOCK = 0x5041524C  # "PARL"

_registered = {}


def register(name, task):
    """A periodic job the worker should keep running: its task (which calls keep_scheduled when it is done)."""
    _registered[name] = task


def registered():
    return dict(_registered)


def keep_scheduled(task, *, delay=None):
    """Enqueue task to run after `delay` (now when None), unless a run of it is already waiting.

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
        if DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).exists():
            return False
        job = task if delay is None else task.using(run_after=timezone.now() + delay)
        job.enqueue()
    return True
