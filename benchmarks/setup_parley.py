"""Prepare a throwaway Parley database for the delivery benchmark and print what the clients need as JSON.

Run by benchmarks.parley_instance in a child process whose environment already points at the throwaway
database (never at a real one): migrate, collect static files when DEBUG is off, then create the users
in 1:1 conversations through inbox.services and log each one in.

    {"cookie_name": "sessionid", "sessions": {username: session key}, "threads": {id: [usernames]},
     "channel_layer": <the layer's backend class path>}
"""

import argparse
import json
import os
import sys


def prepare(usernames):
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    from accounts.models import Profile, User
    from inbox import services

    call_command("migrate", interactive=False, verbosity=0)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)

    users = []
    for username in usernames:
        # No password: hashing one costs ~0.3 s here, and the sockets log in by session cookie.
        user = User.objects.create_user(username=username, email=f"{username}@bench.invalid", password=None)
        Profile.objects.create(user=user, display_name=username.replace("bench", "Bench user "))
        users.append(user)

    threads = {}
    for first, second in zip(users[::2], users[1::2]):
        thread, _ = services.start_thread(creator=first, recipients=[second])
        threads[thread.pk] = [first.username, second.username]

    sessions = {}
    for user in users:
        client = Client()
        client.force_login(user)
        sessions[user.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    connections.close_all()
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "threads": threads,
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("usernames", nargs="+")
    args = parser.parse_args()
    if "PARLEY_BENCH_INSTANCE" not in os.environ:
        sys.exit("setup_parley only runs inside the benchmark's throwaway instance (see benchmarks.delivery).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    json.dump(prepare(args.usernames), sys.stdout)


if __name__ == "__main__":
    main()
