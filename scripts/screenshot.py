"""Make docs/screenshot.png, the README's picture: a believable conversation, captured by the real browser.

    .venv/bin/python scripts/screenshot.py [--output docs/screenshot.png] [--width 1280 --height 800]

Never touches your own data: it migrates a throwaway SQLite database in a temporary folder, seeds the
demo people and a few conversations through inbox.services, serves them with daphne on a free
loopback port, and drives Chromium (CHROMIUM_PATH or the PATH) as alice while bob, in a second browser
context, reads her last message and starts typing, so "Seen" and the typing indicator are real.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 300_000

# (minutes ago, sender, body) for the conversation on show; alice is the viewer.
CONVERSATION = [
    (52, "bob", "Morning! Still up for the river loop on Saturday?"),
    (50, "alice", "Yes! I've been looking forward to it all week"),
    (49, "alice", "9:00 at the old bridge?"),
    (47, "bob", "Perfect. I'll bring the spare tubes this time 😅"),
    (46, "bob", "Carol asked if she can join. She's got a new gravel bike and wants to try it out"),
    (31, "alice", "The more the merrier. Let's keep the pace easy for the first hour then"),
    (30, "alice", "Route idea:\n• along the river to Millbrook (32 km)\n• coffee at Northwind\n• back over the hill"),
    (12, "bob", "Love it. Forecast says sunny, 18°C"),
    (4, "alice", "Great, see you both at 9! I'll book a table for three"),
]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed():
    """The demo people and conversations, at plausible times. Returns the conversation to show."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.demo import create_demo_people
    from inbox import services
    from inbox.models import Message, Thread

    call_command("migrate", verbosity=0)
    people = create_demo_people()
    now = timezone.now()

    def conversation(creator, others, lines, *, name=""):
        thread, _created = services.start_thread(creator=people[creator], recipients=[people[o] for o in others], name=name)
        for minutes_ago, sender, body in lines:
            message, _created = services.send_message(sender=people[sender], thread=thread, body=body)
            # Only the ORM can give a message an earlier time; the services always use now.
            Message.objects.filter(pk=message.pk).update(created=now - timedelta(minutes=minutes_ago))
        newest = thread.messages.order_by("-seq").first()
        Thread.objects.filter(pk=thread.pk).update(last_message_at=newest.created)
        thread.messages.filter(kind="system").update(created=now - timedelta(minutes=lines[0][0] + 1))
        return thread

    conversation("spokehouse", ["alice"], [(3 * 24 * 60, "spokehouse", "Your bike is ready for pickup: new chain and brake pads.")])
    conversation("northwind", ["alice"], [
        (26 * 60, "alice", "Do you have the Ethiopia Guji in 250 g bags?"),
        (25 * 60, "northwind", "We do! Roasted this morning, we'll keep one aside for you."),
    ])
    conversation("dan", ["alice"], [(90, "dan", "Sent you the photos from the market"), (88, "alice", "They're gorgeous, thank you!")])
    shown = conversation("alice", ["bob"], CONVERSATION)
    conversation("carol", ["alice", "dan"], [
        (20, "carol", "Tomatoes are finally ripe!"),
        (7, "dan", "Saving a basket for the Saturday crew?"),
        (2, "carol", "Already picked. Come by after your ride"),
    ], name="Garden crew")
    return shown


def wait_until_serving(url, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne stopped (exit code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"daphne did not answer at {url} within {timeout} s")


def capture(base, thread_id, output, width, height):
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path

    path = chromium_path()
    if not path:
        raise SystemExit("Chromium not found: set CHROMIUM_PATH or apt-get install chromium")
    url = f"/inbox/{thread_id}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        pages = {}
        for username in ("alice", "bob"):
            context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB", timezone_id="UTC")
            page = context.new_page()
            page.goto(f"{base}/accounts/login/?next={url}")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill("parley-demo")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"**{url}")
            page.wait_for_function("() => Boolean(window.parleyInbox && window.parleyInbox.connected)")
            pages[username] = page
        alice, bob = pages["alice"], pages["bob"]
        expect(alice.locator("[data-receipt]")).to_have_text("Seen")
        bob.get_by_label("Message").press_sequentially("Booked the", delay=40)
        expect(alice.locator("[data-typing]")).to_have_text("Bob Okafor is typing…")
        alice.get_by_label("Message").blur()
        alice.screenshot(path=str(output))
        browser.close()


def shrink(output):
    """Quantise to 256 colours if the PNG is too heavy for the README (flat UI colours survive it well)."""
    if output.stat().st_size <= MAX_BYTES:
        return
    from PIL import Image

    with Image.open(output) as picture:
        picture.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(output, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    arguments = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="parley-screenshot-")
    environment = {
        **os.environ,
        "PARLEY_DATA_DIR": data_dir,
        "PARLEY_DEBUG": "true",
        "PARLEY_SEND_RATE_PER_MINUTE": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    # SQLite, the in-memory channel layer and local uploads: nothing outside the temporary folder.
    for variable in ("DATABASE_URL", "REDIS_URL", "PARLEY_S3_BUCKET", "PARLEY_UPLOAD_ROOT"):
        environment.pop(variable, None)
    os.environ.clear()
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    thread = seed()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        # localhost, not 127.0.0.1: a secure context, where crypto.randomUUID exists.
        base = f"http://localhost:{port}"
        wait_until_serving(f"{base}/accounts/login/", server)
        arguments.output.parent.mkdir(parents=True, exist_ok=True)
        capture(base, thread.pk, arguments.output, arguments.width, arguments.height)
    finally:
        server.terminate()
        server.wait(timeout=10)
    shrink(arguments.output)
    print(f"{arguments.output} ({arguments.output.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
