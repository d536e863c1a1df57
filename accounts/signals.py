"""Signals accounts sends so that the apps above it can react without accounts knowing them."""

from django.dispatch import Signal

# Sent inside block()'s transaction, after the block is stored, with blocker_id and blocked_id:
# a receiver's writes commit or roll back with the block itself.
person_blocked = Signal()

# Sent by `manage.py seed_demo` once the demo people exist, with people: {username: User} and
# scale: None, or the factor of `--scale` (0 < scale <= 1; 1 is a big site's size, see inbox.scale).
# Each receiver adds its app's demo data on the same people and returns a one-line summary
# the command prints. Receivers must be idempotent: the command is safe to repeat.
demo_people_created = Signal()
