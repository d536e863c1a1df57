"""inbox.layers: Channels' in-memory layer with a sweep at most once a second, and channels-redis'
pub/sub layer with a batch publish (against the Redis of REDIS_URL)."""

import asyncio
import uuid

import pytest

from inbox.layers import InMemoryChannelLayer, RedisPubSubChannelLayer


@pytest.fixture
def clock(monkeypatch):
    """Control both clocks the layer reads: time.time (expiry stamps) and time.monotonic (the sweep)."""
    import channels.layers
    import inbox.layers

    now = {"t": 1_000_000.0}
    monkeypatch.setattr(channels.layers.time, "time", lambda: now["t"])
    monkeypatch.setattr(inbox.layers.time, "monotonic", lambda: now["t"])
    return now


def test_group_send_reaches_every_member_once():
    async def run():
        layer = InMemoryChannelLayer()
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("user.1", channel)
        outsider = await layer.new_channel()
        await layer.group_send("user.1", {"type": "frames", "texts": ["a"]})
        got = [await asyncio.wait_for(layer.receive(channel), 1) for channel in channels]
        assert got == [{"type": "frames", "texts": ["a"]}] * 3
        assert outsider not in layer.channels
        assert all(channel not in layer.channels for channel in channels)  # nothing left over

    asyncio.run(run())


def test_a_full_socket_loses_only_its_own_copy():
    async def run():
        layer = InMemoryChannelLayer(capacity=1)
        slow, fast = await layer.new_channel(), await layer.new_channel()
        for channel in (slow, fast):
            await layer.group_add("user.1", channel)
        await layer.group_send("user.1", {"type": "frames", "texts": ["1"]})
        assert await layer.receive(fast) == {"type": "frames", "texts": ["1"]}
        await layer.group_send("user.1", {"type": "frames", "texts": ["2"]})  # slow's queue is full
        assert await layer.receive(fast) == {"type": "frames", "texts": ["2"]}
        assert await layer.receive(slow) == {"type": "frames", "texts": ["1"]}
        assert layer.channels == {}

    asyncio.run(run())


def test_expired_messages_are_swept_at_most_a_second_late(clock):
    async def run():
        layer = InMemoryChannelLayer(expiry=60)
        gone, listener = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("user.1", gone)
        await layer.group_add("user.2", listener)
        await layer.send(gone, {"type": "frames", "texts": ["never read"]})
        layer._clean_expired()  # first sweep: nothing has expired yet

        clock["t"] += 60.5  # expired, but the last sweep was under a second ago...
        clock["t"] -= 0.6
        await layer.group_send("user.2", {"type": "frames", "texts": ["x"]})
        assert gone in layer.channels and "user.1" in layer.groups
        clock["t"] += 1.1  # ...and a second later it is swept, with its group membership
        await layer.group_send("user.2", {"type": "frames", "texts": ["y"]})
        assert gone not in layer.channels and gone not in layer.groups.get("user.1", {})
        assert [await layer.receive(listener) for _ in range(2)] == [
            {"type": "frames", "texts": ["x"]}, {"type": "frames", "texts": ["y"]}
        ]

    asyncio.run(run())


@pytest.mark.services
def test_a_batch_publish_reaches_every_group_in_order_and_no_one_else(redis_url):
    async def run():
        layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=f"test-layers-{uuid.uuid4().hex}")
        try:
            alice_tabs = [await layer.new_channel() for _ in range(2)]
            bob_tab, carol_tab = await layer.new_channel(), await layer.new_channel()
            for channel in alice_tabs:
                await layer.group_add("user.1", channel)
            await layer.group_add("user.2", bob_tab)
            await layer.group_add("user.3", carol_tab)
            for number in range(3):
                await layer.group_send_many({
                    "user.1": {"type": "frames", "texts": [f"to alice {number}"]},
                    "user.2": {"type": "frames", "texts": [f"to bob {number}", "unread"]},
                })
            for channel in alice_tabs:
                heard = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(3)]
                assert [event["texts"] for event in heard] == [[f"to alice {n}"] for n in range(3)]
            heard = [await asyncio.wait_for(layer.receive(bob_tab), 5) for _ in range(3)]
            assert [event["texts"] for event in heard] == [[f"to bob {n}", "unread"] for n in range(3)]
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(layer.receive(carol_tab), 0.3)
        finally:
            await layer.flush()

    asyncio.run(run())
