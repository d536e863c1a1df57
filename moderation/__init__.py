"""Reports of messages, conversations and people, with their evidence; staff decisions and the access log.

Stands on the inbox, accounts and media; nothing below imports it.
"""
