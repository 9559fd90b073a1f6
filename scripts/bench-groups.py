#!/usr/bin/env python3
"""Classic consumer-group figures (issue 5 item 6); prints numbers, asserts nothing about timing.

  1. rebalance: 10 librdkafka consumers in this process join one group on a 100-partition topic (classic protocol,
     range assignor); the time from the last member's subscribe() until every member holds its assignment and has
     consumed from it. Run once per `group.initial.rebalance.delay.ms` value given (--delays, default "3000,0":
     the broker default and none).
  2. commits: one consumer reads a 1-partition topic in batches of --batch messages and commits synchronously
     after every batch; commits/s over --commits commits (also with batch 1).

Starts its own broker (tests/interop/conftest.py's BrokerProcess) from TRIBUTARY_BIN (default
.build/debug/tributary), or uses --bootstrap (then only the delay that broker has is measured).

  python3 scripts/bench-groups.py [--bootstrap HOST:PORT] [--delays 3000,0] [--commits 2000] [--batch 10]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "interop"))


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(timeout=30)


def fill(bootstrap, topic, partitions, per_partition):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(partitions * per_partition):
        p.produce(topic, value=b"x" * 100, partition=i % partitions)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(60) == 0


def bench_rebalance(bootstrap, tag, members=10, partitions=100):
    topic, group = f"bench-rebalance-{tag}", f"bench-rebalance-{tag}"
    create_topic(bootstrap, topic, partitions)
    fill(bootstrap, topic, partitions, 5)
    state = []  # per member: [assigned partitions, consumed since the latest assignment, first-consume time]
    consumers = []

    def callbacks(i):
        def on_assign(_c, ps):
            state[i][0] = {p.partition for p in ps}
            state[i][1] = 0

        def on_revoke(_c, ps):
            state[i][0] = set()
            state[i][1] = 0
        return on_assign, on_revoke

    for i in range(members):
        state.append([set(), 0])
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                      "enable.auto.commit": False, "partition.assignment.strategy": "range",
                      "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})
        on_assign, on_revoke = callbacks(i)
        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        consumers.append(c)
        c.consume(num_messages=1, timeout=0)  # starts the join
    last_join = time.monotonic()
    deadline = last_join + 120
    try:
        while True:
            for i, c in enumerate(consumers):
                for m in c.consume(num_messages=500, timeout=0):
                    if not m.error() and m.partition() in state[i][0]:
                        state[i][1] += 1
            owned = [s[0] for s in state]
            if all(s[1] > 0 for s in state) and sum(len(o) for o in owned) == partitions \
                    and set().union(*owned) == set(range(partitions)):
                elapsed = time.monotonic() - last_join
                sizes = sorted(len(o) for o in owned)
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"no stable assignment after 120s: {[len(o) for o in owned]}")
            time.sleep(0.001)
    finally:
        for c in consumers:
            c.close()
    return elapsed, sizes


def bench_commits(bootstrap, tag, commits, batch):
    topic, group = f"bench-commits-{tag}-{batch}", f"bench-commits-{tag}-{batch}"
    create_topic(bootstrap, topic, 1)
    fill(bootstrap, topic, 1, commits * batch + batch)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "fetch.min.bytes": 1})
    try:
        c.subscribe([topic])
        while not c.consume(num_messages=batch, timeout=1.0):  # wait for the assignment and the first batch
            pass
        c.commit(asynchronous=False)
        done, latencies = 0, []
        start = time.monotonic()
        while done < commits:
            msgs = c.consume(num_messages=batch, timeout=1.0)
            if not msgs:
                continue
            t = time.monotonic()
            c.commit(asynchronous=False)
            latencies.append(time.monotonic() - t)
            done += 1
        elapsed = time.monotonic() - start
    finally:
        c.close()
    latencies.sort()
    return done / elapsed, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap")
    ap.add_argument("--delays", default="3000,0", help="group.initial.rebalance.delay.ms values to run with")
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=10)
    args = ap.parse_args()

    if args.bootstrap:
        plan = [(None, True)]
    else:
        delays = [int(d) for d in args.delays.split(",")]
        plan = [(d, i == len(delays) - 1) for i, d in enumerate(delays)]
        from conftest import BrokerProcess, tributary_bin
        print(f"broker: {tributary_bin()}")
    for delay, with_commits in plan:
        broker, base = None, None
        if args.bootstrap:
            bootstrap = args.bootstrap
        else:
            base = tempfile.mkdtemp(prefix="tributary-bench-groups-")
            broker = BrokerProcess(os.path.join(base, "data"), name="bench",
                                   overrides=[f"group.initial.rebalance.delay.ms={delay}"])
            bootstrap = broker.start().bootstrap
        try:
            elapsed, sizes = bench_rebalance(bootstrap, f"d{delay}-{os.getpid()}")
            label = f"group.initial.rebalance.delay.ms={delay}" if delay is not None else "the broker's delay"
            print(f"rebalance: 10 members, 100 partitions ({label}): {elapsed * 1000:.0f} ms from the last join "
                  f"until all assigned and consuming (partitions per member {sizes})", flush=True)
            if with_commits:
                for batch in sorted({args.batch, 1}):
                    rate, p50, p99 = bench_commits(bootstrap, f"c{os.getpid()}", args.commits, batch)
                    print(f"commits: {rate:.0f} commits/s, synchronous commit after every {batch}-message batch "
                          f"({args.commits} commits; commit latency p50 {p50:.2f} ms, p99 {p99:.2f} ms)", flush=True)
        finally:
            if broker is not None:
                broker.stop()
                shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
