"""Log compaction with real clients: a compacted topic cleaned by the broker's cleaner reads back as the last value of
each live key, offsets kept; keyless records refused; read_committed over a compacted transactional topic; a
consumer reading while the cleaner works."""
import random
import time

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

# The cleaner looks for work often; tombstones and markers outlive their first cleaning by one second.
OVERRIDES = ["log.cleaner.backoff.ms=200"]
TOPIC_CONFIG = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "1000",
                "segment.ms": "200"}


@pytest.fixture
def compacting_broker(broker_factory):
    return broker_factory(overrides=OVERRIDES, name="compaction")


def create_topic(bootstrap, topic, config):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=config)],
                                  operation_timeout=10, request_timeout=15)
    futures[topic].result(timeout=20)


def produce(bootstrap, topic, records, extra=None):
    """Produces (key, value) pairs in order; returns {offset: (key, value)}."""
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all", "enable.idempotence": True,
            "queue.buffering.max.messages": 200_000}
    conf.update(extra or {})
    p = Producer(conf)
    stored, errors = {}, []

    def done(err, msg):
        if err is not None:
            errors.append(err)
        else:
            stored[msg.offset()] = (msg.key(), msg.value())

    for key, value in records:
        while True:
            try:
                p.produce(topic, key=key, value=value, on_delivery=done)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(60) == 0
    assert not errors, errors[:3]
    return stored


def roll_and_seal(bootstrap, topic):
    """Waits past segment.ms and writes one record of a fresh key, so every earlier record is in a rolled segment
    the cleaner may take; returns its offset."""
    time.sleep(0.5)
    return max(produce(bootstrap, topic, [(b"sentinel", b"end")]))


def read_all(bootstrap, topic, isolation="read_uncommitted", timeout=30):
    """Every record from the start to the end offset: [(offset, key, value)]."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic}-{random.random()}", "enable.auto.commit": False,
                  "isolation.level": isolation, "auto.offset.reset": "earliest"})
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        c.assign([TopicPartition(topic, 0, 0)])
        out, deadline = [], time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is None:
                if last >= high - 1 or (out and c.position([TopicPartition(topic, 0)])[0].offset >= high):
                    break
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    break
                raise KafkaException(msg.error())
            out.append((msg.offset(), msg.key(), msg.value()))
            last = msg.offset()
            if last >= high - 1:
                break
        return out
    finally:
        c.close()


def expected_compacted(stored, keep_tombstones=False):
    last = {}
    for offset in sorted(stored):
        key, value = stored[offset]
        last[key] = (offset, key, value)
    return sorted(r for r in last.values() if keep_tombstones or r[2] is not None)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result is True:
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}: {result}")


def test_100k_updates_over_1000_keys_compact_to_the_last_live_values(compacting_broker, topic_name):
    bootstrap = compacting_broker.bootstrap
    create_topic(bootstrap, topic_name, TOPIC_CONFIG)
    rng = random.Random(12)
    records = []
    for i in range(100_000):
        key = f"key-{rng.randrange(1000):04d}".encode()
        value = None if i % 37 == 0 else f"value-{i}".encode()
        records.append((key, value))
    stored = produce(bootstrap, topic_name, records)
    sentinel = roll_and_seal(bootstrap, topic_name)
    stored[sentinel] = (b"sentinel", b"end")
    expected = expected_compacted(stored)
    assert 0 < len(expected) <= 1001

    state = {}

    def compacted():
        got = read_all(bootstrap, topic_name)
        state["got"] = got
        return True if got == expected else f"{len(got)} records read, {len(expected)} expected"

    wait_for(compacted, 90, "the cleaner to compact the topic and drop its tombstones")
    got = state["got"]
    # Offsets preserved and in order; each one holds what the producer wrote there.
    assert [o for o, _, _ in got] == sorted(o for o, _, _ in got)
    assert all(stored[o] == (k, v) for o, k, v in got)
    assert "cleaned " + topic_name in compacting_broker.log_text()


def test_keyless_records_are_refused_by_a_compacted_topic(compacting_broker, topic_name):
    bootstrap = compacting_broker.bootstrap
    create_topic(bootstrap, topic_name, TOPIC_CONFIG)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "retries": 0})
    errors = []
    p.produce(topic_name, value=b"no key", on_delivery=lambda err, msg: errors.append(err))
    p.flush(30)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.INVALID_RECORD


def test_read_committed_over_a_compacted_transactional_topic(compacting_broker, topic_name):
    bootstrap = compacting_broker.bootstrap
    create_topic(bootstrap, topic_name, TOPIC_CONFIG)
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"tx-{topic_name}", "linger.ms": 5})
    p.init_transactions(30)
    committed = {}
    rng = random.Random(5)
    for round_ in range(40):
        p.begin_transaction()
        batch = [(f"k{rng.randrange(50)}".encode(), f"r{round_}-{i}".encode()) for i in range(25)]
        for key, value in batch:
            p.produce(topic_name, key=key, value=value)
        if round_ % 3 == 2:
            p.abort_transaction(30)
        else:
            p.commit_transaction(30)
            for key, value in batch:
                committed[key] = value
    p.flush(30)
    roll_and_seal(bootstrap, topic_name)
    committed[b"sentinel"] = b"end"

    def compacted():
        got = read_all(bootstrap, topic_name, isolation="read_committed")
        values = {k: v for _, k, v in got}
        if values != committed:
            return f"{len(values)} keys read, {len(committed)} expected"
        # Once cleaned, each key appears once and no aborted value is anywhere (read_uncommitted sees the log as is).
        raw = read_all(bootstrap, topic_name)
        keys = [k for _, k, _ in raw]
        if len(keys) != len(set(keys)):
            return f"{len(keys) - len(set(keys))} superseded records still in the log"
        assert all(committed.get(k) == v for _, k, v in raw)
        return True

    wait_for(compacted, 90, "a read_committed view of the compacted topic")


def test_kafka_python_consumer_reads_consistently_while_the_cleaner_works(compacting_broker, topic_name):
    kafka = pytest.importorskip("kafka", reason="kafka-python is not installed")
    bootstrap = compacting_broker.bootstrap
    create_topic(bootstrap, topic_name, TOPIC_CONFIG)
    rng = random.Random(3)
    stored = {}
    for round_ in range(5):
        records = [(f"key-{rng.randrange(300)}".encode(), f"v{round_}-{i}".encode()) for i in range(10_000)]
        stored.update(produce(bootstrap, topic_name, records))
        time.sleep(0.3)
    sentinel = roll_and_seal(bootstrap, topic_name)
    stored[sentinel] = (b"sentinel", b"end")
    # Read slowly from the start while the cleaner rewrites the segments under the consumer, several times.
    for attempt in range(3):
        consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                       auto_offset_reset="earliest", max_poll_records=200, fetch_max_bytes=65536)
        try:
            tp = kafka.TopicPartition(topic_name, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            seen, deadline = [], time.monotonic() + 60
            while time.monotonic() < deadline and (not seen or seen[-1][0] < sentinel):
                for records in consumer.poll(timeout_ms=500).values():
                    seen += [(r.offset, r.key, r.value) for r in records]
                time.sleep(0.01)
        finally:
            consumer.close()
        offsets = [o for o, _, _ in seen]
        assert offsets == sorted(set(offsets)), "offsets went backwards or repeated"
        assert seen and seen[-1][0] == sentinel
        assert all(stored[o] == (k, v) for o, k, v in seen), "a record differs from what was produced at its offset"
        # Whatever the cleaner had done, the latest value of every key is there.
        latest = {k: v for _, k, v in expected_compacted(stored)}
        assert {k: v for _, k, v in seen if latest.get(k) == v} == latest


def test_sigkill_while_cleaning_loses_nothing(broker_factory, topic_name):
    """kill -9 at random moments while the cleaner works, restart, check: every record read is what was acknowledged
    at its offset, the latest acknowledged record of every key is there, offsets only grow; after a clean stop no
    .cleaned/.swap file is left."""
    import os
    broker = broker_factory(overrides=OVERRIDES, name="compaction-kill")
    create_topic(broker.bootstrap, topic_name, TOPIC_CONFIG)
    rng = random.Random(99)
    acked = {}
    for round_ in range(6):
        records = [(f"key-{rng.randrange(200)}".encode(), f"r{round_}-{i}".encode()) for i in range(20_000)]
        acked.update(produce(broker.bootstrap, topic_name, records))
        time.sleep(0.3)
        roll_and_seal(broker.bootstrap, topic_name)
        time.sleep(rng.uniform(0.0, 1.5))
        broker.kill()
        broker.start(timeout=30)
        got = read_all(broker.bootstrap, topic_name, timeout=60)
        offsets = [o for o, _, _ in got]
        assert offsets == sorted(set(offsets))
        present = {o: (k, v) for o, k, v in got}
        assert all(acked[o] == kv for o, kv in present.items() if o in acked)
        latest = {}
        for o in sorted(acked):
            latest[acked[o][0]] = o
        for key, o in latest.items():
            assert present.get(o) == acked[o], f"round {round_}: latest record of {key} at {o} lost"
    assert "cleaned " + topic_name in broker.all_logs()
    # A clean shutdown stops the cleaner between batches and removes what it had half written.
    broker.stop_cleanly()
    partition_dir = os.path.join(broker.log_dir, f"{topic_name}-0")
    leftovers = [n for n in os.listdir(partition_dir) if n.endswith((".cleaned", ".swap"))]
    assert not leftovers, leftovers


def test_confluent_consumer_reads_consistently_while_the_cleaner_works(compacting_broker, topic_name):
    bootstrap = compacting_broker.bootstrap
    create_topic(bootstrap, topic_name, TOPIC_CONFIG)
    rng = random.Random(8)
    stored = {}
    for round_ in range(5):
        records = [(f"key-{rng.randrange(300)}".encode(), f"v{round_}-{i}".encode()) for i in range(10_000)]
        stored.update(produce(bootstrap, topic_name, records))
        time.sleep(0.3)
    sentinel = roll_and_seal(bootstrap, topic_name)
    stored[sentinel] = (b"sentinel", b"end")
    latest = {k: v for _, k, v in expected_compacted(stored)}
    for attempt in range(3):
        # Small fetches, so the consumer is mid-log while segments are swapped under it.
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic_name}-{attempt}", "enable.auto.commit": False,
                      "fetch.max.bytes": 1048576, "message.max.bytes": 1048576, "max.partition.fetch.bytes": 16384, "auto.offset.reset": "earliest"})
        try:
            c.assign([TopicPartition(topic_name, 0, 0)])
            seen, deadline = [], time.monotonic() + 60
            while time.monotonic() < deadline and (not seen or seen[-1][0] < sentinel):
                msg = c.poll(0.5)
                if msg is None or msg.error():
                    continue
                seen.append((msg.offset(), msg.key(), msg.value()))
        finally:
            c.close()
        offsets = [o for o, _, _ in seen]
        assert offsets == sorted(set(offsets)), "offsets went backwards or repeated"
        assert seen and seen[-1][0] == sentinel
        assert all(stored[o] == (k, v) for o, k, v in seen)
        assert {k: v for _, k, v in seen if latest.get(k) == v} == latest
