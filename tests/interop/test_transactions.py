"""Transactions: confluent-kafka and aiokafka transactional producers — commit/abort across topics, read_committed
vs read_uncommitted, consume-transform-produce with send_offsets_to_transaction (TxnOffsetCommit), fencing."""
import asyncio
import time
import uuid

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402

from test_confluent import consume_assigned, create  # noqa: E402


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def txn_producer(bootstrap, txn_id, **extra):
    conf = {"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5,
            "transaction.timeout.ms": 60000}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(30)
    return p


def values(bootstrap, topic, partitions, isolation):
    got = consume_assigned(bootstrap, topic, partitions, extra={"isolation.level": isolation})
    return sorted(v.decode() for _, _, _, v, _ in got)


def run_txn(p, topics, tag, n, commit):
    p.begin_transaction()
    for i in range(n):
        for t in topics:
            p.produce(t, key=str(i).encode(), value=f"{tag}-{t}-{i}".encode())
    p.flush(30)  # the records reach the log before an abort
    if commit:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)
    return sorted(f"{tag}-{t}-{i}" for t in topics for i in range(n))


def test_commit_abort_across_topics(bootstrap):
    a, b = unique("txn-a"), unique("txn-b")
    create(bootstrap, a, partitions=2)
    create(bootstrap, b, partitions=3)
    p = txn_producer(bootstrap, unique("tid"))
    committed = run_txn(p, [a, b], "t0", 10, commit=True)
    aborted = run_txn(p, [a, b], "t1", 10, commit=False)
    committed += run_txn(p, [a, b], "t2", 7, commit=True)
    # A last open transaction keeps its records invisible to read_committed (the LSO stops before them)...
    p.begin_transaction()
    p.produce(a, value=b"open-a")
    p.flush(30)
    p.abort_transaction(30)

    def split(vals):
        return sorted(v for v in vals if f"-{a}-" in v), sorted(v for v in vals if f"-{b}-" in v)

    rc_a = values(bootstrap, a, 2, "read_committed")
    rc_b = values(bootstrap, b, 3, "read_committed")
    want_a, want_b = split(committed)
    assert rc_a == want_a
    assert rc_b == want_b
    ru_a = values(bootstrap, a, 2, "read_uncommitted")
    ru_b = values(bootstrap, b, 3, "read_uncommitted")
    all_a, all_b = split(committed + aborted)
    assert ru_a == sorted(all_a + ["open-a"])
    assert ru_b == all_b


def group_consumer(bootstrap, group, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                  "session.timeout.ms": 10000})
    c.subscribe([topic])
    return c


def consume_n(c, n, timeout=30):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        assert time.monotonic() < deadline, f"got {len(out)} of {n} records"
        for m in c.consume(num_messages=n - len(out), timeout=1.0):
            if m.error():
                raise KafkaException(m.error())
            out.append(m)
    return out


def positions(c, topic, partitions):
    return {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in range(partitions)])}


def committed(c, topic, partitions):
    return {tp.partition: tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=20)}


def test_consume_transform_produce(bootstrap):
    src, dst, group = unique("ctp-in"), unique("ctp-out"), unique("ctp-group")
    create(bootstrap, src, partitions=2)
    create(bootstrap, dst, partitions=2)
    plain = Producer({"bootstrap.servers": bootstrap})
    for i in range(60):
        plain.produce(src, key=str(i).encode(), value=f"in-{i}".encode())
    assert plain.flush(30) == 0

    c = group_consumer(bootstrap, group, src)
    p = txn_producer(bootstrap, unique("ctp-tid"))
    try:
        out_committed = []
        # Round 1: committed — output and input offsets together.
        msgs = consume_n(c, 20)
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, key=m.key(), value=b"out-" + m.value())
        pos1 = positions(c, src, 2)
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        out_committed += [b"out-" + m.value() for m in msgs]
        assert committed(c, src, 2) == pos1

        # Round 2: aborted — the group's offsets do not move.
        msgs = consume_n(c, 20)
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, key=m.key(), value=b"out-" + m.value())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.flush(30)
        p.abort_transaction(30)
        assert committed(c, src, 2) == pos1

        # Round 3: rewind to the committed offsets (as an application does after an abort) and commit.
        for tp in c.assignment():
            c.seek(TopicPartition(src, tp.partition, pos1.get(tp.partition, 0)))
        msgs = consume_n(c, 40)
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, key=m.key(), value=b"out-" + m.value())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        out_committed += [b"out-" + m.value() for m in msgs]
        final = committed(c, src, 2)
        assert final == positions(c, src, 2)
        assert sum(final.values()) == 60
    finally:
        c.close()

    # Exactly once: every input record is in the committed output once.
    assert values(bootstrap, dst, 2, "read_committed") == sorted(f"out-in-{i}" for i in range(60))
    assert sorted(v.decode() for v in out_committed) == sorted(f"out-in-{i}" for i in range(60))
    # A fresh member of the group starts from the transactionally committed offsets: nothing left to read.
    c2 = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                   "isolation.level": "read_committed"})
    try:
        assert committed(c2, src, 2) == final
    finally:
        c2.close()


def test_second_producer_fences_first(bootstrap):
    t = unique("fence")
    create(bootstrap, t, partitions=1)
    tid = unique("fence-tid")
    p1 = txn_producer(bootstrap, tid)
    p1.begin_transaction()
    p1.produce(t, value=b"zombie")
    p1.flush(30)
    p2 = txn_producer(bootstrap, tid)  # bumps the epoch and aborts p1's open transaction
    with pytest.raises(KafkaException) as e:
        p1.produce(t, value=b"zombie-2")
        p1.flush(10)
        p1.commit_transaction(10)
    err = e.value.args[0]
    assert err.fatal() or err.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH), err
    p2.begin_transaction()
    p2.produce(t, value=b"survivor")
    p2.commit_transaction(30)
    assert values(bootstrap, t, 1, "read_committed") == ["survivor"]


def test_aiokafka_transactions(bootstrap):
    aiokafka = pytest.importorskip("aiokafka", reason="aiokafka is not installed (pip install aiokafka)")
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka import TopicPartition as ATP

    src, dst, group = unique("aio-in"), unique("aio-out"), unique("aio-group")
    create(bootstrap, src, partitions=1)
    create(bootstrap, dst, partitions=1)

    class Abort(Exception):
        pass

    async def main():
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=unique("aio-tid"))
        await producer.start()
        try:
            async with producer.transaction():
                for i in range(10):
                    await producer.send(src, value=f"in-{i}".encode())
            try:
                async with producer.transaction():
                    await producer.send_and_wait(src, value=b"aborted")
                    raise Abort()
            except Abort:
                pass
            # consume-transform-produce: input offsets committed with the output.
            tp = ATP(src, 0)
            consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                        auto_offset_reset="earliest", isolation_level="read_committed")
            await consumer.start()
            try:
                consumer.assign([tp])
                got = []
                while len(got) < 10:
                    batch = await consumer.getmany(tp, timeout_ms=1000)
                    got += batch.get(tp, [])
                assert [r.value for r in got] == [f"in-{i}".encode() for i in range(10)]
                async with producer.transaction():
                    for r in got[:6]:
                        await producer.send(dst, value=b"out-" + r.value)
                    await producer.send_offsets_to_transaction({tp: got[5].offset + 1}, group)
                assert await consumer.committed(tp) == got[5].offset + 1
                try:
                    async with producer.transaction():
                        for r in got[6:]:
                            await producer.send_and_wait(dst, value=b"out-" + r.value)
                        await producer.send_offsets_to_transaction({tp: got[9].offset + 1}, group)
                        raise Abort()
                except Abort:
                    pass
                assert await consumer.committed(tp) == got[5].offset + 1
            finally:
                await consumer.stop()
        finally:
            await producer.stop()

        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                  isolation_level="read_committed", enable_auto_commit=False)
        await reader.start()
        try:
            out = {}
            for topic in (src, dst):
                tp = ATP(topic, 0)
                reader.assign([tp])
                await reader.seek_to_beginning(tp)
                end = (await reader.end_offsets([tp]))[tp]
                vals = []
                while await reader.position(tp) < end:
                    batch = await reader.getmany(tp, timeout_ms=1000)
                    vals += [r.value for r in batch.get(tp, [])]
                out[topic] = vals
            return out
        finally:
            await reader.stop()

    out = asyncio.run(asyncio.wait_for(main(), 90))
    assert out[src] == [f"in-{i}".encode() for i in range(10)]
    assert out[dst] == [f"out-in-{i}".encode() for i in range(6)]
