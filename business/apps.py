from django.apps import AppConfig


class BusinessConfig(AppConfig):
    name = "business"
    verbose_name = "Business tools"

    def ready(self):
        # The apps below know nothing of brands; business adds its parts to their pages and listens.
        from django.contrib.auth.signals import user_logged_in

        from accounts import extensions as account_extensions
        from accounts import signals as accounts_signals
        from inbox import extensions as inbox_extensions
        from inbox import signals as inbox_signals
        from media import services as media_services

        from . import demo, offers, services, views

        account_extensions.register_settings_link("Quick replies", "business:quick_replies", "quick_replies")
        account_extensions.register_settings_link("Business", "business:settings", "business")
        account_extensions.register_profile_part(views.profile_part)
        inbox_extensions.register_thread_page_template("business/_thread_tools.html")
        inbox_extensions.register_inbox_list_template("business/_inbox_folders.html")
        inbox_signals.message_sent.connect(services.answer_automatically, dispatch_uid="business.automatic_reply")
        inbox_signals.message_sent.connect(offers.stop_when_asked, dispatch_uid="business.offers_stop")
        # media knows nothing of offers: the recipients of one may fetch its picture, kept while the offer is.
        media_services.register_access_rule(offers.pictures_visible_to)
        media_services.register_claim_rule(offers.claimed_pictures)
        user_logged_in.connect(views.remember_business_on_login, dispatch_uid="business.login")
        accounts_signals.demo_people_created.connect(demo.seed_for_demo_people, dispatch_uid="business.demo")
