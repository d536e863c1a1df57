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
from django_tasks import task

from common import periodic

from . import services


@task()
def prune_stories_task():
    """Prune expired stories (posts.services.prune_stories), then schedule the next run, even after a failure."""
    try:
        stories, files, cards = services.prune_stories()
    finally:
        keep_story_pruning_scheduled(delay=datetime.timedelta(minutes=settings.STORY_PRUNE_MINUTES))
    return {"stories": stories, "files": files, "cards": cards}


def keep_story_pruning_scheduled(*, delay=None):
    """Enqueue a prune job to run after `delay` (now when None), unless one is already waiting (common.periodic)."""
    return periodic.keep_scheduled(prune_stories_task, delay=delay)
