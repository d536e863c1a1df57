from django.contrib import admin

from .models import BusinessProfile, FeedbackRequest, Label, QuickReply


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "category", "time_zone", "greeting_enabled", "away_enabled"]
    search_fields = ["user__username", "category"]
    raw_id_fields = ["user"]


@admin.register(QuickReply)
class QuickReplyAdmin(admin.ModelAdmin):
    list_display = ["owner", "shortcut", "created"]
    search_fields = ["owner__username", "shortcut"]
    raw_id_fields = ["owner"]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(admin.ModelAdmin):
    list_display = ["business", "customer", "rating", "created", "answered"]
    raw_id_fields = ["business", "customer", "thread"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["owner", "name", "colour"]
    raw_id_fields = ["owner"]
