"""1,000 concurrent producer connections against one broker, and the open-file limit the broker runs with.

Kafka brokers serve thousands of clients; the JVM raises the soft RLIMIT_NOFILE to the hard limit at start-up
(-XX:+MaxFDLimit) so a 1024 soft default does not cap them. Tributary does the same (Sources/tributary/
FileLimit.swift); the second test starts it with a soft limit of 1024 and reads /proc/<pid>/limits.
"""
import asyncio
import collections
import os
import resource
import subprocess
import tempfile
import time

import pytest

aiokafka = pytest.importorskip("aiokafka", reason="aiokafka is not installed (pip install aiokafka)")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from conftest import BrokerProcess, _cleanup  # noqa: E402
from test_aiokafka import create_topic  # noqa: E402

PRODUCERS = 1_000
RECORDS_PER_PRODUCER = 20
PARTITIONS = 6
# Generous bounds per phase: a debug build on two shared cores; no timing is asserted.
START_TIMEOUT = 240
SEND_TIMEOUT = 240
STOP_TIMEOUT = 120
CONSUME_TIMEOUT = 120


def ensure_fd_room(needed):
    """Each producer holds at least one socket in this process too: if the soft limit is below `needed`, raise
    it to the hard limit (the broker, a child, inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print(f"raised this process's open-file soft limit from {soft} to {hard}")
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < needed:
        pytest.skip(f"open-file hard limit {hard} is below the {needed} this test needs")


def open_sockets(pid):
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass  # closed between listdir and readlink
    return count


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return line.split(":", 1)[1].strip()
    return "?"


async def produce_from_many(bootstrap, topic, broker_pid):
    """Starts every producer, then sends from all of them at once, counts the broker's sockets while all are
    still connected, then stops them. Returns {(key, value): (producer, seq, partition, offset)}."""
    producers = [AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                  request_timeout_ms=120_000) for _ in range(PRODUCERS)]
    acked = {}
    t0 = time.monotonic()
    try:
        started = await asyncio.wait_for(
            asyncio.gather(*(p.start() for p in producers), return_exceptions=True), START_TIMEOUT)
        failures = [e for e in started if isinstance(e, BaseException)]
        assert not failures, f"{len(failures)} producers failed to start, first: {failures[0]!r}"
        print(f"\n{PRODUCERS} producers started in {time.monotonic() - t0:.1f}s; broker sockets "
              f"{open_sockets(broker_pid)}, RSS {rss(broker_pid)}")

        async def send_all(index, producer):
            futures = []
            for seq in range(RECORDS_PER_PRODUCER):
                record = f"{index}-{seq}".encode()
                futures.append((seq, record, await producer.send(topic, key=record, value=record)))
            for seq, record, future in futures:
                md = await future
                acked[(record, record)] = (index, seq, md.partition, md.offset)

        t1 = time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(*(send_all(i, p) for i, p in enumerate(producers))), SEND_TIMEOUT)
        sockets = open_sockets(broker_pid)
        print(f"{len(acked)} records acknowledged in {time.monotonic() - t1:.1f}s; with all {PRODUCERS} "
              f"producers connected the broker has {sockets} open sockets, RSS {rss(broker_pid)}")
        assert sockets >= PRODUCERS, f"broker holds {sockets} sockets with {PRODUCERS} producers connected"
    finally:
        t2 = time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(*(p.stop() for p in producers), return_exceptions=True), STOP_TIMEOUT)
        print(f"producers stopped in {time.monotonic() - t2:.1f}s; broker sockets {open_sockets(broker_pid)}")
    return acked


async def consume_all(bootstrap, topic, expected):
    """Every record of the topic, as [(partition, offset, key, value)] in each partition's order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    consumed = []
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)

        async def drain():
            while len(consumed) < expected:
                result = await consumer.getmany(timeout_ms=1000, max_records=5000)
                for tp, records in result.items():
                    consumed.extend((tp.partition, r.offset, r.key, r.value) for r in records)
            # A moment more, so that a duplicate past the expected count would show.
            result = await consumer.getmany(timeout_ms=1000)
            for tp, records in result.items():
                consumed.extend((tp.partition, r.offset, r.key, r.value) for r in records)

        await asyncio.wait_for(drain(), CONSUME_TIMEOUT)
    finally:
        await consumer.stop()
    return consumed


def test_thousand_producer_connections(broker_factory, topic_name):
    ensure_fd_room(PRODUCERS + 200)
    broker = broker_factory(name="conns")
    pid = broker.proc.pid
    asyncio.run(create_topic(broker.bootstrap, topic_name, PARTITIONS))
    acked = asyncio.run(produce_from_many(broker.bootstrap, topic_name, pid))
    total = PRODUCERS * RECORDS_PER_PRODUCER
    assert len(acked) == total, f"{len(acked)} of {total} records acknowledged"

    consumed = asyncio.run(consume_all(broker.bootstrap, topic_name, total))
    # The exact multiset: every acknowledged record once, nothing else.
    counts = collections.Counter((k, v) for _, _, k, v in consumed)
    duplicated = [kv for kv, n in counts.items() if n > 1]
    missing = [kv for kv in acked if kv not in counts]
    unexpected = [kv for kv in counts if kv not in acked]
    assert not duplicated, f"{len(duplicated)} records duplicated, e.g. {duplicated[:5]}"
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:5]}"
    assert not unexpected, f"{len(unexpected)} records never sent, e.g. {unexpected[:5]}"
    assert counts == collections.Counter(acked.keys())

    # Each record where its acknowledgement said, and per producer and partition in send order.
    last_seq = {}
    for partition, offset, k, v in consumed:
        index, seq, acked_partition, acked_offset = acked[(k, v)]
        assert (partition, offset) == (acked_partition, acked_offset), (k, partition, offset, acked_partition, acked_offset)
        previous = last_seq.get((index, partition), -1)
        assert seq > previous, f"producer {index} partition {partition}: seq {seq} read after {previous}"
        last_seq[(index, partition)] = seq
    per_partition = collections.Counter(p for p, _, _, _ in consumed)
    print(f"consumed {len(consumed)} records; per partition {dict(sorted(per_partition.items()))}; "
          f"broker RSS {rss(pid)}")
    # The closed connections' sockets should be gone; printed, not asserted (the broker closes them as it
    # notices each end of stream).
    for _ in range(50):
        if open_sockets(pid) < 50:
            break
        time.sleep(0.1)
    print(f"after every client stopped the broker has {open_sockets(pid)} open sockets")
    assert broker.alive(), broker.log_text()[-4000:]


def test_broker_raises_soft_open_file_limit(request):
    """Started with soft RLIMIT_NOFILE 1024 (hard unchanged), the broker runs with soft = hard."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 1024:
        pytest.skip(f"hard open-file limit {hard} leaves nothing to raise")

    def lower_soft_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    base = tempfile.mkdtemp(prefix="tributary-interop-fdlimit-")
    broker = BrokerProcess(os.path.join(base, "data"), name="fdlimit")
    # BrokerProcess.launch has no preexec hook: the same command and log file, started here with one.
    log_path = os.path.join(base, "fdlimit-1.log")
    broker.log_paths.append(log_path)
    broker.starts = 1
    with open(log_path, "wb") as log:
        broker.proc = subprocess.Popen(broker.command(), stdout=log, stderr=subprocess.STDOUT, cwd=base,
                                       preexec_fn=lower_soft_limit)
    try:
        broker.wait_ready()
        with open(f"/proc/{broker.proc.pid}/limits") as f:
            line = next(line for line in f if line.startswith("Max open files"))
        soft_now, hard_now = line.split()[3:5]
        print(f"\nbroker /proc limits: {line.strip()}")
        expected = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        assert (soft_now, hard_now) == (expected, expected), line
        assert f"raised the open-file limit from 1024 to {hard}" in broker.log_text(), broker.log_text()[-4000:]
        broker.stop_cleanly()
    finally:
        try:
            broker.kill()
        finally:
            _cleanup(request, base, broker)
