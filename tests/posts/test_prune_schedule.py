"""The background worker prunes expired stories on its own: one self-scheduling job, kept to one."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from posts import services, tasks
from posts.models import Story


def prune_jobs(status=None):
    jobs = DBTaskResult.objects.filter(task_path=tasks.prune_stories_task.module_path)
    return jobs.filter(status=status) if status else jobs


def run_worker_once():
    """What `manage.py db_worker` does, in this process, until nothing is ready (its --batch mode)."""
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test-worker", excluded_queue_names=[]).run()


# The worker commits and closes connections as in production, so these tests commit too.
@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_expired_stories_and_schedules_the_next_run(alice, bob, make_story, follows, stored_files,
                                                                      settings):
    settings.STORY_PRUNE_MINUTES = 7
    expired = make_story(alice, "Old")
    follows(bob, alice)
    _thread, reply = services.reply_to_story(sender=bob, story=expired, body="Nice")
    live = make_story(alice, "New")
    Story.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired_file = expired.attachment.file.name
    assert expired_file in stored_files()
    out = StringIO()
    call_command("schedule_prune_stories", stdout=out)
    assert "scheduled" in out.getvalue()
    before = timezone.now()
    run_worker_once()
    assert list(Story.objects.values_list("pk", flat=True)) == [live.pk]
    done = prune_jobs("SUCCESSFUL").get()
    assert done.return_value == {"stories": 1, "files": 1, "cards": 1}
    reply.refresh_from_db()
    assert reply.card["unavailable"] and reply.card["unavailable_text"] == "This story is no longer available"
    assert expired_file not in stored_files() and live.attachment.file.name in stored_files()
    # The next run waits its turn: the batch worker stopped because nothing else was ready.
    waiting = prune_jobs("READY").get()
    assert before + timedelta(minutes=7) <= waiting.run_after <= timezone.now() + timedelta(minutes=7)


def test_scheduling_again_leaves_one_job_waiting(db):
    assert tasks.keep_story_pruning_scheduled() is True
    out = StringIO()
    call_command("schedule_prune_stories", stdout=out)
    assert "already scheduled" in out.getvalue()
    assert tasks.keep_story_pruning_scheduled(delay=timedelta(minutes=5)) is False
    assert prune_jobs().count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_chains_merge_into_one():
    # Two workers each scheduled a run (say before the lock existed, or a job left "running" by a
    # killed worker next to a new one): the first run to finish sees the other waiting and adds none.
    tasks.keep_story_pruning_scheduled()
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    tasks.prune_stories_task.enqueue()
    assert prune_jobs("READY").count() == 2
    run_worker_once()
    assert prune_jobs("SUCCESSFUL").count() == 2
    assert prune_jobs("READY").count() == 1


def test_a_job_left_running_by_a_killed_worker_does_not_stop_the_schedule(db):
    tasks.keep_story_pruning_scheduled()
    prune_jobs().update(status="RUNNING")
    assert tasks.keep_story_pruning_scheduled() is True
    assert prune_jobs("READY").count() == 1


def test_a_failed_run_still_schedules_the_next(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("storage unreachable")

    monkeypatch.setattr(services, "prune_stories", broken)
    with pytest.raises(RuntimeError):
        tasks.prune_stories_task.call()
    assert prune_jobs("READY").get().run_after > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_two_workers_scheduling_at_once_leave_one_job(monkeypatch):
    import threading
    import time

    from django.db import connection
    from django_tasks_db.backend import DatabaseBackend

    real_enqueue = DatabaseBackend._task_to_db_task

    def slow_enqueue(self, *args, **kwargs):
        time.sleep(0.3)  # between "is one waiting?" and the new row: where two schedulers would race
        return real_enqueue(self, *args, **kwargs)

    monkeypatch.setattr(DatabaseBackend, "_task_to_db_task", slow_enqueue)
    start = threading.Barrier(2)
    results = []

    def schedule():
        try:
            start.wait()
            results.append(tasks.keep_story_pruning_scheduled())
        finally:
            connection.close()

    threads = [threading.Thread(target=schedule) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert prune_jobs("READY").count() == 1
