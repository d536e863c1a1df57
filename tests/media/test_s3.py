"""Attachments on an S3-compatible bucket (a local moto server on loopback).

Objects are private under random keys; after the same access check as on local storage, the
download view redirects to a presigned URL valid for five minutes at most. moto checks neither
signatures nor expiry, so the tests check those properties of the URL, that it fetches the file,
and that the same object without a signature is refused (moto does refuse anonymous reads of
private objects, with 403).
"""

import io
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from media import services
from media.models import Attachment
from tests.media import samples

ACCESS_KEY, SECRET_KEY, REGION = "parley-test-key", "parley-test-secret", "us-east-1"


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    # Its default listens on every interface: loopback only.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_endpoint, settings, monkeypatch):
    """A fresh private bucket, and STORAGES["default"] on it with config/settings.py's S3 options."""
    import boto3
    from botocore.config import Config

    # Fake credentials only, and never the cloud metadata address.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable, raising=False)
    name = f"parley-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": moto_endpoint,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "region_name": REGION,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    client.bucket = name
    return client


def object_keys(bucket):
    return sorted(item["Key"] for item in bucket.list_objects_v2(Bucket=bucket.bucket).get("Contents", []))


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_uploads_land_in_the_bucket_as_private_objects_under_random_keys(bucket, alice):
    response = client_for(alice).post("/media/upload/", {"file": io.BytesIO(samples.pdf())})
    assert response.status_code == 201, response.content

    attachment = Attachment.objects.get()
    assert object_keys(bucket) == [attachment.file.name]
    assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".pdf")
    grants = bucket.get_object_acl(Bucket=bucket.bucket, Key=attachment.file.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all(grant["Grantee"]["Type"] == "CanonicalUser" for grant in grants)
    stored = bucket.get_object(Bucket=bucket.bucket, Key=attachment.file.name)["Body"].read()
    assert stored == samples.pdf()


def test_the_download_redirects_to_a_presigned_url_of_at_most_five_minutes_that_fetches_the_file(
    bucket, upload, alice
):
    document = upload(alice, "Résumé.pdf", samples.pdf())

    response = client_for(alice).get(f"/media/{document.pk}/")

    assert response.status_code == 302
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["X-Amz-Signature"][0]
    status, headers, body = fetch(location)
    assert (status, body) == (200, samples.pdf())
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == "attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf"


def test_the_same_object_without_a_signature_is_refused(bucket, upload, alice):
    document = upload(alice, "report.pdf", samples.pdf())
    location = client_for(alice).get(f"/media/{document.pk}/")["Location"]
    scheme, netloc, path, _query, _fragment = urlsplit(location)

    status, _headers, body = fetch(f"{scheme}://{netloc}{path}")

    assert status == 403
    assert samples.pdf() not in body


def test_pictures_and_thumbnails_redirect_with_inline_types(bucket, upload, alice):
    photo = upload(alice, "wide.jpg", samples.jpeg(size=(1600, 900)))
    client = client_for(alice)

    picture = fetch(client.get(f"/media/{photo.pk}/")["Location"])
    thumbnail = fetch(client.get(f"/media/{photo.pk}/thumbnail/")["Location"])

    assert picture[1]["Content-Type"] == "image/jpeg"
    assert picture[1]["Content-Disposition"] == 'inline; filename="wide.jpg"'
    assert thumbnail[1]["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(thumbnail[2])).size == (480, 270)
    assert len(object_keys(bucket)) == 2


def test_access_on_s3_is_checked_exactly_as_on_local_storage(bucket, upload, conversation, send, alice, bob, carol):
    photo = upload(alice, "a.jpg", samples.jpeg())
    assert client_for(bob).get(f"/media/{photo.pk}/").status_code == 404

    send(alice, conversation, attachments=[photo])

    assert client_for(alice).get(f"/media/{photo.pk}/").status_code == 302
    assert client_for(bob).get(f"/media/{photo.pk}/").status_code == 302
    for outsider in (carol, None):
        for url in (f"/media/{photo.pk}/", f"/media/{photo.pk}/thumbnail/", f"/media/{photo.pk + 1}/"):
            response = client_for(outsider).get(url)
            assert response.status_code == 404
            assert "Location" not in response


def test_a_removed_member_gets_no_presigned_url(bucket, make_thread, upload, send, alice, bob, dave):
    from inbox.services import remove_participant

    group = make_thread(alice, bob, dave, name="Trip")
    photo = upload(alice, "a.jpg", samples.jpeg())
    send(alice, group, attachments=[photo])
    remove_participant(user=alice, thread=group, member=dave)

    assert client_for(dave).get(f"/media/{photo.pk}/").status_code == 404


def test_refused_uploads_leave_nothing_in_the_bucket(bucket, alice):
    response = client_for(alice).post("/media/upload/", {"file": io.BytesIO(samples.png_bomb())})

    assert response.status_code == 400
    assert Attachment.objects.count() == 0
    assert object_keys(bucket) == []


def test_pruning_and_deleting_remove_objects_from_the_bucket(
    bucket, upload, conversation, send, alice, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    abandoned = upload(alice, "a.pdf", samples.pdf())
    sent = upload(alice, "b.pdf", samples.pdf())
    message = send(alice, conversation, attachments=[sent])
    Attachment.objects.filter(pk=abandoned.pk).update(created=timezone.now() - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        services.prune_unsent_uploads()
    assert object_keys(bucket) == [sent.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_files_of(Attachment.objects.filter(message=message))
        message.delete()
    assert object_keys(bucket) == []


def test_the_storage_in_use_is_the_bucket(bucket):
    assert default_storage.bucket_name == bucket.bucket
