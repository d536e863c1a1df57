"""The custom user model, production settings and the friendly error pages."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from accounts.models import User

ROOT = Path(__file__).resolve().parents[2]


def test_the_user_model_is_parleys_own():
    assert get_user_model() is User
    assert User._meta.label == "accounts.User"


def test_the_first_accounts_migration_creates_the_user_model():
    from accounts.migrations import __path__ as migrations_path
    from importlib import import_module

    first = sorted(name for name in os.listdir(migrations_path[0]) if name[:4].isdigit())[0]
    migration = import_module(f"accounts.migrations.{first[:-3]}").Migration
    created = [operation.name for operation in migration.operations if operation.__class__.__name__ == "CreateModel"]
    assert first.startswith("0001_")
    assert "User" in created


def manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PARLEY_DEBUG")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "PARLEY_DEBUG": "0",
    "PARLEY_SECRET_KEY": secrets.token_urlsafe(64),
    "PARLEY_ALLOWED_HOSTS": "parley.example.com",
}


def test_deploy_check_is_clean_with_the_production_variables():
    result = manage("check", "--deploy", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION, "PARLEY_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "PARLEY_SECRET_KEY must be set when PARLEY_DEBUG is off." in result.stderr


def test_production_refuses_to_start_with_any_host_allowed():
    result = manage("check", **{**PRODUCTION, "PARLEY_ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "PARLEY_ALLOWED_HOSTS must name the site's hosts, not '*'." in result.stderr


@pytest.mark.django_db
def test_a_missing_page_shows_the_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert "Back to Parley" in html


def test_the_asgi_application_keeps_startup_objects_out_of_full_collections():
    """config.asgi freezes what startup loaded, so a busy daphne's full GC passes stay short."""
    code = "import gc, config.asgi; print(gc.get_freeze_count())"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    finished = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env,
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert int(finished.stdout) > 10_000
