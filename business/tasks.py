"""Background jobs (Django's Tasks API through the django-tasks backport; run by `manage.py db_worker`)."""

from django_tasks import task

from . import offers


@task()
def deliver_offer_task(offer_id):
    """Deliver an offer to its waiting recipients (business.offers.deliver_offer): safe to run twice."""
    return offers.deliver_offer(offer_id)
