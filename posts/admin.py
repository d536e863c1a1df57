from django.contrib import admin

from .models import Comment, Post, PostPicture, Story, StoryView


class PostPictureInline(admin.TabularInline):
    model = PostPicture
    raw_id_fields = ("attachment",)
    extra = 0


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("pk", "author", "created", "comments_enabled", "pinned_at")
    list_select_related = ("author",)
    search_fields = ("body", "author__username")
    raw_id_fields = ("author",)
    inlines = [PostPictureInline]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("pk", "post", "author", "created")
    list_select_related = ("author", "post")
    search_fields = ("body", "author__username")
    raw_id_fields = ("author", "post")


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("pk", "author", "created", "expires_at")
    list_select_related = ("author",)
    raw_id_fields = ("author", "attachment")


@admin.register(StoryView)
class StoryViewAdmin(admin.ModelAdmin):
    list_display = ("story", "viewer", "created")
    raw_id_fields = ("story", "viewer")
