"""Consumers subscribed to two two-partition topics. librdkafka lists the partitions of a Fetch starting from a
rotating position (A1, B0, B1, A0: a topic named twice, apart); the broker answers with one topic entry per run,
in request order, each partition with its own batches. Every record must arrive, with read_committed (aborted
transactions between them) and read_uncommitted, and no partition may be answered with a fragment."""
import logging
import re
import time
import uuid

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import Consumer, KafkaException, Producer  # noqa: E402

from test_confluent import create  # noqa: E402

ROUNDS = 12


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def two_topics(bootstrap):
    topics = [unique("order-a"), unique("order-b")]
    for t in topics:
        create(bootstrap, t, partitions=2)
    return topics


class History:
    """Rounds of writes to every partition: a plain record, then a transaction (every third one aborted). Returns,
    per (topic, partition), the values in log order with whether each is committed."""

    def __init__(self, bootstrap, topics):
        self.partitions = [(t, p) for t in topics for p in (0, 1)]
        self.log = {tp: [] for tp in self.partitions}
        self.plain = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        self.txn = Producer({"bootstrap.servers": bootstrap, "transactional.id": unique("tid"), "linger.ms": 0,
                             "transaction.timeout.ms": 60000})
        self.txn.init_transactions(30)

    def round(self, r):
        for (t, p) in self.partitions:
            self.send(self.plain, t, p, f"plain-{r}", True)
        self.plain.flush(30)
        commit = r % 3 != 1
        self.txn.begin_transaction()
        for (t, p) in self.partitions:
            self.send(self.txn, t, p, f"txn-{r}", commit)
        self.txn.flush(30)
        if commit:
            self.txn.commit_transaction(30)
        else:
            self.txn.abort_transaction(30)

    def send(self, producer, t, p, tag, committed):
        v = f"{tag}-{t}-{p}"
        producer.produce(t, partition=p, value=v.encode())
        self.log[(t, p)].append((v, committed))

    def expected(self, isolation):
        return {tp: [v for v, committed in rows if committed or isolation == "read_uncommitted"]
                for tp, rows in self.log.items()}


class Lines(logging.Handler):
    """librdkafka's debug log lines."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def fetches_naming_a_topic_apart(self):
        """Fetch requests that listed some topic twice with another between (debug=fetch logs each partition of a
        request as "Fetch topic T [p] at offset", then "Fetch n/n/n toppar(s)")."""
        count, listed = 0, []
        for line in self.lines:
            if m := re.search(r"Fetch topic (\S+) \[\d+\] at offset", line):
                listed.append(m.group(1))
            elif re.search(r"Fetch \d+/\d+/\d+ toppar", line):
                runs = [t for i, t in enumerate(listed) if i == 0 or listed[i - 1] != t]
                count += len(runs) > len(set(runs))
                listed = []
        return count


@pytest.mark.parametrize("isolation", ["read_committed", "read_uncommitted"])
def test_confluent_subscribed_to_two_topics(bootstrap, isolation):
    topics = two_topics(bootstrap)
    lines = Lines()
    log = logging.getLogger(unique("rdkafka"))
    log.addHandler(lines)
    log.setLevel(logging.DEBUG)
    log.propagate = False  # the debug lines are for the checks below, not the test report
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("order-group"), "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": isolation, "session.timeout.ms": 10000,
                  "fetch.wait.max.ms": 100, "debug": "fetch", "logger": log})
    got = {}

    def poll(timeout):
        for m in c.consume(num_messages=1000, timeout=timeout):
            if m.error():
                raise KafkaException(m.error())
            got.setdefault((m.topic(), m.partition()), []).append(m.value().decode())

    try:
        c.subscribe(topics)
        deadline = time.monotonic() + 30
        while len(c.assignment()) < 4:
            assert time.monotonic() < deadline, f"assignment {c.assignment()} after 30 s"
            poll(0.2)
        # Written while the consumer fetches, so that Fetch requests starting at every rotation find data.
        history = History(bootstrap, topics)
        for r in range(ROUNDS):
            history.round(r)
            poll(0.1)
        want = history.expected(isolation)
        while sum(len(v) for v in got.values()) < sum(len(v) for v in want.values()):
            assert time.monotonic() < deadline + 30, "timed out"
            poll(0.5)
    finally:
        c.close()
    counts = {f"{t}-{p}": len(got.get((t, p), [])) for (t, p) in want}
    assert got == want, f"records per partition: {counts}"
    # librdkafka grows its fetch size when a partition's records hold no whole batch; these batches are far
    # smaller than its limits, so that only happens when a partition is answered with a fragment.
    fragments = [line for line in lines.lines if "Increasing max fetch bytes" in line]
    assert not fragments, f"partitions answered with a fragment: {fragments[:4]}"
    assert lines.fetches_naming_a_topic_apart() > 0, "no Fetch listed a topic twice apart: the case was not exercised"


def test_kafka_python_subscribed_to_two_topics(bootstrap):
    kafka = pytest.importorskip("kafka", reason="kafka-python is not installed (pip install kafka-python)")
    topics = two_topics(bootstrap)
    history = History(bootstrap, topics)
    for r in range(ROUNDS):
        history.round(r)
    want = history.expected("read_committed")
    consumer = kafka.KafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=unique("order-kp"),
                                   enable_auto_commit=False, auto_offset_reset="earliest",
                                   isolation_level="read_committed")
    got = {}
    try:
        deadline = time.monotonic() + 30
        while sum(len(v) for v in got.values()) < sum(len(v) for v in want.values()):
            assert time.monotonic() < deadline, "timed out"
            for tp, records in consumer.poll(timeout_ms=500).items():
                got.setdefault((tp.topic, tp.partition), []).extend(r.value.decode() for r in records)
    finally:
        consumer.close()
    counts = {f"{t}-{p}": len(got.get((t, p), [])) for (t, p) in want}
    assert got == want, f"records per partition: {counts}"
