"""Parley's channel layers: Channels' in-memory one and channels-redis' pub/sub one, each made cheaper per push.

inbox.events sends a message's pushes as one batch (one event per person); group_send_many, where
a layer has it, takes the whole batch at once.
"""

import asyncio
import logging
import time

from channels import layers
from channels.exceptions import ChannelFull
from channels_redis import pubsub

logger = logging.getLogger(__name__)

# The event every local socket's consumer gets when its process is subscribed again after losing Redis.
RECONNECTED_EVENT = {"type": "layer.reconnected"}


class InMemoryChannelLayer(layers.InMemoryChannelLayer):
    """Channels' in-memory layer, with its expiry sweep run at most once a second.

    Channels sweeps every socket's queue and every group on each receive and each group_send:
    work that grows with the number of open sockets, on every frame pushed (about 5 % of a
    daphne process's CPU with 50 sockets in the delivery benchmark). A message expires after
    `expiry` seconds (60) and a membership after `group_expiry` (a day), so a sweep up to a second
    late drops nothing that should have been delivered. group_send puts the message straight on
    each member's queue instead of starting a task per socket: send never waits, and a full
    queue drops the message for that socket only, as before.
    """

    sweep_interval = 1.0
    _next_sweep = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_interval
        super()._clean_expired()

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            try:
                await self.send(channel, message)
            except ChannelFull:
                pass


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """channels-redis' pub/sub layer, plus group_send_many: a batch of group sends in one round trip per shard.

    group_send publishes to one group per round trip, one after the other (channels-redis holds a
    lock per shard): two round trips for a 1:1 message, 64 for a message to a full group. Here the
    batch's PUBLISHes go down one pipeline, in order, under the same lock: 10 % less CPU a message
    in the delivery benchmark. This reaches into channels-redis 4.3's shard objects (_get_layer,
    _get_group_channel_name, _get_shard, and a shard's _lock, _ensure_redis and _redis), which is
    why requirements.txt pins it; tests/inbox/test_layers.py checks the batch against a real Redis.
    """

    async def group_send_many(self, messages_by_group):
        """group_send for every (group, message) of the dict, in its order."""
        layer = self._get_layer()
        by_shard = {}
        for group, message in messages_by_group.items():
            channel = layer._get_group_channel_name(group)
            by_shard.setdefault(layer._get_shard(channel), []).append((channel, self.serialize(message)))
        for shard, items in by_shard.items():
            async with shard._lock:
                shard._ensure_redis()
                async with shard._redis.pipeline(transaction=False) as pipe:
                    for channel, data in items:
                        pipe.publish(channel, data)
                    await pipe.execute()

    def _get_layer(self):
        layer = super()._get_layer()
        for shard in layer._shards:
            if type(shard) is pubsub.RedisSingleShardConnection:
                shard.__class__ = ReconnectAwareShard
        return layer


class ReconnectAwareShard(pubsub.RedisSingleShardConnection):
    """A shard's connection that tells every local socket when it is subscribed again after losing Redis.

    Pub/sub delivers to whoever is subscribed at the moment of a PUBLISH: what other processes
    pushed while this one was cut off is gone, and a socket would only notice at its next gap or
    reconnect, possibly minutes later. redis-py subscribes again by itself once Redis answers;
    this receive loop (channels-redis' own, plus the bookkeeping) sees the first read that works
    after one that failed and puts RECONNECTED_EVENT on every local channel, so each consumer can
    tell its client to sync. The database is the log, so a sync then brings everything.
    """

    async def _do_receiving(self):
        lost = False
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    if lost:
                        lost = False
                        logger.warning("Subscribed to Redis again; asking local sockets to sync")
                        self._tell_local_channels()
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, asyncio.TimeoutError, GeneratorExit):
                raise
            except Exception as error:
                if not lost:
                    logger.warning("Lost the Redis channel layer (%s); pushes are missed until it is back", type(error).__name__)
                lost = True
                await asyncio.sleep(0.2)

    def _tell_local_channels(self):
        # Every local channel, not only this shard's: a socket's group may live on this shard when its own
        # channel does not. One sync too many costs a query; one too few loses messages.
        data = self.channel_layer.channel_layer.serialize(RECONNECTED_EVENT)
        for queue in list(self.channel_layer.channels.values()):
            queue.put_nowait(data)
