"""Pages at size: the inbox, a conversation, "Load older", Requests and search on a database of a big site.

    python -m benchmarks.pages [--scale 1] [--runs 30] [--budget 60] [--profile 2] [--fresh] [--data-dir DIR]
                               [--json PATH]

The database is built once by `manage.py seed_demo --scale FACTOR` (1,000,000 messages at 1) and
kept for the next run: a SQLite file of its own under benchmarks/results/, or, when DATABASE_URL is
set, a database of its own on that server (`parley_pages_<factor>`; the database named in the URL is
never opened). Each page is requested through Django's test client, logged in as the scale person,
with PARLEY_DEBUG=0: a few warm-up requests, then --runs timed ones (median and p95), then one more
with its queries captured (count and their time). The N slowest pages are profiled with cProfile.
A table goes to stdout and the report, as JSON, to benchmarks/results/. docs/performance.md
explains the figures.
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import secrets
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import parley_instance

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The targets on the 2-core reference machine.
TARGET_MEDIAN_MS = 50
WARM_UP_RUNS = 3


def factor_slug(factor):
    return f"{factor:g}".replace(".", "_")


def configure(factor, data_dir):
    """Point Django at the benchmark's own database before it starts: (database name, database URL or None)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL")
    own_url = None
    if database_url:
        own_url = parley_instance.bench_database_url(database_url, f"parley_pages_{factor_slug(factor)}")
        os.environ["DATABASE_URL"] = own_url
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PARLEY_DATA_DIR=str(data_dir),
        PARLEY_STATIC_ROOT=str(data_dir / "static"),
        PARLEY_UPLOAD_ROOT=str(data_dir / "uploads"),
        PARLEY_DEBUG="0",
        PARLEY_SECRET_KEY=secrets.token_urlsafe(50),
        PARLEY_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        PARLEY_HTTPS="0",
        PARLEY_LOG_LEVEL="WARNING",
    )
    return own_url


def create_postgres_database(url, fresh):
    """The benchmark's database on the server of DATABASE_URL: created when missing, recreated with --fresh."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(parley_instance.bench_database_url(url, "postgres"), autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def prepare(factor, *, log=print):
    """migrate, collectstatic, and seed_demo --scale when the scale person is missing: seconds taken to seed, or None."""
    from django.core.management import call_command

    from accounts.models import User
    from inbox import scale

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if User.objects.filter(username=scale.SCALE_USERNAME).exists():
        return None
    log(f"Seeding the database at scale {factor:g} (at 1 this takes minutes) ...")
    started = time.perf_counter()
    output = io.StringIO()
    call_command("seed_demo", scale=factor, allow_production=True, stdout=output)
    seconds = time.perf_counter() - started
    log(output.getvalue().strip())
    log(f"Seeded in {seconds:.0f} s.")
    return seconds


def pages(factor):
    """The pages measured: [(name, URL)] for the scale person."""
    from django.db.models import Max

    from accounts.models import User
    from inbox import scale
    from inbox.models import Thread

    person = User.objects.get(username=scale.SCALE_USERNAME)
    mine = Thread.objects.for_user(person)
    longest = mine.aggregate(longest=Max("last_seq"))["longest"]
    long_thread = mine.filter(last_seq=longest).values_list("pk", flat=True).first()
    # A typical conversation of the person's: the most recent one besides the long one.
    typical = mine.exclude(pk=long_thread).order_by("-last_message_at").values_list("pk", flat=True).first()
    return person, longest, [
        ("inbox", "/inbox/"),
        ("conversation", f"/inbox/{typical}/"),
        (f"conversation of {longest:,}", f"/inbox/{long_thread}/"),
        ("load older at seq 100", f"/inbox/{long_thread}/?before=100&partial=messages"),
        (f"load older at seq {longest - 100:,}", f"/inbox/{long_thread}/?before={longest - 100}&partial=messages"),
        ("requests tab", "/inbox/?box=requests"),
        ("search (common word)", "/search/?q=coffee"),
        (f"search ({scale.SEEDED_WORD}, rare)", f"/search/?q={scale.SEEDED_WORD}"),
        ("search (a phrase)", "/search/?q=%22coffee+morning%22"),
    ]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def measure_page(client, url, runs, budget):
    """Timings in ms (median, p95, min) over runs (fewer, at least 3, once budget seconds are spent), then the
    queries of one more request."""
    from django.db import connection

    for _ in range(WARM_UP_RUNS):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    timings, cpu_timings = [], []
    page_started = time.perf_counter()
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
        if len(timings) >= 3 and time.perf_counter() - page_started > budget:
            break
    queries = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append({"ms": round((time.perf_counter() - started) * 1000, 2), "sql": sql[:300]})

    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        client.get(url)
        captured_ms = (time.perf_counter() - started) * 1000
    sql_ms = sum(query["ms"] for query in queries)
    return {
        "url": url,
        "runs": len(timings),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "min_ms": round(min(timings), 1),
        # This process's CPU time (Django, templates, and SQLite, which runs in-process; not PostgreSQL's
        # server): steadier than wall time when other programs share the machine.
        "cpu_median_ms": round(statistics.median(cpu_timings), 1),
        "queries": len(queries),
        # From the one request with its queries captured: how much of that request the database took.
        "sql_ms": round(sql_ms, 1),
        "sql_share": round(sql_ms / captured_ms, 2) if captured_ms else None,
        "slowest_queries": sorted(queries, key=lambda query: -query["ms"])[:3],
    }


def profile_page(client, url, runs=10, top=15):
    """cProfile over runs requests: the functions with the most time of their own, and the most cumulative."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler)

    def cumulative(path_end, function):
        return sum(entry[3] for (path, _line, name), entry in stats.stats.items()
                   if name == function and path.replace(os.sep, "/").endswith(path_end))

    # Per request, under the profiler (which slows Python, not the database): the templates
    # (with any query a template starts) and every SQL statement (the driver's time included).
    report = {"breakdown_ms_per_request": {
        "total": round(total * 1000 / runs, 1),
        "templates": round(cumulative("django/template/backends/django.py", "render") * 1000 / runs, 1),
        "sql": round(cumulative("django/db/backends/utils.py", "_execute") * 1000 / runs, 1),
    }}
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(top)
        lines = [line for line in text.getvalue().splitlines() if line.strip()]
        start = next((number for number, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        report[order] = lines[start:start + top + 1]
    report["runs"] = runs
    return report


def run(factor, runs, profile_count, budget=60.0, log=print):
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    report = {"database": connection.vendor, "seeded_in_s": prepare(factor, log=log)}
    person, longest, measured = pages(factor)
    client = Client()
    client.force_login(person)
    results = {}
    for name, url in measured:
        log(f"  {name} ...")
        results[name] = measure_page(client, url, runs, budget)
    slowest = sorted(results, key=lambda name: -results[name]["median_ms"])[:profile_count]
    for name in slowest:
        log(f"  profiling {name} ...")
        # A page of seconds gets fewer runs: the profile is about shares, not totals.
        profile_runs = 10 if results[name]["median_ms"] < 500 else 3
        results[name]["profile"] = profile_page(client, results[name]["url"], runs=profile_runs)
    report |= {"debug": settings.DEBUG, "long_thread": longest, "pages": results}
    report["targets"] = {
        f"every_page_under_{TARGET_MEDIAN_MS}_ms_median": all(
            page["median_ms"] < TARGET_MEDIAN_MS for page in results.values()
        ),
        # "Load older" as fast deep as shallow: within 20 % (or 2 ms) of each other.
        "load_older_deep_as_fast_as_shallow": _deep_as_shallow(results),
    }
    return report


def _deep_as_shallow(results):
    shallow, deep = [page["median_ms"] for name, page in results.items() if name.startswith("load older")]
    return abs(deep - shallow) <= max(2.0, 0.2 * shallow)


def table(report):
    lines = [f"{'page':34}{'median ms':>11}{'p95 ms':>9}{'min ms':>8}{'CPU ms':>8}{'queries':>9}{'SQL ms':>8}"]
    for name, page in report["pages"].items():
        lines.append(f"{name:34}{page['median_ms']:>11}{page['p95_ms']:>9}{page['min_ms']:>8}{page['cpu_median_ms']:>8}"
                     f"{page['queries']:>9}{page['sql_ms']:>8}")
    lines += [f"target {name}: {'met' if met else 'MISSED'}" for name, met in report["targets"].items()]
    for name, page in report["pages"].items():
        if "profile" in page:
            breakdown = page["profile"]["breakdown_ms_per_request"]
            lines.append(f"\nProfile of {name} ({page['profile']['runs']} requests; per request, profiled: "
                         f"{breakdown['total']} ms, of which templates {breakdown['templates']} ms and SQL "
                         f"{breakdown['sql']} ms). Most time of its own first:")
            lines += page["profile"]["tottime"]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size of the database, as seed_demo --scale (default 1: 1,000,000 messages)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds of timed requests per page at most, after 3 runs (default 60)")
    parser.add_argument("--profile", type=int, default=2, help="how many of the slowest pages to profile (default 2)")
    parser.add_argument("--fresh", action="store_true", help="build the database again even if it exists")
    parser.add_argument("--json", type=Path, help="where to write the JSON report (default benchmarks/results/)")
    parser.add_argument("--data-dir", type=Path,
                        help="where the SQLite file, static and upload folders live (default "
                             "benchmarks/results/pages-<database>-<scale>/)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be above 0 and at most 1")
    if not 1 <= args.runs <= 10_000 or not 0 <= args.profile <= 10:
        parser.error("--runs 1..10000, --profile 0..10")
    return args


def main(argv=None):
    args = parse_args(argv)
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    data_dir = args.data_dir or RESULTS_DIR / f"pages-{database}-{factor_slug(args.scale)}"
    if args.fresh and database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"parley.sqlite3{suffix}").unlink(missing_ok=True)
    own_url = configure(args.scale, data_dir)
    if own_url:
        create_postgres_database(own_url, args.fresh)
    import django

    django.setup()
    report = {
        "benchmark": "pages",
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": _source_version(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": list(os.getloadavg())},
        "config": {"scale": args.scale, "runs": args.runs, "budget_s": args.budget, "warm_up_runs": WARM_UP_RUNS,
                   "database": database},
    }
    print(f"Pages at scale {args.scale:g} on {database} ({data_dir if database == 'sqlite' else own_url}) ...",
          file=sys.stderr)
    report |= run(args.scale, args.runs, args.profile, args.budget, log=lambda line: print(line, file=sys.stderr))
    path = args.json or RESULTS_DIR / f"pages-{time.strftime('%Y%m%d-%H%M%S')}-{database}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"JSON report: {path}")
    return 0


def _source_version():
    from benchmarks.delivery import source_version

    return source_version()


if __name__ == "__main__":
    sys.exit(main())
