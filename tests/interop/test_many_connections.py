"""1,000 concurrent producer connections against one broker, the open-file limit the broker runs with, and the
connection limits.

Kafka brokers serve thousands of clients; the JVM raises the soft RLIMIT_NOFILE to the hard limit at start-up
(-XX:+MaxFDLimit) so a 1024 soft default does not cap them. Tributary does the same (Sources/tributary/
FileLimit.swift); the second test starts it with a soft limit of 1024 and reads /proc/<pid>/limits.

The others: a broker with only 512 descriptors survives 650 connections (its client limit is capped to fit the
descriptor table, Sources/KafkaServer/Network/DescriptorBudget.swift), max.connections.per.ip closes the
connection over it, and max.connections makes the next connection wait until one closes.
"""
import asyncio
import collections
import contextlib
import os
import re
import resource
import select
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

aiokafka = pytest.importorskip("aiokafka", reason="aiokafka is not installed (pip install aiokafka)")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

import kafka_wire as w  # noqa: E402
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


@contextlib.contextmanager
def broker_with_file_limit(request, name, soft, hard, overrides=()):
    """A broker started with RLIMIT_NOFILE (soft, hard), stopped cleanly (exit 0, "shut down cleanly") at the end
    unless the test stopped it. BrokerProcess.launch has no preexec hook: the same command and log file, started
    here with one."""
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    base = tempfile.mkdtemp(prefix=f"tributary-interop-{name}-")
    broker = BrokerProcess(os.path.join(base, "data"), overrides=overrides, name=name)
    log_path = os.path.join(base, f"{name}-1.log")
    broker.log_paths.append(log_path)
    broker.starts = 1
    with open(log_path, "wb") as log:
        broker.proc = subprocess.Popen(broker.command(), stdout=log, stderr=subprocess.STDOUT, cwd=base,
                                       preexec_fn=set_limit)
    try:
        broker.wait_ready()
        yield broker
        if broker.alive():
            broker.stop_cleanly()
    finally:
        try:
            broker.kill()
        finally:
            _cleanup(request, base, broker)


def test_broker_raises_soft_open_file_limit(request):
    """Started with soft RLIMIT_NOFILE 1024 (hard unchanged), the broker runs with soft = hard."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 1024:
        pytest.skip(f"hard open-file limit {hard} leaves nothing to raise")
    with broker_with_file_limit(request, "fdlimit", 1024, hard) as broker:
        with open(f"/proc/{broker.proc.pid}/limits") as f:
            line = next(line for line in f if line.startswith("Max open files"))
        soft_now, hard_now = line.split()[3:5]
        print(f"\nbroker /proc limits: {line.strip()}")
        expected = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        assert (soft_now, hard_now) == (expected, expected), line
        assert f"raised the open-file limit from 1024 to {hard}" in broker.log_text(), broker.log_text()[-4000:]


# --- connection limits ------------------------------------------------------------------------------------------


def ask_api_versions(sock, correlation_id, timeout=20.0):
    """Sends ApiVersions v0 on `sock` and waits at most `timeout` for its answer: True when answered, False when
    nothing came (the connection is not served); raises ConnectionError when the broker closed it."""
    sock.settimeout(timeout)
    sock.sendall(w.frame(w.request_header_v1(18, 0, correlation_id)))
    try:
        answered_id, error_code, _ = w.parse_api_versions_v0(w.read_response(sock))
    except socket.timeout:
        return False
    assert (answered_id, error_code) == (correlation_id, 0)
    return True


def ask_metadata(sock, correlation_id, timeout=20.0):
    sock.settimeout(timeout)
    sock.sendall(w.metadata_v1(correlation_id, []))
    answered_id = struct.unpack(">i", w.read_response(sock)[:4])[0]
    assert answered_id == correlation_id


def loopback(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def wait_for_no_client_connections(broker, listeners=1):
    """Until the broker holds only its listening sockets: the readiness probe's connection is closed and no
    longer counted against a limit (bounded)."""
    for _ in range(200):
        if open_sockets(broker.proc.pid) <= listeners:
            return
        time.sleep(0.05)
    raise AssertionError(f"broker still holds {open_sockets(broker.proc.pid)} sockets")


def open_file_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


FLOOD = 650


class RequestLoad:
    """Connections opened beforehand that keep sending pipelined Metadata requests from threads until stopped
    (bounded by a deadline), so that the broker's concurrency pool always has work queued."""

    def __init__(self, port, connections=8, pipeline=20, deadline=180.0):
        self.socks = [loopback(port) for _ in range(connections)]
        self.pipeline = pipeline
        self.deadline = time.monotonic() + deadline
        self.stopped = threading.Event()
        self.answered = [0] * connections
        self.errors = []
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(connections)]

    def _run(self, i):
        sock = self.socks[i]
        sock.settimeout(30)
        correlation_id = 0
        try:
            while not self.stopped.is_set() and time.monotonic() < self.deadline:
                sock.sendall(b"".join(w.metadata_v1(correlation_id + k, None) for k in range(self.pipeline)))
                for k in range(self.pipeline):
                    answered_id = struct.unpack(">i", w.read_response(sock)[:4])[0]
                    assert answered_id == correlation_id + k, (answered_id, correlation_id + k)
                correlation_id += self.pipeline
                self.answered[i] += self.pipeline
        except Exception as e:  # reported by stop()
            self.errors.append(f"connection {i}: {e!r}")

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopped.set()
        for t in self.threads:
            t.join()
        for s in self.socks:
            s.close()
        assert not self.errors, self.errors
        return sum(self.answered)


def test_broker_survives_more_connections_than_descriptors(request):
    """Soft = hard RLIMIT_NOFILE 512 and 650 connections while other connections keep requests coming: the
    broker serves what its descriptor budget allows, leaves the rest waiting in the listen backlog, keeps
    serving, and is not killed. (Without the limit its descriptor table filled up, and libdispatch's worker-pool
    monitor, which opens /proc/<tid>/stat about once a second while work is queued, aborted the process on
    EMFILE: exit -4, SIGILL.)"""
    with broker_with_file_limit(request, "fd512", 512, 512) as broker:
        pid = broker.proc.pid
        text = broker.log_text()
        found = re.search(r"at most (\d+) client connections are served at once", text)
        assert found, text[-4000:]
        limit = int(found.group(1))
        print(f"\nbroker log: {found.group(0)}; {open_file_count(pid)} descriptors open at start")
        wait_for_no_client_connections(broker)
        before = loopback(broker.port)
        assert ask_api_versions(before, 1)
        load = RequestLoad(broker.port).start()

        flood = []
        try:
            for _ in range(FLOOD):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", broker.port))  # EINPROGRESS; completes in the kernel, or its SYN waits
                flood.append(s)
            # The broker accepts up to its limit; wait (bounded) until it got there.
            for _ in range(300):
                if open_sockets(pid) >= limit:
                    break
                time.sleep(0.1)
            held = open_sockets(pid)
            fds = open_file_count(pid)
            poller = select.poll()  # not select(): the flood's descriptors may be past FD_SETSIZE
            for s in flood:
                poller.register(s, select.POLLOUT)
            writable = poller.poll(0)
            print(f"{FLOOD} connections started, {len(writable)} connected at the TCP level; the broker holds "
                  f"{held} sockets, {fds} descriptors of 512")
            # The listener, the limit's connections (`before` and the load's among them) and the few of one
            # accept burst held back.
            assert limit <= held <= limit + 8, f"broker holds {held} sockets with a client limit of {limit}"
            # At the limit, with requests coming, for many runs of that monitor (the broker without the limit
            # died 3 to 6 s into this).
            time.sleep(10)
            answered = load.stop()
            print(f"{answered} Metadata requests answered on {len(load.socks)} connections during the flood")
            assert broker.alive(), broker.log_text()[-4000:]
            # The connection opened before is still served, for more than one request.
            assert ask_api_versions(before, 2)
            ask_metadata(before, 3)
        finally:
            for s in flood:
                s.close()

        # Once the flood is gone (the broker accepts and closes what waited in the backlog), a new connection is
        # served.
        after = loopback(broker.port)
        assert ask_api_versions(after, 4, timeout=60.0)
        ask_metadata(before, 5)
        print(f"after the flood closed: a new connection is served; broker sockets {open_sockets(pid)}, "
              f"descriptors {open_file_count(pid)}")
        before.close()
        after.close()
        assert broker.alive(), broker.log_text()[-4000:]
    assert "Cannot schedule tasks" not in broker.log_text(), broker.log_text()[-4000:]


def test_max_connections_per_ip_closes_the_connection_over_it(broker_factory):
    broker = broker_factory(overrides=["max.connections.per.ip=5"], name="perip")
    # The broker counts a connection until a moment after its socket is gone (the close is reported to the
    # accepting event loop by a task), so the readiness probe's may still count: then one of the five is
    # refused, and the five are tried again (bounded).
    for attempt in range(20):
        wait_for_no_client_connections(broker)
        first = [loopback(broker.port) for _ in range(5)]
        try:
            for i, s in enumerate(first):
                assert ask_api_versions(s, 10 + i), f"connection {i + 1} of 5 not answered"
            break
        except ConnectionError:
            for s in first:
                s.close()
    else:
        raise AssertionError("five connections from 127.0.0.1 were never all served")
    print(f"\nfive connections served (attempt {attempt + 1})")
    sixth = loopback(broker.port)
    assert w.closed_by_peer(sixth, timeout=20), "the 6th connection from 127.0.0.1 was not closed"
    sixth.close()
    for i, s in enumerate(first):
        assert ask_api_versions(s, 20 + i), f"connection {i + 1} of 5 not served after the 6th was refused"
    # A closed connection frees its address's slot (bounded: the broker notices the close asynchronously).
    first.pop().close()
    for attempt in range(100):
        s = loopback(broker.port)
        try:
            if ask_api_versions(s, 30):
                first.append(s)
                break
        except ConnectionError:
            s.close()
            time.sleep(0.05)
    else:
        raise AssertionError("no new connection served after one of the five closed")
    print(f"a 6th connection was closed at once; after one of 5 closed a new one was served (attempt {attempt + 1})")
    for s in first:
        s.close()
    text = broker.log_text()
    assert "already has the configured maximum of 5 connections" in text, text[-4000:]
    assert broker.alive(), text[-4000:]


def test_max_connections_makes_the_next_connection_wait(broker_factory):
    broker = broker_factory(overrides=["max.connections=10"], name="maxconns")
    wait_for_no_client_connections(broker)
    first = [loopback(broker.port) for _ in range(10)]
    for i, s in enumerate(first):
        assert ask_api_versions(s, 40 + i), f"connection {i + 1} of 10 not served"
    # The 11th connects (the kernel completes it into the listen backlog) but is not served...
    eleventh = loopback(broker.port)
    assert not ask_api_versions(eleventh, 60, timeout=3.0), "the 11th connection was served with 10 open"
    # ...until one of the ten closes; then its request, sent while it waited, is answered.
    first.pop(0).close()
    eleventh.settimeout(30.0)
    answered_id, error_code, _ = w.parse_api_versions_v0(w.read_response(eleventh))
    assert (answered_id, error_code) == (60, 0)
    for i, s in enumerate(first):
        assert ask_api_versions(s, 70 + i), f"connection {i + 2} of 10 not served after the 11th got in"
    print("\nthe 11th connection waited while 10 were open and was served once one closed")
    for s in first + [eleventh]:
        s.close()
    assert broker.alive(), broker.log_text()[-4000:]
