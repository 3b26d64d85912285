"""Faust's Kafka transport, reading with ``isolation_level=read_committed``.

The poller publishes each batch of articles in a Kafka transaction; a batch
it could not commit (killed mid-batch, broker restart) is aborted and sent
again. Consumers reading uncommitted data would see the aborted copy too,
so every worker reads only committed records. Faust turns read_committed on
only together with its own transactional processing
(``processing_guarantee="exactly_once"``), which the stages do not need:
their outputs are idempotent by id. This transport sets it alone.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

ISOLATION_LEVEL = "read_committed"


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this to its fetcher in start(); set before the consumer starts.
        consumer._isolation_level = ISOLATION_LEVEL
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class ReadCommittedTransport(driver.Transport):
    Consumer = _Consumer


def use_read_committed(app: faust.App) -> None:
    """Make ``app``'s workers read only committed records."""
    app.transport = ReadCommittedTransport(app.conf.broker_consumer, app)
