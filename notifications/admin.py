from django.contrib import admin

from .models import EmailSettings


@admin.register(EmailSettings)
class EmailSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "mode", "include_text")
    list_filter = ("mode", "include_text")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
