from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from accounts import extensions as account_extensions
        from common import periodic

        from . import tasks

        account_extensions.register_settings_link("E-mail", "notifications:email_settings", "email")
        periodic.register("unread e-mails", tasks.send_unread_emails_task)
