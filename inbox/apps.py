from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self):
        # The lower apps know nothing of conversations; the inbox tells them what it needs of them.
        from accounts import signals as accounts_signals
        from media import services as media_services

        from . import demo, services, social

        media_services.register_access_rule(services.attachments_in_conversations_of)
        accounts_signals.person_blocked.connect(social.forget_request_of_blocked, dispatch_uid="inbox.blocked")
        accounts_signals.demo_people_created.connect(demo.seed_for_demo_people, dispatch_uid="inbox.demo")
        accounts_signals.account_deleted.connect(services.forget_messages_of, dispatch_uid="inbox.account_deleted")
