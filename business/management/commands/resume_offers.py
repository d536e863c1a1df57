from django.core.management.base import BaseCommand

from business import offers


class Command(BaseCommand):
    help = "Enqueue again the delivery of every offer still sending (after a restart); safe to run twice."

    def handle(self, *args, **options):
        self.stdout.write(f"Offers resumed: {offers.resume_unfinished()}.")
