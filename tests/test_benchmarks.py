"""The delivery benchmark's machinery at toy scale: it must count right before its figures mean anything.

Nothing here is timed; speeds belong to `python -m benchmarks.delivery` and docs/performance.md.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from websockets.asyncio.server import broadcast, serve

from benchmarks import load, parley_instance, raw_server

ROOT = Path(__file__).resolve().parent.parent
THREADS = {1: ["ann", "ben"], 2: ["cat", "dan"]}


class LossyServer(raw_server.FanoutServer):
    """Never tells dan what cat says, and tells ann everything twice."""

    def deliver(self, thread, text):
        sender = json.loads(text)["message"]["sender"]
        for member in self.members[thread]:
            if member == "dan" and sender == "cat":
                continue
            broadcast(self.sockets[member], text)
            if member == "ann":
                broadcast(self.sockets[member], text)


class RefusingServer(raw_server.FanoutServer):
    """Refuses everything ann sends, as Parley's rate limit would."""

    def receive(self, websocket, user, frame):
        if user == "ann":
            return self.refuse(websocket, "rate_limited", "Slow down.", json.loads(frame)["client_id"])
        return super().receive(websocket, user, frame)


async def run_against(server, *, tabs_per_user=1):
    """Both phases, 3 messages per user then 8 at 40/s, against `server` on a free loopback port."""
    async with serve(server.handle, "127.0.0.1", 0, compression=None) as listener:
        port = listener.sockets[0].getsockname()[1]
        target = load.Target("raw", THREADS, lambda username: f"ws://127.0.0.1:{port}/ws/?user={username}")
        async with load.LoadRun(target, tabs_per_user=tabs_per_user, settle_timeout=0.5) as run:
            saturation = await run.saturate(messages_per_user=3, window=2)
            steady = await run.steady(rate=40, duration=0.2)
            return saturation, steady, run.checks()


async def test_every_message_reaches_every_socket_of_both_participants_exactly_once():
    saturation, steady, checks = await run_against(raw_server.FanoutServer(THREADS), tabs_per_user=2)

    # 4 users x 3 messages, each heard by 2 people x 2 tabs.
    assert (saturation["messages"], saturation["deliveries"]) == (12, 48)
    assert (steady["messages"], steady["deliveries"], steady["target_rate"]) == (8, 32, 40)
    for phase in (saturation, steady):
        assert phase["lost_deliveries"] == phase["lost_messages"] == 0
        assert phase["duplicated"] == phase["misdelivered"] == 0
        assert phase["refused"] == {}
        assert phase["messages_per_s"] > 0 and phase["deliveries_per_s"] > 0
        assert 0 < phase["latency_ms"]["p50"] <= phase["latency_ms"]["p99"] <= phase["latency_ms"]["max"]
    assert checks["malformed"] == checks["unexpected"] == 0
    assert checks["seq_gaps"] == checks["seq_repeated"] == 0


async def test_saturation_rounds_on_one_set_of_sockets_count_each_round_apart():
    async with serve(raw_server.FanoutServer(THREADS).handle, "127.0.0.1", 0, compression=None) as listener:
        port = listener.sockets[0].getsockname()[1]
        target = load.Target("raw", THREADS, lambda username: f"ws://127.0.0.1:{port}/ws/?user={username}")
        async with load.LoadRun(target, settle_timeout=0.5) as run:
            rounds = [await run.saturate(messages_per_user=3, window=2, round_number=n) for n in (1, 2)]
            checks = run.checks()

    assert [(one["messages"], one["deliveries"], one["duplicated"]) for one in rounds] == [(12, 24, 0), (12, 24, 0)]
    assert checks["seq_gaps"] == checks["seq_repeated"] == 0


def test_the_median_round_is_a_real_round():
    rounds = [{"messages_per_s": rate, "round": n} for n, rate in enumerate([300.0, 100.0, 200.0, 50.0], 1)]
    assert load.median_round(rounds) == {"messages_per_s": 100.0, "round": 2}
    assert load.median_round(rounds[:3]) == {"messages_per_s": 200.0, "round": 3}


async def test_lost_and_duplicated_deliveries_are_counted():
    saturation, steady, checks = await run_against(LossyServer(THREADS))

    # cat sends 3 messages at saturation and 2 of the steady 8; dan hears none of them.
    assert saturation["lost_deliveries"] == saturation["lost_messages"] == 3
    assert steady["lost_deliveries"] == 2
    # ann hears each of the 6 messages of conversation 1 twice.
    assert saturation["duplicated"] == 6
    assert saturation["deliveries"] == 12 * 2 - 3
    assert checks["seq_repeated"] > 0


async def test_refused_messages_are_reported_and_not_waited_for():
    saturation, steady, checks = await run_against(RefusingServer(THREADS))

    assert saturation["refused"] == {"rate_limited": 3}
    assert saturation["lost_deliveries"] == saturation["duplicated"] == 0
    assert saturation["deliveries"] == 9 * 2


def test_a_message_new_frame_missing_fields_is_reported_as_malformed():
    ledger = load.Ledger()
    ledger.start_phase()

    ledger.hear(load.Tab(0, "ann"), {"type": "message.new", "thread": 1, "message": {"id": 1}}, 0.0)

    assert len(ledger.malformed) == 1


def test_keys_beyond_the_contract_are_reported_but_not_malformed():
    ledger = load.Ledger()
    ledger.start_phase()
    message = {"id": 1, "seq": 1, "sender": "ann", "body": "hi", "created": "2026-01-01T00:00:00+00:00",
               "client_id": None, "attachments": []}

    ledger.hear(load.Tab(0, "ann"), {"type": "message.new", "thread": 1, "message": message, "html": "<li>"}, 0.0)

    assert ledger.malformed == []
    assert ledger.extra_message_keys == {"attachments"}


def test_the_benchmark_runs_end_to_end_against_parley_and_the_raw_server(tmp_path):
    """`python -m benchmarks.delivery` at toy scale: a throwaway Parley on daphne, then the report."""
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-m", "benchmarks.delivery", "--users", "4", "--messages", "3", "--window", "2",
               "--rounds", "2", "--rate", "20", "--duration", "0.4", "--settle-timeout", "5", "--json", str(report_path)]

    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(report_path.read_text())
    assert report["config"]["conversations"] == 2
    for name in ("raw", "parley"):
        saturation, steady, checks = report[name]["saturation"], report[name]["steady"], report[name]["checks"]
        # Two rounds of 4 users x 3 messages, each heard by both people of its 1:1; then 8 steady messages.
        rounds = report[name]["saturation_rounds"]
        assert [(one["messages"], one["deliveries"]) for one in rounds] == [(12, 24), (12, 24)]
        assert saturation in rounds
        assert all(one["lost_deliveries"] == one["duplicated"] == 0 for one in rounds)
        assert (steady["messages"], steady["deliveries"]) == (8, 16)
        assert saturation["lost_deliveries"] == saturation["duplicated"] == steady["lost_deliveries"] == 0
        assert checks["malformed"] == checks["unexpected"] == checks["seq_gaps"] == 0
        assert checks["closed_by_server"] == []
    assert report["problems"] == []
    assert len(report["ratio_raw_to_parley_by_round"]) == 2
    assert min(report["ratio_raw_to_parley_by_round"]) <= report["ratio_raw_to_parley"] <= max(
        report["ratio_raw_to_parley_by_round"])
    assert set(report["targets"]) == {
        "zero_lost_or_duplicated", "steady_p99_under_100_ms", "throughput_at_least_1/25_of_raw"
    }
    assert "raw/Parley throughput ratio" in finished.stdout
    assert report["config"]["server_cpu"] == parley_instance.cpu_plan(True)[0]


def test_the_cpu_plan_gives_the_server_a_cpu_of_its_own():
    assert parley_instance.cpu_plan(False) == (None, None)
    server_cpu, client_cpus = parley_instance.cpu_plan(True)
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        assert (server_cpu, client_cpus) == (None, None)
        return
    allowed = sorted(os.sched_getaffinity(0))
    assert server_cpu == allowed[-1] and client_cpus == allowed[:-1]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_pinning_moves_every_thread_of_a_running_process():
    code = "import threading, time; [threading.Thread(target=time.sleep, args=(30,), daemon=True).start() for _ in range(3)]; time.sleep(30)"
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        cpu = min(os.sched_getaffinity(0))
        deadline = time.monotonic() + 10
        while len(list(Path(f"/proc/{process.pid}/task").iterdir())) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        parley_instance.pin_process(process.pid, cpu)
        tasks = [int(task.name) for task in Path(f"/proc/{process.pid}/task").iterdir()]
        assert len(tasks) == 4
        assert all(os.sched_getaffinity(task) == {cpu} for task in tasks)
    finally:
        process.kill()
        process.wait()


def sqlite_environment():
    """The benchmarks' environment for a smoke run: their own SQLite database, whatever the suite runs on."""
    return {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}


def test_the_pages_benchmark_seeds_its_database_and_measures_every_page(tmp_path):
    """`python -m benchmarks.pages` at 1/1000 of its size: seed_demo --scale, then every page timed and counted."""
    report_path = tmp_path / "pages.json"
    command = [sys.executable, "-m", "benchmarks.pages", "--scale", "0.001", "--runs", "2", "--profile", "1",
               "--data-dir", str(tmp_path / "data"), "--json", str(report_path)]

    finished = subprocess.run(command, cwd=ROOT, env=sqlite_environment(), capture_output=True, text=True, timeout=180)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(report_path.read_text())
    assert report["database"] == "sqlite" and report["debug"] is False
    assert report["seeded_in_s"] > 0 and report["long_thread"] == 400
    pages = report["pages"]
    assert len(pages) == 9
    assert {"inbox", "requests tab", "load older at seq 100", "load older at seq 300", "search (a phrase)"} <= set(pages)
    for page in pages.values():
        assert 0 < page["min_ms"] <= page["median_ms"] <= page["p95_ms"]
        assert page["queries"] > 0 and page["slowest_queries"]
    (profiled,) = [page["profile"] for page in pages.values() if "profile" in page]
    assert 0 < profiled["breakdown_ms_per_request"]["templates"] < profiled["breakdown_ms_per_request"]["total"]
    assert set(report["targets"]) == {"every_page_under_50_ms_median", "load_older_deep_as_fast_as_shallow"}
    assert "median ms" in finished.stdout

    # A second run finds the database seeded and measures at once.
    again = subprocess.run(command, cwd=ROOT, env=sqlite_environment(), capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(report_path.read_text())["seeded_in_s"] is None


def test_the_connections_benchmark_holds_idle_sockets_beside_live_traffic(tmp_path):
    """`python -m benchmarks.connections` at toy scale: idle sockets by session row, live traffic before and during."""
    report_path = tmp_path / "connections.json"
    command = [sys.executable, "-m", "benchmarks.connections", "--max", "20", "--batch", "8", "--live-users", "2",
               "--rate", "20", "--duration", "0.5", "--quiet", "0.2", "--ping-interval", "60", "--settle-timeout", "5",
               "--json", str(report_path)]

    finished = subprocess.run(command, cwd=ROOT, env=sqlite_environment(), capture_output=True, text=True, timeout=180)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(report_path.read_text())
    idle = report["idle"]
    assert (idle["reached"], idle["still_open_after_live_traffic"], idle["first_error"]) == (20, 20, None)
    # Batches of 8: 8, 16, 20 sockets, after the reading with none.
    assert [point["sockets"] for point in idle["curve"]] == [0, 8, 16, 20]
    assert idle["kib_per_socket"] is not None and idle["quiet_cpu_share"] >= 0
    for phase in (report["live_before"], report["live_during"]):
        # 10 messages, each heard by both people of the 1:1.
        assert (phase["messages"], phase["deliveries"], phase["lost_deliveries"]) == (10, 20, 0)
    assert report["problems"] == []
    assert report["config"]["ping_interval"] == 60
    assert set(report["targets"]) == {
        "10000_idle_sockets_without_errors", "under_40_KiB_per_socket", "live_p99_under_100_ms_while_open"
    }


def test_an_idle_socket_without_a_valid_session_is_the_first_error(tmp_path, monkeypatch):
    """A refused handshake stops the opening at once and is reported, not counted."""
    from benchmarks import connections

    async def refuse(instance, session_key, timeout):
        if session_key == "bad":
            raise ConnectionRefusedError("refused")
        return FakeSocket()

    class FakeSocket:
        from websockets.protocol import State

        state = State.OPEN

        async def close(self):
            pass

    class FakeRun:
        def __init__(self, *args, **kwargs):
            pass

        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc_info):
            pass

        async def steady(self, **kwargs):
            return {"latency_ms": {"p99": 1.0}}

        def checks(self):
            return {"closed_by_server": []}

    monkeypatch.setattr(connections, "open_idle", refuse)
    monkeypatch.setattr(connections.load, "LoadRun", FakeRun)
    monkeypatch.setattr(connections, "rss_kib", lambda pid: 1000)
    monkeypatch.setattr(connections.asyncio, "sleep", lambda seconds: asyncio_noop())
    instance = {"pid": 1, "threads": {}, "url": "", "origin": "", "cookie_name": "s", "sessions": {},
                "idle_sessions": ["a", "b", "bad", "c", "d", "e"]}
    args = connections.parse_args(["--max", "6", "--batch", "2"])

    import asyncio

    report = asyncio.run(connections.hold(instance, args))

    assert report["idle"]["reached"] == 3  # a, b, then c beside the refused one; d and e never tried
    assert report["idle"]["first_error"] == "ConnectionRefusedError: refused"


async def asyncio_noop():
    return None
