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
