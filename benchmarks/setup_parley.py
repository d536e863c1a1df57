"""Prepare a throwaway Parley database for the delivery benchmark and print what the clients need as JSON.

Run by benchmarks.parley_instance in a child process whose environment already points at the throwaway
database (never at a real one): migrate, collect static files when DEBUG is off, then create the users
in 1:1 conversations through inbox.services and log each one in.

    {"cookie_name": "sessionid", "sessions": {username: session key}, "threads": {id: [usernames]},
     "channel_layer": <the layer's backend class path>, "idle_sessions": [session key, ...]}

With --idle N it also creates N more people, in no conversation, each with a session written straight
into the session table (the connections benchmark's idle sockets): logging 10,000 people in one by one
through the test client would take minutes.
"""

import argparse
import json
import os
import sys


def idle_sessions(count):
    """count people in no conversation, each logged in by a session row of their own: [session key]."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import User

    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"idle{number:05d}", email=f"idle{number:05d}@bench.invalid", password=unusable)
         for number in range(1, count + 1)],
        batch_size=2000,
    )
    store, expires = SessionStore(), timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # What django.contrib.auth.login() writes into a session.
    backend = settings.AUTHENTICATION_BACKENDS[0]
    sessions = [
        Session(session_key=store._get_new_session_key(), expire_date=expires, session_data=store.encode({
            SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash(),
        }))
        for user in users
    ]
    Session.objects.bulk_create(sessions, batch_size=2000)
    return [session.session_key for session in sessions]


def prepare(usernames, idle=0):
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
    idle_keys = idle_sessions(idle) if idle else []
    connections.close_all()
    return {
        "idle_sessions": idle_keys,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "threads": threads,
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("usernames", nargs="+")
    parser.add_argument("--idle", type=int, default=0, help="people logged in by a session row, in no conversation")
    args = parser.parse_args()
    if "PARLEY_BENCH_INSTANCE" not in os.environ:
        sys.exit("setup_parley only runs inside the benchmark's throwaway instance (see benchmarks.delivery).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    json.dump(prepare(args.usernames, idle=args.idle), sys.stdout)


if __name__ == "__main__":
    main()
