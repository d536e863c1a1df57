"""A throwaway Parley served by ONE daphne process on loopback, and the same for the raw fan-out server.

Parley's instance gets a temporary data folder: a fresh SQLite database by default, or a database of its own
(`parley_bench_<pid>`, created and dropped here) on the PostgreSQL server of DATABASE_URL. The database named
in DATABASE_URL itself is never touched. With the Redis layer, its keys carry a prefix of their own and are
deleted afterwards. Everything runs production-like: DEBUG off, a random secret, static files collected.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, log_path, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}:\n{tail(log_path)}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on port {port} within {timeout:.0f} s:\n{tail(log_path)}")


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cpu_plan(pin):
    """Which CPU the server under test runs on, and which the load generator gets: (server CPU, client CPUs).

    (None, None) when pin is off or the machine cannot pin (not Linux, or a single CPU allowed). The
    server gets the last CPU allowed to this process and the client all the others, so the two never
    compete for a core and the server's threads never migrate (see docs/performance.md, "Pinning").
    """
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[-1], allowed[:-1]


def pin_process(pid, cpu):
    """Pin every thread a process has now to one CPU (threads it starts later inherit it), like taskset -a -p."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(task.name), {cpu})


@contextlib.contextmanager
def server_process(command, env, log_path, port, cpu=None):
    """Start a server (on one CPU when cpu is set), wait until it listens, and always stop it (SIGTERM, then SIGKILL)."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if cpu is not None:
            pin_process(process.pid, cpu)  # before it starts any thread of its own ...
        wait_for_port(port, process, log_path)
        if cpu is not None:
            pin_process(process.pid, cpu)  # ... and again, in case one started first
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def raw_server(threads, workdir, cpu=None):
    """The raw fan-out server as its own process, so it has a core to itself like daphne does."""
    members_path = Path(workdir) / "members.json"
    members_path.write_text(json.dumps(threads))
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.raw_server", "--port", str(port), "--members", str(members_path)]
    with server_process(command, dict(os.environ), Path(workdir) / "raw-server.log", port, cpu) as process:
        yield {"url": f"ws://{LOOPBACK}:{port}", "pid": process.pid}


def bench_database_url(database_url, name):
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def postgres_database(database_url):
    """A database of the benchmark's own on the server of DATABASE_URL, dropped afterwards."""
    import psycopg

    name = f"parley_bench_{os.getpid()}"
    maintenance = bench_database_url(database_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield bench_database_url(database_url, name)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_flush_count(redis_url):
    """FLUSHDB + FLUSHALL calls the Redis server has seen: another client's flush wipes the layer's groups."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("flushdb", "flushall"))


def delete_redis_keys(redis_url, prefix):
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextlib.contextmanager
def parley(usernames, *, layer, workdir, cpu=None, idle_users=0, daphne_options=()):
    """Set up and serve a throwaway Parley; yields the socket URL, cookies, conversations and settings used.

    idle_users more people get a session each, in no conversation (instance["idle_sessions"]);
    daphne_options go on daphne's command line (such as "--ping-interval", "60").
    """
    redis_url = os.environ.get("REDIS_URL")
    database_url = os.environ.get("DATABASE_URL")
    if layer == "redis" and not redis_url:
        raise RuntimeError("--layer redis needs REDIS_URL")
    redis_prefix = f"parley-bench-{os.getpid()}"
    data_dir = Path(workdir) / "parley"
    # Tuning variables (PARLEY_DB_CONN_MAX_AGE, PARLEY_CHANNEL_CAPACITY, ...) pass through; where data lives does not.
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PARLEY_BENCH_INSTANCE="1",
        PARLEY_DATA_DIR=str(data_dir),
        PARLEY_STATIC_ROOT=str(data_dir / "static"),
        PARLEY_UPLOAD_ROOT=str(data_dir / "uploads"),
        PARLEY_DEBUG="0",
        PARLEY_SECRET_KEY=secrets.token_urlsafe(50),
        PARLEY_ALLOWED_HOSTS=f"{LOOPBACK},localhost",
        PARLEY_HTTPS="0",
        PARLEY_SEND_RATE_PER_MINUTE="0",
        PARLEY_LOG_LEVEL="WARNING",
        PARLEY_REDIS_PREFIX=redis_prefix,
    )
    if layer == "redis":
        env["REDIS_URL"] = redis_url
    with contextlib.ExitStack() as stack:
        if database_url:
            env["DATABASE_URL"] = stack.enter_context(postgres_database(database_url))
        if layer == "redis":
            stack.callback(delete_redis_keys, redis_url, redis_prefix)
        data_dir.mkdir(parents=True, exist_ok=True)
        setup = subprocess.run(
            [sys.executable, "-m", "benchmarks.setup_parley", *usernames, "--idle", str(idle_users)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )
        if setup.returncode != 0:
            raise RuntimeError(f"setting up Parley failed:\n{setup.stderr[-3000:]}")
        prepared = json.loads(setup.stdout)
        port = free_port()
        daphne = str(Path(sys.executable).with_name("daphne"))
        command = [daphne, "-b", LOOPBACK, "-p", str(port), "--access-log", str(data_dir / "access.log"),
                   *daphne_options, "config.asgi:application"]
        with server_process(command, env, data_dir / "daphne.log", port, cpu) as process:
            instance = {
                "url": f"ws://{LOOPBACK}:{port}/ws/",
                "origin": f"http://{LOOPBACK}:{port}",
                "cookie_name": prepared["cookie_name"],
                "sessions": prepared["sessions"],
                "idle_sessions": prepared["idle_sessions"],
                "threads": {int(thread): members for thread, members in prepared["threads"].items()},
                "database": "postgresql" if database_url else "sqlite",
                "layer": layer,
                "channel_layer": prepared["channel_layer"],
                "pid": process.pid,
                "log": data_dir / "daphne.log",
            }
            flushes_before = redis_flush_count(redis_url) if layer == "redis" else 0
            yield instance
            if layer == "redis":
                instance["redis_flushes_during_run"] = redis_flush_count(redis_url) - flushes_before


@contextlib.contextmanager
def workspace():
    path = tempfile.mkdtemp(prefix="parley-bench-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
