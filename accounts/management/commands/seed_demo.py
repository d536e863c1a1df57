import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, create_demo_people, demo_usernames
from accounts.models import User
from accounts.signals import demo_people_created


def scale_factor(text):
    try:
        factor = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < factor <= 1:
        raise argparse.ArgumentTypeError("the scale factor must be above 0 and at most 1")
    return factor


class Command(BaseCommand):
    help = (
        "Create a small demo world of people and brands (idempotent). Every demo account's password is "
        f"'{DEMO_PASSWORD}', so this refuses to run with PARLEY_DEBUG off unless --allow-production is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any account exists (used by `make run`)."
        )
        parser.add_argument(
            "--allow-production", action="store_true", help="Seed even with DEBUG off (the password is public)."
        )
        parser.add_argument(
            "--scale", type=scale_factor, nargs="?", const=1.0, default=None, metavar="FACTOR",
            help="Also build a big site's worth of conversations for the benchmarks: 1,000,000 messages at 1 "
                 "(the default), fewer at a smaller factor such as 0.01. Takes minutes at 1.",
        )

    def handle(self, *args, if_empty=False, allow_production=False, scale=None, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("Accounts already exist, so no demo data was added.")
            self.print_logins(User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True))
            return
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                f"Demo accounts share the public password '{DEMO_PASSWORD}': refusing to create them with "
                "PARLEY_DEBUG off. Pass --allow-production if this really is a throwaway site."
            )
        people = create_demo_people()
        # The other apps' demo data (conversations, ...) builds on the same people; each says what it added.
        for _receiver, summary in demo_people_created.send(sender=self.__class__, people=people, scale=scale):
            if summary:
                self.stdout.write(summary)
        self.print_logins(people)

    def print_logins(self, usernames):
        ordered = [username for username in demo_usernames() if username in set(usernames)]
        if ordered:
            self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}): {', '.join(ordered)}")
