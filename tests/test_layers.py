"""The apps stand on floors and only import downwards; .importlinter says which floors there are."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ["config", "posts", "business", "moderation", "search", "notifications", "inbox", "accounts", "media", "common"]

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed (make test installs it)")


def lint_imports(folder):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120
    )


def test_no_app_imports_an_app_above_it():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def copy_of_the_project(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "named"),
    [
        # Even an import inside a function counts: it ties the floors together all the same.
        ("media/services.py", "def _later():\n    from inbox.models import Message\n", "media.services -> inbox.models"),
        ("accounts/views.py", "from moderation import services as moderation\n", "accounts.views -> moderation.services"),
        ("common/errors.py", "import accounts.models\n", "common.errors -> accounts.models"),
        ("inbox/social.py", "from inbox import services\n", "inbox.social -> inbox.services"),
    ],
)
def test_an_import_running_back_up_fails_and_is_named(tmp_path, module, line, named):
    project = copy_of_the_project(tmp_path)
    with open(project / module, "a") as source:
        source.write("\n\n" + line)
    result = lint_imports(project)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert named in result.stdout, result.stdout
