"""Posts fixtures: pictures from tests.media.samples, posts and stories made through posts.services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.media import samples


def picture(name="photo.jpg", **options):
    return SimpleUploadedFile(name, samples.jpeg(**options), content_type="image/jpeg")


@pytest.fixture
def stored_files(isolated_storage):
    """The names of every file in the test's upload folder."""

    def files():
        return sorted(str(path.relative_to(isolated_storage)) for path in isolated_storage.rglob("*") if path.is_file())

    return files


@pytest.fixture
def make_post(db):
    from posts import services

    def make(author, body="Hello from the lake", pictures=()):
        return services.create_post(author=author, body=body, uploaded_files=list(pictures))

    return make


@pytest.fixture
def make_story(db):
    from posts import services

    def make(author, caption="Sunrise"):
        return services.create_story(author=author, uploaded_file=picture("story.jpg", size=(90, 160)), caption=caption)

    return make


@pytest.fixture
def follows(db):
    from accounts import services

    def follow(follower, followed):
        services.follow(follower=follower, followed=followed)

    return follow
