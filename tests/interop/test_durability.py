"""Durability across restarts: acknowledged writes survive SIGKILL; SIGTERM leaves the clean-shutdown marker."""
import os

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from conftest import CLEAN_SHUTDOWN_MARKER  # noqa: E402
from test_confluent import consume_assigned  # noqa: E402


def produce_acked(bootstrap, topic, n, start=0):
    acked = {}
    errors = []

    def on_delivery(err, msg):
        if err is None:
            acked[msg.value()] = (msg.partition(), msg.offset())
        else:
            errors.append(err)

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    for i in range(start, start + n):
        p.produce(topic, key=f"k{i % 13}".encode(), value=f"durable-{i}".encode(), on_delivery=on_delivery)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(60) == 0
    assert not errors, errors[:5]
    return acked


def create_topic(bootstrap, topic, partitions):
    client = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the result is in
    client.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(timeout=20)


def consumed_positions(bootstrap, topic, partitions):
    return {v: (p, o) for p, o, _, v, _ in consume_assigned(bootstrap, topic, partitions)}


def test_acknowledged_writes_survive_sigkill(broker_factory):
    b = broker_factory(name="crash")
    topic = "durable"
    create_topic(b.bootstrap, topic, 3)
    acked = produce_acked(b.bootstrap, topic, 3000)
    b.restart(hard=True)
    assert not os.path.exists(os.path.join(b.log_dir, CLEAN_SHUTDOWN_MARKER)), "marker present after a crash"
    assert consumed_positions(b.bootstrap, topic, 3) == acked
    # The restarted broker keeps appending after what it recovered.
    acked.update(produce_acked(b.bootstrap, topic, 500, start=3000))
    b.restart(hard=True)
    assert consumed_positions(b.bootstrap, topic, 3) == acked


def test_clean_shutdown_and_restart(broker_factory):
    b = broker_factory(name="clean")
    topic = "clean"
    create_topic(b.bootstrap, topic, 2)
    acked = produce_acked(b.bootstrap, topic, 1000)
    b.stop_cleanly()
    assert os.path.exists(os.path.join(b.log_dir, CLEAN_SHUTDOWN_MARKER)), "no clean-shutdown marker after SIGTERM"
    b.start()
    log = b.log_text()
    assert "recover" not in log.lower(), f"restart after a clean shutdown logged recovery:\n{log}"
    assert "bootstrapped" not in log, "the metadata log was bootstrapped again"
    assert consumed_positions(b.bootstrap, topic, 2) == acked
    # Topics and their ids survive too.
    md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=10)
    assert sorted(md.topics[topic].partitions) == [0, 1]
