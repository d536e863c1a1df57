"""Delivery benchmark: Parley on one daphne process beside a raw WebSocket fan-out server, same load, same run.

    python -m benchmarks.delivery [--users 50] [--messages 200] [--rounds 3] [--window 10] [--rate 100]
                                  [--duration 10] [--tabs 1]
                                  [--layer memory|redis] [--skip-raw | --skip-parley] [--json PATH] [--no-pin]

N users in N/2 1:1 conversations each open a socket. Phase "saturation": every user sends M messages as
fast as the server takes them (at most --window unanswered each), in --rounds rounds, the raw server and
Parley taking turns; the round with the median throughput is reported, and the median of the rounds'
raw/Parley ratios. Phase "steady": --rate messages a second in total for --duration seconds. Every message must reach every socket of both participants exactly once
(matched by client_id). Each server runs on one CPU of its own and the client on the others, unless --no-pin
or the machine cannot. The report goes to stdout and, as JSON, to benchmarks/results/. The exit status is
1 when a message was lost, duplicated, refused or malformed, 2 when it could not run at all.
docs/performance.md explains the figures.
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import load, parley_instance

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The targets on the 2-core reference machine.
TARGET_THROUGHPUT_SHARE = 1 / 25
TARGET_STEADY_P99_MS = 100
# A steady-phase send this late means the client process itself did not get the CPU in time.
CLIENT_LATENESS_WARNING_MS = 20


def usernames(count):
    return [f"bench{number:03d}" for number in range(1, count + 1)]


def pairs(names):
    return {number: [first, second] for number, (first, second) in enumerate(zip(names[::2], names[1::2]), 1)}


def measure(names, args, workdir):
    """Start the servers asked for (raw, Parley or both), measure them in turns, stop them: {name: report}."""
    threads = pairs(names)
    with contextlib.ExitStack() as stack:
        targets, instance = [], None
        if not args.skip_raw:
            server = stack.enter_context(parley_instance.raw_server(threads, workdir, cpu=args.server_cpu))
            targets.append(load.Target("raw", threads, lambda username: f"{server['url']}/ws/?user={username}",
                                       server_pid=server["pid"]))
        if not args.skip_parley:
            print(f"Starting Parley ({args.database}, {args.layer} layer) ...", file=sys.stderr)
            instance = stack.enter_context(
                parley_instance.parley(names, layer=args.layer, workdir=workdir, cpu=args.server_cpu)
            )
            cookie, sessions = instance["cookie_name"], instance["sessions"]
            targets.append(load.Target(
                "parley",
                instance["threads"],
                lambda username: instance["url"],
                # The session cookie logs the socket in; the Origin must name an allowed host (the sockets' CSRF check).
                lambda username: {"Cookie": f"{cookie}={sessions[username]}", "Origin": instance["origin"]},
                server_pid=instance["pid"],
            ))
        print(f"Measuring {' and '.join(target.name for target in targets)}, {args.rounds} round(s) ...", file=sys.stderr)
        reports = asyncio.run(load.measure(
            targets, rounds=args.rounds, messages_per_user=args.messages, window=args.window, rate=args.rate,
            duration=args.duration, tabs_per_user=args.tabs, settle_timeout=args.settle_timeout,
        ))
        if instance is not None:
            reports["parley"] |= {"database": instance["database"], "layer": instance["layer"],
                                  "channel_layer": instance["channel_layer"]}
            # Warnings and tracebacks only (the log level is WARNING): the first place to look when a check fails.
            log = parley_instance.tail(instance["log"], 40)
            if log.strip():
                reports["parley"]["server_log_tail"] = log
    if instance is not None and instance.get("redis_flushes_during_run"):
        reports["parley"]["warning"] = (
            f"another Redis client ran FLUSHDB/FLUSHALL {instance['redis_flushes_during_run']} time(s) "
            "during the run; a flush of the layer's db wipes its groups. Use a Redis db of your own."
        )
    return reports


def delivery_problems(result):
    """Everything that breaks 'every socket of every participant hears each message exactly once'."""
    problems = []
    phases = [(f"saturation round {number}", phase) for number, phase in enumerate(result["saturation_rounds"], 1)]
    for phase_name, phase in phases + [("steady", result["steady"])]:
        for key in ("lost_deliveries", "duplicated", "misdelivered"):
            if phase[key]:
                problems.append(f"{result['target']} {phase_name}: {key} = {phase[key]}")
        if phase.get("stalled"):
            problems.append(f"{result['target']} {phase_name}: stalled (no echo for a whole settle timeout)")
        if phase["refused"]:
            problems.append(f"{result['target']} {phase_name}: refused {phase['refused']}")
    checks = result["checks"]
    if checks["closed_by_server"]:
        problems.append(f"{result['target']}: the server closed {len(checks['closed_by_server'])} socket(s): "
                        f"{checks['closed_by_server'][:3]}")
    for key in ("malformed", "unexpected", "seq_repeated", "seq_gaps"):
        if checks[key]:
            problems.append(f"{result['target']}: {key} = {checks[key]}")
    return problems


def verdict(report):
    parley, raw = report.get("parley"), report.get("raw")
    if parley is None:
        report["targets"] = {}
        return
    targets = {
        "zero_lost_or_duplicated": not delivery_problems(parley),
        f"steady_p99_under_{TARGET_STEADY_P99_MS}_ms": (
            parley["steady"]["latency_ms"]["p99"] is not None
            and parley["steady"]["latency_ms"]["p99"] < TARGET_STEADY_P99_MS
        ),
    }
    if raw:
        # Each round's raw and Parley figures were taken minutes apart at most, under the same conditions.
        ratios = sorted(
            raw_round["messages_per_s"] / parley_round["messages_per_s"]
            for raw_round, parley_round in zip(raw["saturation_rounds"], parley["saturation_rounds"])
        )
        report["ratio_raw_to_parley_by_round"] = [round(ratio, 1) for ratio in ratios]
        ratio = statistics.median(ratios)
        report["ratio_raw_to_parley"] = round(ratio, 1)
        cpu = [target["saturation"].get("server_cpu_ms_per_message") for target in (parley, raw)]
        if all(cpu):
            report["cpu_ratio_parley_to_raw"] = round(cpu[0] / cpu[1], 1)
        targets["throughput_at_least_1/25_of_raw"] = ratio <= 1 / TARGET_THROUGHPUT_SHARE
    report["targets"] = targets


def table(report):
    rows = [
        ("messages/s (saturation)", "saturation", "messages_per_s"),
        ("deliveries/s (saturation)", "saturation", "deliveries_per_s"),
        ("server CPU ms/message (sat.)", "saturation", "server_cpu_ms_per_message"),
        ("server CPU share (sat.)", "saturation", "server_cpu_share"),
        ("p50 latency ms (saturation)", "saturation", ("latency_ms", "p50")),
        ("p99 latency ms (saturation)", "saturation", ("latency_ms", "p99")),
        ("lost deliveries (saturation)", "saturation", "lost_deliveries"),
        ("duplicated (saturation)", "saturation", "duplicated"),
        ("achieved rate msg/s (steady)", "steady", "achieved_rate"),
        ("p50 latency ms (steady)", "steady", ("latency_ms", "p50")),
        ("p99 latency ms (steady)", "steady", ("latency_ms", "p99")),
        ("lost deliveries (steady)", "steady", "lost_deliveries"),
        ("duplicated (steady)", "steady", "duplicated"),
    ]
    columns = [name for name in ("raw", "parley") if name in report]
    lines = [f"{'':32}" + "".join(f"{name:>14}" for name in columns)]
    for label, phase, key in rows:
        cells = []
        for name in columns:
            value = report[name][phase]
            for part in key if isinstance(key, tuple) else (key,):
                value = value.get(part)
            cells.append(f"{value if value is not None else '-':>14}")
        lines.append(f"{label:32}" + "".join(cells))
    config = report["config"]
    lines.append(f"servers pinned to CPU {config['server_cpu']}, load generator to CPU(s) {config['client_cpus']}"
                 if config.get("server_cpu") is not None else "not pinned: the OS placed servers and load generator")
    if "ratio_raw_to_parley" in report:
        lines.append(f"raw/Parley throughput ratio: {report['ratio_raw_to_parley']} (target: at most 25), the median of "
                     f"the rounds' {', '.join(map(str, report['ratio_raw_to_parley_by_round']))}")
    if "cpu_ratio_parley_to_raw" in report:
        lines.append(f"Parley/raw server CPU per message: {report['cpu_ratio_parley_to_raw']}")
    lines += [f"target {name}: {'met' if met else 'MISSED'}" for name, met in report["targets"].items()]
    return "\n".join(lines)


def source_version():
    """The commit measured, and whether the tree had uncommitted changes then: figures belong to code."""
    def git(*arguments):
        try:
            return subprocess.run(["git", *arguments], cwd=parley_instance.ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD") or None,
            "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no"))}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delivery", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="even, at least 2 (default 50)")
    parser.add_argument("--messages", type=int, default=200,
                        help="messages per user in each saturation round (default 200)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="saturation rounds, raw and Parley taking turns (default 3); the median counts")
    parser.add_argument("--window", type=int, default=10, help="unanswered messages per user at saturation")
    parser.add_argument("--rate", type=float, default=100.0, help="total messages/s in the steady phase")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of the steady phase")
    parser.add_argument("--tabs", type=int, default=1, help="sockets per user (default 1)")
    parser.add_argument("--layer", choices=("memory", "redis"),
                        default="redis" if os.environ.get("REDIS_URL") else "memory",
                        help="channel layer (redis needs REDIS_URL; the default follows REDIS_URL)")
    parser.add_argument("--skip-raw", action="store_true", help="measure Parley only")
    parser.add_argument("--skip-parley", action="store_true", help="measure the raw server only")
    parser.add_argument("--settle-timeout", type=float, default=30.0,
                        help="seconds to wait for missing deliveries before counting them lost (default 30)")
    parser.add_argument("--json", type=Path, help="where to write the JSON report (default benchmarks/results/)")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let the OS place the servers' and the client's threads (default: each server on one CPU "
                             "of its own, the client on the others, where the OS allows it)")
    args = parser.parse_args(argv)
    if args.users < 2 or args.users % 2:
        parser.error("--users must be an even number, at least 2 (they talk in pairs)")
    if args.users > 1000 or args.messages < 1 or args.messages > 10_000 or not 1 <= args.window <= 1000:
        parser.error("--users at most 1000, --messages 1..10000, --window 1..1000")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds 1..20")
    if not 0 < args.settle_timeout <= 300:
        parser.error("--settle-timeout 0..300 seconds")
    if not 0 < args.rate <= 10_000 or not 0 < args.duration <= 600 or not 1 <= args.tabs <= 10:
        parser.error("--rate 0..10000, --duration 0..600 seconds, --tabs 1..10")
    if args.skip_raw and args.skip_parley:
        parser.error("nothing to measure: --skip-raw and --skip-parley together")
    if args.layer == "redis" and not os.environ.get("REDIS_URL"):
        parser.error("--layer redis needs REDIS_URL")
    return args


def main(argv=None):
    args = parse_args(argv)
    args.server_cpu, client_cpus = parley_instance.cpu_plan(args.pin)
    args.database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    names = usernames(args.users)
    report = {
        "benchmark": "delivery",
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source_version(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": list(os.getloadavg())},
        "config": {"users": args.users, "conversations": args.users // 2, "tabs_per_user": args.tabs,
                   "messages_per_user": args.messages, "window": args.window, "rate": args.rate,
                   "duration": args.duration, "layer": args.layer,
                   "server_cpu": args.server_cpu, "client_cpus": client_cpus,
                   "database": args.database, "rounds": args.rounds},
    }
    try:
        with parley_instance.workspace() as workdir:
            report |= measure(names, args, workdir)
    except RuntimeError as failure:
        # Setup or connection failures (a server that did not start, sockets refused): nothing to measure.
        print(f"The benchmark could not run: {failure}", file=sys.stderr)
        return 2
    verdict(report)
    problems = [problem for name in ("raw", "parley") if name in report for problem in delivery_problems(report[name])]
    report["problems"] = problems

    path = args.json or RESULTS_DIR / f"delivery-{time.strftime('%Y%m%d-%H%M%S')}-{args.layer}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    if "parley" in report:
        print(f"Parley's channel layer: {report['parley']['channel_layer']}")
    print(table(report))
    if report.get("parley", {}).get("warning"):
        print(f"WARNING: {report['parley']['warning']}")
    for name in ("raw", "parley"):
        lateness = report.get(name, {}).get("steady", {}).get("client_max_lateness_ms") or 0
        if lateness > CLIENT_LATENESS_WARNING_MS:
            print(f"WARNING: during {name}'s steady phase the load generator itself ran up to {lateness:.0f} ms late "
                  "(the machine was busy): its latency figures include that delay.")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if problems and report.get("parley", {}).get("server_log_tail"):
        print(f"Parley's log ends with:\n{report['parley']['server_log_tail']}")
    print(f"JSON report: {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
