"""The load generator: many users' sockets in one asyncio loop, a ledger of every delivery, two phases.

It speaks only the public WebSocket contract (`message.send` out, `message.new` / `error` in), so the
same code drives Parley and the raw fan-out server. Every message is checked against every socket that
should hear it: each must see its client_id exactly once, with a well-formed `message.new`.
"""

import asyncio
import contextlib
import gc
import json
import math
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

MESSAGE_KEYS = {"id", "seq", "sender", "body", "created", "client_id"}


@dataclass
class Target:
    """Where the sockets go: `url_for(username)` and the headers of each user's handshake."""

    name: str
    threads: dict  # thread id -> [usernames]
    url_for: object
    headers_for: object = lambda username: {}
    server_pid: int = None  # for the server's CPU time per message (Linux /proc), if known


@dataclass
class Tab:
    """One open socket of one user (a browser tab)."""

    number: int
    username: str
    websocket: object = None


@dataclass
class Sent:
    thread: int
    sender: str
    tabs: frozenset  # tab numbers that must hear it
    at: float
    on_echo: object = None  # called once when the sender hears it back (or is refused): frees a window slot


@dataclass
class PhaseLedger:
    """What one phase sent and what every tab heard."""

    sent: dict = field(default_factory=dict)  # client_id -> Sent
    heard: dict = field(default_factory=lambda: defaultdict(Counter))  # client_id -> Counter(tab number)
    latencies: list = field(default_factory=list)  # seconds, one per delivery
    refused: Counter = field(default_factory=Counter)  # error code -> count
    refused_ids: set = field(default_factory=set)
    outstanding: int = 0
    last_delivery: float = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)


class Ledger:
    """Routes every frame any tab hears to the phase that sent it, and checks its shape and seq."""

    def __init__(self):
        self.phase = None
        self.malformed = []  # short descriptions of frames that break the contract
        self.unexpected = 0  # message.new frames for client_ids nobody here sent
        self.closed = []  # tabs the server closed during the run
        self.extra_message_keys = set()
        self.other_frames = Counter()  # frame types the benchmark does not measure (unread.update, ...)
        self.seqs = defaultdict(list)  # (tab number, thread) -> seqs in arrival order

    def start_phase(self):
        self.phase = PhaseLedger()
        return self.phase

    def expect(self, client_id, sent):
        phase = self.phase
        phase.sent[client_id] = sent
        phase.outstanding += len(sent.tabs)
        phase.settled.clear()

    def hear(self, tab, frame, now):
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "message.new":
            self._hear_message(tab, frame, now)
        elif kind == "error":
            self._hear_error(tab, frame)
        else:
            self.other_frames[str(kind)] += 1

    def _hear_message(self, tab, frame, now):
        message = frame.get("message")
        if not (
            isinstance(frame.get("thread"), int)
            and isinstance(frame.get("html"), str)
            and isinstance(message, dict)
            and MESSAGE_KEYS <= set(message)
            and isinstance(message["seq"], int)
            and isinstance(message["id"], int)
            and isinstance(message["created"], str)
            and isinstance(message["sender"], str)
            and isinstance(message["body"], str)
            and (message["client_id"] is None or isinstance(message["client_id"], str))
        ):
            self.malformed.append(f"tab {tab.number}: {json.dumps(frame)[:200]}")
            return
        # Keys beyond the contract's are allowed (clients ignore what they do not know), but reported.
        self.extra_message_keys.update(set(message) - MESSAGE_KEYS)
        self.seqs[tab.number, frame["thread"]].append(message["seq"])
        phase, client_id = self.phase, message["client_id"]
        sent = phase.sent.get(client_id) if phase else None
        if sent is None:
            self.unexpected += 1
            return
        if message["sender"] != sent.sender or frame["thread"] != sent.thread:
            self.malformed.append(f"tab {tab.number}: {client_id} came back with the wrong sender or thread")
        heard = phase.heard[client_id]
        heard[tab.number] += 1
        if heard[tab.number] == 1 and tab.number in sent.tabs and client_id not in phase.refused_ids:
            phase.latencies.append(now - sent.at)
            phase.last_delivery = now
            phase.outstanding -= 1
            if phase.outstanding == 0:
                phase.settled.set()
        if sent.sender == tab.username and sent.on_echo is not None:
            sent.on_echo()
            sent.on_echo = None

    def _hear_error(self, tab, frame):
        phase, client_id = self.phase, frame.get("client_id")
        if phase is None or client_id not in phase.sent:
            self.malformed.append(f"tab {tab.number}: error without a known client_id: {json.dumps(frame)[:200]}")
            return
        self.refuse(client_id, str(frame.get("code")))

    def refuse(self, client_id, code):
        """The message will never be delivered: count why, stop waiting for it, free its sender's slot."""
        phase, sent = self.phase, self.phase.sent[client_id]
        phase.refused[code] += 1
        if client_id in phase.refused_ids:
            return
        phase.refused_ids.add(client_id)
        phase.outstanding -= sum(1 for number in sent.tabs if not phase.heard[client_id][number])
        if phase.outstanding == 0:
            phase.settled.set()
        if sent.on_echo is not None:
            sent.on_echo()
            sent.on_echo = None

    def seq_report(self):
        """Per thread, seqs must be 1..n with none missing or repeated on any tab; arrival order may vary."""
        repeated = gaps = out_of_order = 0
        by_thread = defaultdict(set)
        for (_, thread), seqs in self.seqs.items():
            repeated += len(seqs) - len(set(seqs))
            out_of_order += sum(1 for earlier, later in zip(seqs, seqs[1:]) if later < earlier)
            by_thread[thread].update(seqs)
        for seqs in by_thread.values():
            gaps += len(set(range(1, max(seqs) + 1)) - seqs)
        return {"seq_repeated": repeated, "seq_gaps": gaps, "seq_out_of_order": out_of_order}


def process_cpu_seconds(pid):
    """User + system CPU time of a process so far, or None where /proc is not there to ask."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    # Nearest rank: the smallest value with at least `fraction` of all values at or below it.
    index = min(len(sorted_values), max(1, math.ceil(fraction * len(sorted_values)))) - 1
    return sorted_values[index]


def summarize(phase, seconds):
    latencies = sorted(phase.latencies)
    deliveries = len(latencies)
    duplicated = sum(count - 1 for heard in phase.heard.values() for count in heard.values() if count > 1)
    # Heard by a tab outside the conversation: a privacy failure, not merely a duplicate.
    strays = sum(
        count for client_id, heard in phase.heard.items()
        for number, count in heard.items() if number not in phase.sent[client_id].tabs
    )
    lost_messages = sum(
        1 for client_id, sent in phase.sent.items()
        if client_id not in phase.refused_ids and any(not phase.heard[client_id][number] for number in sent.tabs)
    )
    return {
        "messages": len(phase.sent),
        "deliveries": deliveries,
        "seconds": round(seconds, 3),
        "messages_per_s": round(len(phase.sent) / seconds, 1) if seconds else None,
        "deliveries_per_s": round(deliveries / seconds, 1) if seconds else None,
        "lost_deliveries": phase.outstanding,
        "lost_messages": lost_messages,
        "duplicated": duplicated,
        "misdelivered": strays,
        "refused": dict(phase.refused),
        "latency_ms": {
            name: (round(percentile(latencies, fraction) * 1000, 2) if latencies else None)
            for name, fraction in (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
    }


class LoadRun:
    """Opens every user's sockets against one target and runs the phases on them."""

    def __init__(self, target, *, tabs_per_user=1, settle_timeout=30.0):
        self.target = target
        self.ledger = Ledger()
        self.settle_timeout = settle_timeout
        usernames = sorted({name for members in target.threads.values() for name in members})
        one_per_tab = [name for name in usernames for _ in range(tabs_per_user)]
        self.tabs = [Tab(number, name) for number, name in enumerate(one_per_tab)]
        self.tabs_of = defaultdict(list)
        for tab in self.tabs:
            self.tabs_of[tab.username].append(tab)
        self.threads_of = defaultdict(list)
        for thread, members in sorted(target.threads.items()):
            for name in members:
                self.threads_of[name].append(thread)
        self.readers = []
        self.closing = False
        self.run_token = f"{time.time_ns() % 10**9:x}"

    async def __aenter__(self):
        opened = await asyncio.gather(*(self._open(tab) for tab in self.tabs), return_exceptions=True)
        failures = [outcome for outcome in opened if isinstance(outcome, BaseException)]
        if failures:
            await self.__aexit__(None, None, None)
            raise RuntimeError(f"{len(failures)} of {len(self.tabs)} sockets could not connect: {failures[0]!r}")
        self.readers = [asyncio.create_task(self._read(tab)) for tab in self.tabs]
        return self

    async def __aexit__(self, *exc_info):
        self.closing = True
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(tab.websocket.close() for tab in self.tabs if tab.websocket), return_exceptions=True)
        await asyncio.gather(*self.readers, return_exceptions=True)

    async def _open(self, tab):
        tab.websocket = await connect(
            self.target.url_for(tab.username),
            additional_headers=self.target.headers_for(tab.username),
            # Loopback only: never route through a proxy from the environment.
            proxy=None,
            compression=None,
            # A saturated server may be slow to answer pings; the phases bound the run's length instead.
            ping_interval=None,
            max_queue=None,
            open_timeout=30,
        )

    async def _read(self, tab):
        hear = self.ledger.hear
        try:
            async for text in tab.websocket:
                now = time.perf_counter()
                try:
                    frame = json.loads(text)
                except (TypeError, ValueError):
                    self.ledger.malformed.append(f"tab {tab.number}: not JSON: {str(text)[:120]}")
                    continue
                hear(tab, frame, now)
        except ConnectionClosed:
            pass
        if not self.closing:
            # The server hung up on a tab mid-run: whatever it was owed is lost, and the report says so.
            self.ledger.closed.append(f"tab {tab.number} ({tab.username}): {tab.websocket.close_code} "
                                      f"{tab.websocket.close_reason or ''}".strip())

    async def _send(self, username, number, thread, phase_name, on_echo=None):
        client_id = f"{phase_name}-{self.run_token}-{username}-{number}"
        tabs = frozenset(tab.number for name in self.target.threads[thread] for tab in self.tabs_of[name])
        body = f"Message {number} from {username}: the quick brown fox jumps over the lazy dog."
        frame = json.dumps({"type": "message.send", "thread": thread, "body": body, "client_id": client_id})
        self.ledger.expect(client_id, Sent(thread, username, tabs, time.perf_counter(), on_echo))
        try:
            # Bounded: a server that stops reading would otherwise hold the send forever.
            await asyncio.wait_for(self.tabs_of[username][0].websocket.send(frame), self.settle_timeout)
        except ConnectionClosed:
            self.ledger.refuse(client_id, "socket_closed")
        except TimeoutError:
            self.ledger.refuse(client_id, "send_timeout")

    async def _settle(self, phase):
        """Wait until every expected delivery arrived (or the timeout), then a short quiet spell for duplicates."""
        try:
            await asyncio.wait_for(phase.settled.wait(), self.settle_timeout)
        except TimeoutError:
            pass
        await asyncio.sleep(0.3)

    async def saturate(self, *, messages_per_user, window, round_number=1):
        """Every user sends as fast as the server takes it, with at most `window` unanswered messages each."""
        phase = self.ledger.start_phase()
        phase_name = f"sat{round_number}"  # client ids stay unique from round to round

        stalled = []

        async def user_sends(username):
            slots = asyncio.Semaphore(window)
            threads = self.threads_of[username]
            for number in range(messages_per_user):
                try:
                    await asyncio.wait_for(slots.acquire(), self.settle_timeout)
                except TimeoutError:
                    # No echo for that long: the server is stuck. Stop everyone; what was sent counts as lost.
                    stalled.append(username)
                if stalled:
                    return
                await self._send(username, number, threads[number % len(threads)], phase_name, slots.release)

        cpu_before = process_cpu_seconds(self.target.server_pid)
        start = time.perf_counter()
        await asyncio.gather(*(user_sends(name) for name in self.threads_of))
        await self._settle(phase)
        end = phase.last_delivery or time.perf_counter()
        cpu_after = process_cpu_seconds(self.target.server_pid)
        result = summarize(phase, end - start) | {"window_per_user": window, "stalled": bool(stalled)}
        if cpu_before is not None and cpu_after is not None and phase.sent:
            # CPU time, unlike wall time, hardly moves when other programs share the cores (and includes the
            # quiet spell after the last delivery, a few idle milliseconds).
            result["server_cpu_ms_per_message"] = round((cpu_after - cpu_before) * 1000 / len(phase.sent), 3)
            result["server_cpu_share"] = round((cpu_after - cpu_before) / (end - start), 2)
        return result

    async def steady(self, *, rate, duration, label="steady"):
        """Open-loop: `rate` messages a second in total, round-robin over the users, for `duration` seconds.

        A second steady phase on the same sockets needs a label of its own: its client_ids would
        otherwise repeat the first's, and the server answer them as retries.
        """
        phase = self.ledger.start_phase()
        senders = sorted(self.threads_of)
        total = max(1, round(rate * duration))
        start = time.perf_counter()
        late = 0.0
        for number in range(total):
            due = start + number / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late = max(late, -delay)
            username = senders[number % len(senders)]
            threads = self.threads_of[username]
            await self._send(username, number, threads[(number // len(senders)) % len(threads)], label)
        sending_seconds = time.perf_counter() - start
        await self._settle(phase)
        result = summarize(phase, sending_seconds)
        result["target_rate"] = rate
        result["achieved_rate"] = round(total / sending_seconds, 1) if sending_seconds else None
        result["client_max_lateness_ms"] = round(late * 1000, 2)
        return result

    def checks(self):
        return {
            "malformed": len(self.ledger.malformed),
            "malformed_examples": self.ledger.malformed[:3],
            "closed_by_server": self.ledger.closed,
            "unexpected": self.ledger.unexpected,
            "extra_message_keys": sorted(self.ledger.extra_message_keys),
            "other_frames": dict(self.ledger.other_frames),
            **self.ledger.seq_report(),
        }


async def measure(targets, *, rounds, messages_per_user, window, rate, duration, tabs_per_user=1, settle_timeout=30.0):
    """Saturation rounds taking turns between the targets, then each one's steady phase: {name: report}.

    Every target keeps one set of sockets for the whole run. Round after round, each target is saturated
    in turn, so a stretch of bad luck on a shared machine (another program taking the CPU) lands on one
    round of one target instead of on all of its figures.
    """
    # The ledger grows by a few objects per delivery, and the cyclic collector's passes over it slowed the
    # client enough to under-measure the raw server (by a third here). The run is bounded, so memory is too.
    gc.collect()
    gc.disable()
    try:
        async with contextlib.AsyncExitStack() as stack:
            runs = [
                await stack.enter_async_context(LoadRun(target, tabs_per_user=tabs_per_user, settle_timeout=settle_timeout))
                for target in targets
            ]
            rounds_of = {run.target.name: [] for run in runs}
            for round_number in range(1, rounds + 1):
                for run in runs:
                    rounds_of[run.target.name].append(
                        await run.saturate(messages_per_user=messages_per_user, window=window, round_number=round_number)
                    )
            reports = {}
            for run in runs:
                steady = await run.steady(rate=rate, duration=duration)
                reports[run.target.name] = {
                    "target": run.target.name, "sockets": len(run.tabs),
                    "saturation": median_round(rounds_of[run.target.name]),
                    "saturation_rounds": rounds_of[run.target.name], "steady": steady, "checks": run.checks(),
                }
            return reports
    finally:
        gc.enable()


def median_round(rounds):
    """The round with the median throughput (the lower middle one for an even count): a real round, all its figures."""
    ordered = sorted(rounds, key=lambda result: result["messages_per_s"] or 0)
    return ordered[(len(ordered) - 1) // 2]
