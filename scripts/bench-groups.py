#!/usr/bin/env python3
"""Consumer-group figures (issue 5 item 6); prints numbers, asserts nothing about timing.

  1. rebalance: 10 librdkafka consumers in this process join one group on a 100-partition topic; the time from the
     last member's subscribe() until every member holds its assignment and has consumed from it. Runs:
       - classic protocol (range assignor), once per `group.initial.rebalance.delay.ms` in --delays (default
         "3000,0": the broker default and none);
       - KIP-848 (group.protocol=consumer, the broker's uniform assignor) with the broker's defaults, and again with
         group.consumer.reconciliation.heartbeat.interval.ms=5000, i.e. Kafka's behaviour of telling members the
         stable 5 s heartbeat interval while the group converges;
       - KIP-848, one member joining a stable group of 9 (it must wait for the others' next heartbeat).
  2. commits: one consumer reads a 1-partition topic in batches of --batch messages and commits synchronously
     after every batch; commits/s over --commits commits (also with batch 1), classic and KIP-848.

Starts its own brokers (tests/interop/conftest.py's BrokerProcess) from TRIBUTARY_BIN (default
.build/debug/tributary), or uses --bootstrap (then each figure is measured once on that broker).

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


def consumer_conf(bootstrap, group, protocol):
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False}
    if protocol == "consumer":
        conf["group.protocol"] = "consumer"
    else:
        conf.update({"partition.assignment.strategy": "range", "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})
    return conf


def bench_rebalance(bootstrap, tag, protocol="classic", members=10, partitions=100, late_joiner=False):
    """Seconds from the last subscribe() until all members own every partition once and consumed from each share.
    With `late_joiner`, members-1 members settle first and the clock starts when the last one subscribes."""
    topic, group = f"bench-rebalance-{tag}", f"bench-rebalance-{tag}"
    create_topic(bootstrap, topic, partitions)
    fill(bootstrap, topic, partitions, 5)
    # Per member: [owned partitions, owned partitions it has read a message from since they were assigned to it].
    # Incremental: eager (classic) members give up everything and get the new set; KIP-848 members get and give up
    # a few partitions at a time and keep reading the ones they keep.
    state = []
    consumers = []

    def callbacks(i):
        def on_assign(_c, ps):
            state[i][0] |= {p.partition for p in ps}

        def on_revoke(_c, ps):
            state[i][0] -= {p.partition for p in ps}
            state[i][1] -= {p.partition for p in ps}
        return on_assign, on_revoke

    def settled():
        for i, c in enumerate(consumers):
            for m in c.consume(num_messages=500, timeout=0):
                if not m.error() and m.partition() in state[i][0]:
                    state[i][1].add(m.partition())
        owned = [s[0] for s in state]
        sizes = [len(o) for o in owned]
        return (all(s[1] & s[0] for s in state) and sum(sizes) == partitions and max(sizes) - min(sizes) <= 1
                and set().union(*owned) == set(range(partitions)))

    def join(i):
        state.append([set(), set()])
        c = Consumer(consumer_conf(bootstrap, group, protocol))
        on_assign, on_revoke = callbacks(i)
        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        consumers.append(c)
        c.consume(num_messages=1, timeout=0)  # starts the join

    assigned_at = []

    def wait(start):
        deadline = start + 120
        assigned_at.clear()
        while not settled():
            owned = [s[0] for s in state]
            sizes = [len(o) for o in owned]
            if not assigned_at and sum(sizes) == partitions and max(sizes) - min(sizes) <= 1 \
                    and set().union(*owned) == set(range(partitions)):
                assigned_at.append(time.monotonic() - start)
            if time.monotonic() > deadline:
                raise SystemExit(f"no stable assignment after 120s: {[len(s[0]) for s in state]}")
            time.sleep(0.001)
        return time.monotonic() - start

    try:
        for i in range(members - 1 if late_joiner else members):
            join(i)
        if late_joiner:
            wait(time.monotonic())
            fill(bootstrap, topic, partitions, 2)  # the settled members need something new to consume
            time.sleep(6)  # a stable group: members are on the stable heartbeat interval
            join(members - 1)
        elapsed = wait(time.monotonic())
        sizes = sorted(len(s[0]) for s in state)
    finally:
        for c in consumers:
            c.close()
    return elapsed, (assigned_at or [elapsed])[0], sizes


def bench_commits(bootstrap, tag, commits, batch, protocol="classic"):
    topic, group = f"bench-commits-{tag}-{batch}-{protocol}", f"bench-commits-{tag}-{batch}-{protocol}"
    create_topic(bootstrap, topic, 1)
    fill(bootstrap, topic, 1, commits * batch + batch)
    c = Consumer(consumer_conf(bootstrap, group, protocol) | {"fetch.min.bytes": 1})
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
    ap.add_argument("--only", help="run only the rebalance rows whose label contains this text")
    args = ap.parse_args()

    # (label, protocol, broker overrides, late joiner, measure commits)
    plan = [(f"classic, group.initial.rebalance.delay.ms={d}", "classic", [f"group.initial.rebalance.delay.ms={d}"],
             False, False) for d in args.delays.split(",")]
    plan[-1] = plan[-1][:4] + (True,)
    plan += [("KIP-848, broker defaults", "consumer", [], False, True),
             ("KIP-848, group.consumer.reconciliation.heartbeat.interval.ms=5000 (Kafka's behaviour)", "consumer",
              ["group.consumer.reconciliation.heartbeat.interval.ms=5000"], False, False),
             ("KIP-848, one member joining a stable group of 9", "consumer", [], True, False)]
    if args.only:
        plan = [(label, proto, o, late, False) for label, proto, o, late, _ in plan if args.only in label]
    if args.bootstrap:
        plan = [(label + " (given broker)", proto, [], late, commits) for label, proto, _, late, commits in plan
                if not label.startswith("classic") or label.endswith(args.delays.split(",")[-1])]
    else:
        from conftest import BrokerProcess, tributary_bin
        print(f"broker: {tributary_bin()}")
    for label, protocol, overrides, late, with_commits in plan:
        broker, base = None, None
        if args.bootstrap:
            bootstrap = args.bootstrap
        else:
            base = tempfile.mkdtemp(prefix="tributary-bench-groups-")
            broker = BrokerProcess(os.path.join(base, "data"), name="bench", overrides=overrides)
            bootstrap = broker.start().bootstrap
        try:
            elapsed, assigned, sizes = bench_rebalance(bootstrap, f"{protocol}{len(overrides)}{late}-{os.getpid()}", protocol,
                                             late_joiner=late)
            print(f"rebalance: 10 members, 100 partitions ({label}): {elapsed * 1000:.0f} ms from the last join "
                  f"until all assigned and consuming; every partition owned once, balanced, after {assigned * 1000:.0f} ms "
                  f"(partitions per member {sizes})", flush=True)
            if with_commits:
                for batch in sorted({args.batch, 1}):
                    rate, p50, p99 = bench_commits(bootstrap, f"c{os.getpid()}", args.commits, batch, protocol)
                    print(f"commits ({protocol} protocol): {rate:.0f} commits/s, synchronous commit after every "
                          f"{batch}-message batch ({args.commits} commits; commit latency p50 {p50:.2f} ms, "
                          f"p99 {p99:.2f} ms)", flush=True)
        finally:
            if broker is not None:
                broker.stop()
                shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
