"""People: accounts, sign-in, profiles and avatars, follows, blocks, mutes, privacy settings.

Stands on media (avatars) and knows nothing of conversations. What apps above it must do when
something happens here (a block, the demo people) they learn from accounts.signals.
"""
