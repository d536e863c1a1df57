from django.core.management.base import BaseCommand

from posts.tasks import keep_story_pruning_scheduled


class Command(BaseCommand):
    help = (
        "Have the background worker (manage.py db_worker) prune expired stories now and every "
        "PARLEY_STORY_PRUNE_MINUTES after. Run it when the workers start; safe to run from each of them."
    )

    def handle(self, *args, **options):
        if keep_story_pruning_scheduled():
            self.stdout.write("Story pruning scheduled in the background worker.")
        else:
            self.stdout.write("Story pruning was already scheduled in the background worker.")
