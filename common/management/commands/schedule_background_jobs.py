from django.core.management.base import BaseCommand

from common import periodic


class Command(BaseCommand):
    help = (
        "Start every periodic job of the background worker (manage.py db_worker): pruning expired stories, "
        "e-mails about unread messages... Run it when the workers start; safe to run from each of them."
    )

    def handle(self, *args, **options):
        for name, task in periodic.registered().items():
            started = periodic.keep_scheduled(task)
            self.stdout.write(f"{name.capitalize()}: {'scheduled' if started else 'already scheduled'} in the background worker.")
