"""The background worker sends the unread-message e-mails every minute (common.periodic), so
`make run` needs no cron; `manage.py send_unread_emails` does the same from cron."""

import datetime

from django_tasks import task

from common import periodic

from . import services

EVERY = datetime.timedelta(minutes=1)


@task()
def send_unread_emails_task():
    """Send what is due (notifications.services.send_unread_emails), then schedule the next run, even after a failure."""
    try:
        sent = services.send_unread_emails()
    finally:
        periodic.keep_scheduled(send_unread_emails_task, delay=EVERY)
    return {"sent": sent}


@task()
def push_message_task(message_id):
    """The Web Push notifications of one new message (notifications.push)."""
    from . import push

    return {"delivered": push.push_new_message(message_id)}


def enqueue_push(*, message, **_signal):
    """inbox.signals.message_sent: have the worker push the message, when someone may need it."""
    from . import push

    if push.someone_to_push(message):
        push_message_task.enqueue(message.pk)
