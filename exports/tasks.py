"""Data exports in the background worker: building one, and deleting expired ones every hour."""

import datetime

from django_tasks import task

from common import periodic

from . import services

PRUNE_EVERY = datetime.timedelta(hours=1)


@task()
def build_export_task(export_id):
    return services.build_export(export_id)


@task()
def prune_exports_task():
    try:
        pruned = services.prune_exports()
    finally:
        periodic.keep_scheduled(prune_exports_task, delay=PRUNE_EVERY)
    return {"pruned": pruned}
