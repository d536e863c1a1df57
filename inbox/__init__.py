"""Conversations: threads, members, messages, the send path, the socket, who may fetch sent files.

Stands on accounts (who may reach whom) and media (the files a message carries), and tells them
what it needs from them in InboxConfig.ready().
"""
