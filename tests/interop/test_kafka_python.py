"""kafka-python: KafkaProducer, and KafkaConsumer with assign() + seek_to_beginning and no group."""
import time

import pytest

kafka = pytest.importorskip("kafka", reason="kafka-python is not installed (pip install kafka-python)")
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from helpers import check_partitioned, make_messages  # noqa: E402


def test_produce_consume_10000(bootstrap, topic_name):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic_name, num_partitions=4, replication_factor=1)])
    finally:
        admin.close()
    messages = make_messages(10_000)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10, compression_type="gzip")
    try:
        futures = [producer.send(topic_name, key=k, value=v, headers=h) for k, v, h in messages]
        producer.flush(60)
        delivered = [f.get(timeout=30) for f in futures]
    finally:
        producer.close()
    assert len(delivered) == len(messages)

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    try:
        tps = [TopicPartition(topic_name, p) for p in range(4)]
        consumer.assign(tps)
        consumer.seek_to_beginning()
        consumed = []
        deadline = time.monotonic() + 60
        while len(consumed) < len(messages):
            assert time.monotonic() < deadline, f"consumed {len(consumed)} of {len(messages)} after 60s"
            for tp, records in consumer.poll(timeout_ms=1000, max_records=2000).items():
                for r in records:
                    consumed.append((tp.partition, r.offset, r.key, r.value, list(r.headers)))
        ends = consumer.end_offsets(tps)
    finally:
        consumer.close()
    check_partitioned(messages, consumed)
    assert sum(ends.values()) == len(messages)
    by_value = {v: (p, o) for p, o, _, v, _ in consumed}
    for md, (_, v, _) in zip(delivered, messages):
        assert by_value[v] == (md.partition, md.offset)


def test_single_partition_order(bootstrap, topic_name):
    messages = [(None, f"m{i}".encode(), []) for i in range(500)]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1)
    try:
        for _, v, _ in messages:
            producer.send(topic_name, value=v, partition=0)
        producer.flush(30)
    finally:
        producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic_name, 0)])
        consumer.seek_to_beginning()
        got = []
        deadline = time.monotonic() + 30
        while len(got) < len(messages):
            assert time.monotonic() < deadline
            for records in consumer.poll(timeout_ms=500).values():
                got += [(r.offset, r.key, r.value) for r in records]
    finally:
        consumer.close()
    assert got == [(i, None, v) for i, (_, v, _) in enumerate(messages)]
