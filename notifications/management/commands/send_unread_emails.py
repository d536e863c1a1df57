from datetime import timedelta

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = (
        "E-mail people about messages still unread after a delay (PARLEY_UNREAD_EMAIL_DELAY_MINUTES, 15). "
        "Safe to run from cron every minute and in parallel: each message is e-mailed at most once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delay", type=int, help="Minutes a message stays unread before it is e-mailed about.")

    def handle(self, *args, delay=None, **options):
        sent = services.send_unread_emails(delay=None if delay is None else timedelta(minutes=delay))
        self.stdout.write(f"{sent} e-mail{'s' if sent != 1 else ''} sent.")
