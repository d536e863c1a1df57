from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from accounts import extensions as account_extensions

        account_extensions.register_settings_link("E-mail", "notifications:email_settings", "email")
