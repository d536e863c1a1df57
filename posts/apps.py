from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts and stories"

    def ready(self):
        # media knows nothing of posts: the public side tells it whose files it uses and who may see them.
        from accounts import signals as accounts_signals
        from common import periodic
        from media import services as media_services
        from moderation import services as moderation_services

        from . import demo, services, tasks

        periodic.register("story pruning", tasks.prune_stories_task)

        media_services.register_access_rule(services.pictures_visible_to, anonymous=True)
        media_services.register_access_rule(services.story_files_visible_to)
        media_services.register_claim_rule(services.claimed_uploads)
        moderation_services.register_content_remover("post", services.remove_reported_post)
        moderation_services.register_content_remover("comment", services.remove_reported_comment)
        moderation_services.register_content_remover("story", services.remove_reported_story)
        accounts_signals.demo_people_created.connect(demo.seed_for_demo_people, dispatch_uid="posts.demo")
