#!/usr/bin/env python3
"""__consumer_offsets after a long group run, before and after cleaning (issue 12's acceptance note).

A single-node broker (TRIBUTARY_BIN, default .build/debug/tributary) with one offsets partition in small segments
(offsets.topic.segment.bytes, --segment-bytes; the topic minimum is 1 MiB) runs a consumer group (confluent-kafka) that reads a topic of
--partitions partitions and commits synchronously after every message, --commits commits in --sessions sessions
(each session a fresh consumer: a new generation, so group metadata records too). Bounded: it stops by itself.

  1. The run happens with log.cleaner.enable=false; the broker is stopped and __consumer_offsets-0's segments are
     listed: "before".
  2. The broker restarts on the same directory with the cleaner on (log.cleaner.backoff.ms=200); once the segments
     stop changing they are listed again: "after".
  3. A new consumer of the group reads its committed offsets back; they must equal the last ones committed
     (exit status 1 otherwise).

  python3 scripts/bench-offsets-compaction.py [--commits 6000] [--sessions 3] [--partitions 4] [--segment-bytes 1048576]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "interop"))
from conftest import BrokerProcess, tributary_bin  # noqa: E402

TOPIC = "work"
GROUP = "long-running-group"


def segments(data_dir):
    """[(file name, bytes)] of __consumer_offsets-0's .log files, in offset order."""
    d = os.path.join(data_dir, "__consumer_offsets-0")
    names = sorted(n for n in os.listdir(d) if n.endswith(".log"))
    return [(n, os.path.getsize(os.path.join(d, n))) for n in names]


def describe(label, segs):
    total = sum(size for _, size in segs)
    print(f"{label}: {len(segs)} segments, {total} bytes ({total / 1024:.1f} KiB)")
    return len(segs), total


def group_run(bootstrap, commits, sessions, partitions):
    """Commits `commits` times in `sessions` consumer sessions; returns the last committed offset per partition."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, num_partitions=partitions, replication_factor=1)])[TOPIC].result(timeout=30)
    per_session = commits // sessions
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(per_session * sessions + partitions * 10):
        p.produce(TOPIC, value=b"m%d" % i, partition=i % partitions)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(30) == 0
    last = {}
    done = 0
    started = time.monotonic()
    for session in range(sessions):
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False,
                      "auto.offset.reset": "earliest", "session.timeout.ms": 10000})
        c.subscribe([TOPIC])
        target = done + per_session
        deadline = time.monotonic() + 300
        while done < target and time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is None or msg.error():
                continue
            tp = TopicPartition(TOPIC, msg.partition(), msg.offset() + 1)
            c.commit(offsets=[tp], asynchronous=False)
            last[msg.partition()] = msg.offset() + 1
            done += 1
        c.close()
        print(f"session {session + 1}: {done} commits so far")
    elapsed = time.monotonic() - started
    print(f"group run: {done} synchronous commits in {sessions} sessions over {partitions} partitions, {elapsed:.1f} s")
    return last


def read_back(bootstrap, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False})
    try:
        committed = c.committed([TopicPartition(TOPIC, p) for p in range(partitions)], timeout=30)
        return {tp.partition: tp.offset for tp in committed if tp.offset >= 0}
    finally:
        c.close()


def wait_stable(data_dir, quiet_s=3.0, timeout_s=120.0):
    """Waits until the segment listing has not changed for `quiet_s`."""
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = segments(data_dir)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
        time.sleep(0.2)
    return last


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=6000)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--segment-bytes", type=int, default=1048576)
    args = ap.parse_args()
    print(f"broker: {tributary_bin()}")
    base = tempfile.mkdtemp(prefix="offsets-compaction-")
    data = os.path.join(base, "data")
    common = ["offsets.topic.num.partitions=1", f"offsets.topic.segment.bytes={args.segment_bytes}"]
    ok = False
    broker = BrokerProcess(data, name="before", overrides=common + ["log.cleaner.enable=false"])
    try:
        bootstrap = broker.start().bootstrap
        last = group_run(bootstrap, args.commits, args.sessions, args.partitions)
        broker.stop()
        before = describe("__consumer_offsets-0 before cleaning", segments(data))

        # Same directory and ports, the cleaner on.
        broker.overrides = common + ["log.cleaner.backoff.ms=200"]
        bootstrap = broker.start().bootstrap
        # The group coordinator loads the partition at start-up; the cleaner then works on it.
        started = time.monotonic()
        after_segs = wait_stable(data)
        after = describe(f"__consumer_offsets-0 after cleaning ({time.monotonic() - started:.1f} s after start)", after_segs)
        cleaned = [line for line in broker.log_text().splitlines() if "cleaned __consumer_offsets" in line]
        for line in cleaned[:5]:
            print("  broker: " + line.split("] ", 1)[-1][:240])
        if len(cleaned) > 5:
            print(f"  broker: ... {len(cleaned) - 5} more cleaning passes")
        got = read_back(bootstrap, args.partitions)
        ok = got == last
        print(f"committed offsets read back after cleaning: {dict(sorted(got.items()))} "
              f"{'== ' if ok else '!= '}last committed {dict(sorted(last.items()))}")
        print(f"reduction: {before[0]} -> {after[0]} segments, {before[1]} -> {after[1]} bytes "
              f"({100.0 * (1 - after[1] / max(before[1], 1)):.1f}% smaller)")
    finally:
        if broker.alive():
            broker.kill()
        if ok:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base} for inspection")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
