"""aiokafka: AIOKafkaProducer, and AIOKafkaConsumer with assign() and no group."""
import asyncio

import pytest

aiokafka = pytest.importorskip("aiokafka", reason="aiokafka is not installed (pip install aiokafka)")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from helpers import check_partitioned, make_messages  # noqa: E402


async def produce_and_consume(bootstrap, topic, messages, partitions):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=10, compression_type="gzip")
    await producer.start()
    try:
        batch = []
        for k, v, h in messages:
            batch.append(await producer.send(topic, key=k, value=v, headers=h))
        delivered = await asyncio.gather(*batch)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        consumed = []
        async def drain():
            while len(consumed) < len(messages):
                result = await consumer.getmany(timeout_ms=1000, max_records=2000)
                for tp, records in result.items():
                    consumed.extend((tp.partition, r.offset, r.key, r.value, list(r.headers)) for r in records)
        await asyncio.wait_for(drain(), 60)
    finally:
        await consumer.stop()
    return delivered, consumed


async def create_topic(bootstrap, topic, partitions):
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


def test_produce_consume(bootstrap, topic_name):
    asyncio.run(create_topic(bootstrap, topic_name, 3))
    messages = make_messages(5_000)
    delivered, consumed = asyncio.run(produce_and_consume(bootstrap, topic_name, messages, 3))
    check_partitioned(messages, consumed)
    by_value = {v: (p, o) for p, o, _, v, _ in consumed}
    for md, (_, v, _) in zip(delivered, messages):
        assert by_value[v] == (md.partition, md.offset)
