from django.core.management.base import BaseCommand

from posts import services


class Command(BaseCommand):
    help = (
        "Delete expired stories and their files; cards quoting them in conversations say the story is "
        "no longer available. Safe to run repeatedly, e.g. every few minutes from cron."
    )

    def handle(self, *args, **options):
        stories, files, cards = services.prune_stories()
        self.stdout.write(
            f"Pruned {stories} expired stor{'ies' if stories != 1 else 'y'}: {files} file{'s' if files != 1 else ''} "
            f"deleted, {cards} card{'s' if cards != 1 else ''} marked no longer available."
        )
