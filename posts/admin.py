"""Staff see posts, comments and stories here, read-only: they act on them through the moderation
queue (a report's "Remove it for everyone"), so removals always mark the cards and delete the files."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import Comment, Post, PostPicture, Story, StoryView


class PostPictureInline(admin.TabularInline):
    model = PostPicture
    fields = ("position", "attachment")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("pk", "author", "created", "comments_enabled", "pinned_at")
    list_select_related = ("author",)
    search_fields = ("body", "author__username")
    inlines = [PostPictureInline]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("pk", "post", "author", "created")
    list_select_related = ("author", "post")
    search_fields = ("body", "author__username")


@admin.register(Story)
class StoryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "author", "created", "expires_at")
    list_select_related = ("author",)


@admin.register(StoryView)
class StoryViewAdmin(ReadOnlyAdmin):
    list_display = ("story", "viewer", "created")
    list_select_related = ("story", "viewer")
