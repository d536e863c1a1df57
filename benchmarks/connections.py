"""Connections benchmark: idle authenticated sockets held by ONE daphne process, and live traffic beside them.

    python -m benchmarks.connections [--max 5000] [--batch 250] [--live-users 10] [--rate 100]
                                     [--duration 10] [--quiet 5] [--ping-interval S] [--layer memory|redis]
                                     [--json PATH] [--no-pin]

A throwaway Parley (benchmarks.parley_instance: its own SQLite file, or its own database on the server
of DATABASE_URL) gets --max idle people, each logged in by a session row, and --live-users people in
one-to-one conversations. The live users' sockets open first, warm the server up for a few seconds,
and send --rate messages a second for --duration seconds (latency before). Then idle sockets open,
--batch at a time, each with its own session cookie, and the server's resident memory (RSS, from
/proc) is read after every batch, until --max are open or the first socket fails (refused, timed out,
or closed by the server). After --quiet seconds of nothing (the server's CPU share then), the live
users send again (latency during), and the idle sockets are checked to be still open.
The report goes to stdout and, as JSON, to benchmarks/results/. docs/performance.md explains it.
"""

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.protocol import State

from benchmarks import load, parley_instance
from benchmarks.delivery import source_version

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The targets on the 2-core reference machine.
TARGET_SOCKETS = 10_000
TARGET_KIB_PER_SOCKET = 40
TARGET_P99_MS = 100


def rss_kib(pid):
    """The process's resident memory in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def raise_open_file_limit(needed):
    """Let this process (and the server it starts) hold `needed` sockets: the soft limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def open_idle(instance, session_key, timeout):
    cookie = f"{instance['cookie_name']}={session_key}"
    return await connect(
        instance["url"], additional_headers={"Cookie": cookie, "Origin": instance["origin"]},
        proxy=None, compression=None, open_timeout=timeout,
        # Idle like a background tab: the client sends nothing, it only answers daphne's pings.
        ping_interval=None, max_queue=None,
    )


async def hold(instance, args):
    """The run itself, on a served instance: {"live_before", "idle", "live_during", "checks"}."""
    pid = instance["pid"]
    target = load.Target(
        "parley", instance["threads"], lambda username: instance["url"],
        lambda username: {"Cookie": f"{instance['cookie_name']}={instance['sessions'][username]}",
                          "Origin": instance["origin"]},
        server_pid=pid,
    )
    idle_sockets, curve, error = [], [], None
    async with load.LoadRun(target, settle_timeout=args.settle_timeout) as live:
        # The server's first messages open its database connections and fill its caches: not measured.
        await live.steady(rate=args.rate, duration=min(args.duration, 3.0), label="warm-up")
        before = await live.steady(rate=args.rate, duration=args.duration, label="before")
        base_rss = rss_kib(pid)
        curve.append({"sockets": 0, "rss_kib": base_rss})
        keys = instance["idle_sessions"][:args.max]
        started = time.perf_counter()
        for start in range(0, len(keys), args.batch):
            batch = keys[start:start + args.batch]
            opened = await asyncio.gather(*(open_idle(instance, key, args.open_timeout) for key in batch),
                                          return_exceptions=True)
            for outcome in opened:
                if isinstance(outcome, BaseException):
                    error = error or f"{type(outcome).__name__}: {outcome}"
                else:
                    idle_sockets.append(outcome)
            closed = [socket for socket in idle_sockets if socket.state is not State.OPEN]
            if closed and error is None:
                error = f"the server closed {len(closed)} idle socket(s): code {closed[0].close_code}"
            curve.append({"sockets": len(idle_sockets), "rss_kib": rss_kib(pid),
                          "seconds": round(time.perf_counter() - started, 2)})
            print(f"  {len(idle_sockets)} idle sockets, server RSS {curve[-1]['rss_kib'] / 1024:.0f} MiB",
                  file=sys.stderr)
            if error:
                break
        opening_seconds = time.perf_counter() - started
        # Let the server finish what the handshakes left (sessions closed, buffers freed) before reading it,
        # and see what holding the sockets costs it with nothing to do.
        cpu_before, quiet_started = load.process_cpu_seconds(pid), time.perf_counter()
        await asyncio.sleep(args.quiet)
        quiet_seconds = time.perf_counter() - quiet_started
        cpu_after = load.process_cpu_seconds(pid)
        idle_cpu_share = (
            (cpu_after - cpu_before) / quiet_seconds if None not in (cpu_before, cpu_after) and quiet_seconds > 0 else None
        )
        held_rss = rss_kib(pid)
        during = await live.steady(rate=args.rate, duration=args.duration, label="during")
        still_open = sum(1 for socket in idle_sockets if socket.state is State.OPEN)
        checks = live.checks()
    await asyncio.gather(*(socket.close() for socket in idle_sockets), return_exceptions=True)
    count = len(idle_sockets)
    idle = {
        "asked": args.max,
        "reached": count,
        "still_open_after_live_traffic": still_open,
        "first_error": error,
        "opening_seconds": round(opening_seconds, 1),
        "sockets_per_s": round(count / opening_seconds, 1) if opening_seconds else None,
        "rss_base_kib": base_rss,
        "rss_held_kib": held_rss,
        "kib_per_socket": round((held_rss - base_rss) / count, 1) if count else None,
        # The server's CPU share while only holding them (1.0 = one core busy), over --quiet seconds.
        "quiet_cpu_share": round(idle_cpu_share, 3) if idle_cpu_share is not None else None,
        "curve": curve,
    }
    return {"live_before": before, "idle": idle, "live_during": during, "checks": checks}


def live_problems(report):
    problems = []
    for phase_name in ("live_before", "live_during"):
        phase = report[phase_name]
        for key in ("lost_deliveries", "duplicated", "misdelivered"):
            if phase[key]:
                problems.append(f"{phase_name}: {key} = {phase[key]}")
        if phase["refused"]:
            problems.append(f"{phase_name}: refused {phase['refused']}")
    if report["checks"]["closed_by_server"]:
        problems.append(f"the server closed live socket(s): {report['checks']['closed_by_server'][:3]}")
    idle = report["idle"]
    if idle["still_open_after_live_traffic"] != idle["reached"]:
        problems.append(f"{idle['reached'] - idle['still_open_after_live_traffic']} idle socket(s) closed during the run")
    return problems


def verdict(report):
    idle, during = report["idle"], report["live_during"]
    report["targets"] = {
        f"{TARGET_SOCKETS}_idle_sockets_without_errors": idle["reached"] >= TARGET_SOCKETS and not idle["first_error"],
        f"under_{TARGET_KIB_PER_SOCKET}_KiB_per_socket": (
            idle["kib_per_socket"] is not None and idle["kib_per_socket"] < TARGET_KIB_PER_SOCKET
        ),
        f"live_p99_under_{TARGET_P99_MS}_ms_while_open": (
            during["latency_ms"]["p99"] is not None and during["latency_ms"]["p99"] < TARGET_P99_MS
        ),
    }


def table(report):
    idle, before, during = report["idle"], report["live_before"], report["live_during"]
    lines = [
        f"idle sockets opened                 {idle['reached']} of {idle['asked']} "
        f"({idle['sockets_per_s']}/s), still open at the end: {idle['still_open_after_live_traffic']}",
        f"first error                         {idle['first_error'] or 'none'}",
        f"server RSS before / with them       {idle['rss_base_kib'] / 1024:.1f} MiB / {idle['rss_held_kib'] / 1024:.1f} MiB",
        f"memory per idle socket              {idle['kib_per_socket']} KiB",
        f"server CPU share holding them       {idle['quiet_cpu_share']} (nothing sent, {report['config']['quiet']} s)",
        f"{'live traffic':36}{'before':>12}{'while open':>12}",
    ]
    for label, key in (("achieved rate msg/s", "achieved_rate"), ("p50 latency ms", ("latency_ms", "p50")),
                       ("p95 latency ms", ("latency_ms", "p95")), ("p99 latency ms", ("latency_ms", "p99")),
                       ("max latency ms", ("latency_ms", "max")), ("lost deliveries", "lost_deliveries")):
        cells = []
        for phase in (before, during):
            value = phase
            for part in key if isinstance(key, tuple) else (key,):
                value = value.get(part)
            cells.append(f"{value if value is not None else '-':>12}")
        lines.append(f"{label:36}" + "".join(cells))
    config = report["config"]
    lines.append(f"server pinned to CPU {config['server_cpu']}, clients to CPU(s) {config['client_cpus']}"
                 if config.get("server_cpu") is not None else "not pinned")
    lines += [f"target {name}: {'met' if met else 'MISSED'}" for name, met in report["targets"].items()]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.connections", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=5000, help="idle sockets to open at most (default 5000)")
    parser.add_argument("--batch", type=int, default=250, help="idle sockets opened together (default 250)")
    parser.add_argument("--live-users", type=int, default=10, help="people sending live traffic, in pairs (default 10)")
    parser.add_argument("--rate", type=float, default=100.0, help="live messages/s in total (default 100)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of live traffic, each time (default 10)")
    parser.add_argument("--quiet", type=float, default=5.0,
                        help="seconds with every socket open and nothing sent, before the live traffic (default 5)")
    parser.add_argument("--open-timeout", type=float, default=30.0, help="seconds one handshake may take")
    parser.add_argument("--settle-timeout", type=float, default=30.0,
                        help="seconds to wait for missing live deliveries before counting them lost")
    parser.add_argument("--layer", choices=("memory", "redis"),
                        default="redis" if os.environ.get("REDIS_URL") else "memory",
                        help="channel layer (redis needs REDIS_URL; the default follows REDIS_URL)")
    parser.add_argument("--ping-interval", type=int,
                        help="seconds between daphne's keep-alive pings of an idle socket (daphne's default: 20)")
    parser.add_argument("--json", type=Path, help="where to write the JSON report (default benchmarks/results/)")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="let the OS place server and clients")
    args = parser.parse_args(argv)
    if not 1 <= args.max <= 100_000 or not 1 <= args.batch <= 5000:
        parser.error("--max 1..100000, --batch 1..5000")
    if args.live_users < 2 or args.live_users % 2 or args.live_users > 200:
        parser.error("--live-users must be even, 2..200")
    if not 0 < args.rate <= 10_000 or not 0 < args.duration <= 600 or not 0 < args.settle_timeout <= 300:
        parser.error("--rate 0..10000, --duration 0..600, --settle-timeout 0..300")
    if not 0 <= args.quiet <= 600:
        parser.error("--quiet 0..600 seconds")
    if args.ping_interval is not None and not 1 <= args.ping_interval <= 86_400:
        parser.error("--ping-interval 1..86400 seconds")
    if args.layer == "redis" and not os.environ.get("REDIS_URL"):
        parser.error("--layer redis needs REDIS_URL")
    return args


def main(argv=None):
    args = parse_args(argv)
    args.server_cpu, client_cpus = parley_instance.cpu_plan(args.pin)
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    # Both sides hold one descriptor per socket, plus the server's database and log files.
    open_files = raise_open_file_limit(args.max + args.live_users + 200)
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    report = {
        "benchmark": "connections",
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source_version(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": list(os.getloadavg()), "open_files_limit": open_files},
        "config": {"max": args.max, "batch": args.batch, "live_users": args.live_users, "rate": args.rate,
                   "duration": args.duration, "quiet": args.quiet, "ping_interval": args.ping_interval,
                   "layer": args.layer, "database": database, "server_cpu": args.server_cpu, "client_cpus": client_cpus},
    }
    live_names = [f"live{number:03d}" for number in range(1, args.live_users + 1)]
    try:
        with parley_instance.workspace() as workdir:
            print(f"Starting Parley ({database}, {args.layer} layer) with {args.max} idle people ...", file=sys.stderr)
            daphne_options = ("--ping-interval", str(args.ping_interval)) if args.ping_interval else ()
            with parley_instance.parley(live_names, layer=args.layer, workdir=workdir, cpu=args.server_cpu,
                                        idle_users=args.max, daphne_options=daphne_options) as instance:
                report["channel_layer"] = instance["channel_layer"]
                report |= asyncio.run(hold(instance, args))
                log = parley_instance.tail(instance["log"], 40)
                if log.strip():
                    report["server_log_tail"] = log
    except RuntimeError as failure:
        print(f"The benchmark could not run: {failure}", file=sys.stderr)
        return 2
    verdict(report)
    report["problems"] = live_problems(report)
    path = args.json or RESULTS_DIR / f"connections-{time.strftime('%Y%m%d-%H%M%S')}-{args.layer}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    for problem in report["problems"]:
        print(f"PROBLEM: {problem}")
    print(f"JSON report: {path}")
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
