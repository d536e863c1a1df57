from datetime import timedelta

from django.core.management.base import BaseCommand

from media import services
from media.images import describe_bytes


class Command(BaseCommand):
    help = (
        "Remove uploads never attached to a sent message once they are older than --hours (24 by default), "
        "and stored files no attachment points at. Safe to run repeatedly, e.g. hourly from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24, help="Age after which an unsent upload goes (default 24).")

    def handle(self, *args, hours, **options):
        age = timedelta(hours=hours)
        removed = services.prune_unsent_uploads(older_than=age)
        for attachment in removed:
            # Metadata only: the file name is the sender's private display text.
            self.stdout.write(
                f"Removed unsent upload {attachment.pk}: {attachment.kind}, {describe_bytes(attachment.size)}, "
                f"by {attachment.owner.username}, uploaded {attachment.created:%Y-%m-%d %H:%M} UTC"
            )
        orphans = services.prune_orphan_files(older_than=age)
        for name in orphans:
            self.stdout.write(f"Removed stored file without an attachment: {name}")
        total = sum(attachment.size for attachment in removed)
        self.stdout.write(
            f"Pruned {len(removed)} unsent upload{'s' if len(removed) != 1 else ''} ({describe_bytes(total)}) "
            f"and {len(orphans)} orphaned file{'s' if len(orphans) != 1 else ''}."
        )
