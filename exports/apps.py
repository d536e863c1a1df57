from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Data exports"

    def ready(self):
        from accounts import extensions as account_extensions
        from common import periodic

        from . import tasks

        account_extensions.register_settings_link("Your data", "exports:your_data", "data")
        periodic.register("expired data exports", tasks.prune_exports_task)
