"""Signals the inbox sends so that the apps above it can react without the inbox knowing them."""

from django.dispatch import Signal

# Sent after the commit that stored a new message written by a person (send_message, created=True),
# with message: the stored Message (sender loaded). Never for a retry or a system line; a receiver
# that writes goes through inbox.services itself.
message_sent = Signal()
